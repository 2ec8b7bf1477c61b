namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// IEEE 802.11 (link type 105): frame control (2: protocol version 2, type 2, subtype 4; flags ToDS, FromDS,
/// more fragments, retry, power management, more data, protected, order), duration (2), three addresses (18),
/// sequence control (2); a fourth address (6) when ToDS and FromDS; QoS control (2) in QoS data subtypes; HT
/// control (4) when a QoS frame has the order bit. Only unprotected data frames with a body carry LLC/SNAP and IP;
/// protected (encrypted) frames cannot be read.
/// </summary>
internal static class Ieee80211Decoder
{
    private const int BaseHeaderLength = 24;
    private const int TypeData = 2;
    private const byte FlagToDsFromDs = 0x03;
    private const byte FlagProtected = 0x40;
    private const byte FlagOrder = 0x80;
    private const int SubtypeQos = 0x8;
    private const int SubtypeNoBody = 0x4;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        var d = w.Data;
        if (d.Length < 2)
        {
            return LayerOutcome.Truncated;
        }
        var type = (d[0] >> 2) & 0x3;
        var subtype = d[0] >> 4;
        var flags = d[1];
        if (type != TypeData || (subtype & SubtypeNoBody) != 0 || (flags & FlagProtected) != 0)
        {
            return LayerOutcome.NotIp;
        }
        var length = BaseHeaderLength;
        if ((flags & FlagToDsFromDs) == FlagToDsFromDs)
        {
            length += 6;
        }
        if ((subtype & SubtypeQos) != 0)
        {
            length += 2;
            if ((flags & FlagOrder) != 0)
            {
                length += 4;
            }
        }
        if (d.Length < length)
        {
            return LayerOutcome.Truncated;
        }
        if (w.Record(Layer.Ieee80211) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        return w.Consume(length, Layer.LlcSnap);
    }
}
