using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// PPPoE session stage (RFC 2516): version (4) = 1, type (4) = 1, code (8) = 0, session id (16), length (16) of
/// the PPP frame that follows (protocol field first, no address/control).
/// </summary>
internal static class PppoeDecoder
{
    private const int HeaderLength = 6;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        if (w.Data.Length < HeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        if (w.Data[0] != 0x11 || w.Data[1] != 0x00)
        {
            return LayerOutcome.Malformed;
        }
        var session = BinaryPrimitives.ReadUInt16BigEndian(w.Data[2..]);
        int length = BinaryPrimitives.ReadUInt16BigEndian(w.Data[4..]);
        if (HeaderLength + length > w.WireLength)
        {
            return LayerOutcome.Malformed;
        }
        w.LimitTo(HeaderLength + length);
        if (w.Record(Layer.PppoeSession, session) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        w.Path.MixContext((1UL << 41) | session);
        return w.Consume(HeaderLength, Layer.Ppp);
    }
}
