using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// An 802.1Q or 802.1ad tag after its TPID: TCI (PCP 3, DEI 1, VLAN id 12), then the EtherType (2).
/// The VLAN id is part of the tunnel context.
/// </summary>
internal static class VlanDecoder
{
    private const int TagLength = 4;
    private const ushort VlanIdMask = 0x0FFF;
    private const ulong ContextTag = 1UL << 40;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        if (++w.VlanTags > FrameWalk.MaxVlanTags)
        {
            return LayerOutcome.Malformed;
        }
        if (w.Data.Length < TagLength)
        {
            return LayerOutcome.Truncated;
        }
        var vlanId = (uint)(BinaryPrimitives.ReadUInt16BigEndian(w.Data) & VlanIdMask);
        if (w.Record(w.Next, vlanId) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        w.Path.MixContext(ContextTag | vlanId);
        return Dispatch.NextForEtherType(ref w, TagLength, BinaryPrimitives.ReadUInt16BigEndian(w.Data[2..]));
    }
}
