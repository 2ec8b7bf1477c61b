using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>Ethernet II: destination (6), source (6), EtherType (2) at 12 (an 802.3 length below 0x0600: LLC follows).</summary>
internal static class EthernetDecoder
{
    private const int HeaderLength = 14;
    private const int EtherTypeOffset = 12;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        if (w.Data.Length < HeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        if (w.Record(Layer.Ethernet) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        return Dispatch.NextForEtherType(ref w, HeaderLength, BinaryPrimitives.ReadUInt16BigEndian(w.Data[EtherTypeOffset..]));
    }
}
