using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// An MPLS label stack (RFC 3032): entries of label (20), TC (3), bottom of stack S (1), TTL (8). After the
/// bottom entry: IPv4 or IPv6 (version nibble 4 or 6), or a pseudo-wire control word (first nibble 0, RFC 4385)
/// followed by Ethernet, or Ethernet directly (a pseudo-wire without control word). Labels are hop by hop and
/// differ per direction, so they are in the path but not in the tunnel context.
/// </summary>
internal static class MplsDecoder
{
    /// <summary>Label stack entries beyond this are not a real packet.</summary>
    public const int MaxLabels = 8;

    private const int EntryLength = 4;
    private const int ControlWordLength = 4;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        var offset = 0;
        for (var n = 0; ; n++)
        {
            if (n >= MaxLabels)
            {
                return LayerOutcome.Malformed;
            }
            if (w.Data.Length < offset + EntryLength)
            {
                return LayerOutcome.Truncated;
            }
            var entry = BinaryPrimitives.ReadUInt32BigEndian(w.Data[offset..]);
            offset += EntryLength;
            if (w.Record(Layer.Mpls, entry >> 12) != LayerOutcome.Continue)
            {
                return LayerOutcome.Malformed;
            }
            if ((entry & 0x100) != 0)
            {
                break;
            }
        }
        if (w.Data.Length <= offset)
        {
            return LayerOutcome.Truncated;
        }
        switch (w.Data[offset] >> 4)
        {
            case 4:
                return w.Consume(offset, Layer.IPv4);
            case 6:
                return w.Consume(offset, Layer.IPv6);
            case 0:
                if (w.Data.Length < offset + ControlWordLength)
                {
                    return LayerOutcome.Truncated; // found by tools/fuzz (encap): the control word cut short
                }
                if (w.Record(Layer.PseudowireControlWord) != LayerOutcome.Continue)
                {
                    return LayerOutcome.Malformed;
                }
                return w.Consume(offset + ControlWordLength, Layer.Ethernet);
            default:
                return w.Consume(offset, Layer.Ethernet);
        }
    }
}
