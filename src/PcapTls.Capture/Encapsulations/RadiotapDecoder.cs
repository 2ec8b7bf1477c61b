using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// Radiotap (link type 127, radiotap.org): version (1) = 0, pad (1), length (2, little endian) of the whole
/// radiotap header, present flags...; an 802.11 frame follows. A frame check sequence at the end is harmless:
/// the IP header's length ends the packet before it.
/// </summary>
internal static class RadiotapDecoder
{
    private const int MinHeaderLength = 8;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        if (w.Data.Length < MinHeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        int length = BinaryPrimitives.ReadUInt16LittleEndian(w.Data[2..]);
        if (w.Data[0] != 0 || length < MinHeaderLength || length > w.WireLength)
        {
            return LayerOutcome.Malformed;
        }
        if (w.Data.Length < length)
        {
            return LayerOutcome.Truncated;
        }
        if (w.Record(Layer.Radiotap) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        return w.Consume(length, Layer.Ieee80211);
    }
}
