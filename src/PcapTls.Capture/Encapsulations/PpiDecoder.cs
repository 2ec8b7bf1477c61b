using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// PPI, Per-Packet Information (link type 192): version (1) = 0, flags (1), header length (2, little endian),
/// link type of the frame that follows (4, little endian: 105 for 802.11, 1 for Ethernet), fields.
/// </summary>
internal static class PpiDecoder
{
    private const int MinHeaderLength = 8;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        if (w.Data.Length < MinHeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        int length = BinaryPrimitives.ReadUInt16LittleEndian(w.Data[2..]);
        var linkType = BinaryPrimitives.ReadUInt32LittleEndian(w.Data[4..]);
        if (w.Data[0] != 0 || length < MinHeaderLength || length > w.WireLength)
        {
            return LayerOutcome.Malformed;
        }
        if (w.Data.Length < length)
        {
            return LayerOutcome.Truncated;
        }
        if (w.Record(Layer.Ppi) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        var next = LinkLayers.First((LinkType)linkType);
        return next == Layer.None || next == Layer.Ppi ? w.Unknown(DispatchTable.LinkType, linkType) : w.Consume(length, next);
    }
}
