using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// Geneve (RFC 8926), UDP 6081: version (2) = 0, options length (6, in 4-byte words), O (1), C (1), reserved (6),
/// protocol type (16, an EtherType; 0x6558 for Ethernet), VNI (24), reserved (8), options. The VNI is tunnel
/// context.
/// </summary>
internal static class GeneveDecoder
{
    private const int BaseHeaderLength = 8;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        var d = w.Data;
        if (d.Length < BaseHeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        if (d[0] >> 6 != 0)
        {
            return LayerOutcome.Malformed;
        }
        var length = BaseHeaderLength + (d[0] & 0x3F) * 4;
        if (d.Length < length)
        {
            return LayerOutcome.Truncated;
        }
        var vni = ((uint)d[4] << 16) | ((uint)d[5] << 8) | d[6];
        if (w.Record(Layer.Geneve, vni) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        w.Path.MixContext((1UL << 45) | vni);
        return Dispatch.NextForEtherType(ref w, length, BinaryPrimitives.ReadUInt16BigEndian(d[2..]));
    }
}
