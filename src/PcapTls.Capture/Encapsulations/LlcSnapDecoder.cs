using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// 802.2 LLC: DSAP (1), SSAP (1), control (1). Only SNAP (DSAP = SSAP = 0xAA, UI 0x03) with an EtherType OUI
/// (00-00-00, or 00-00-F8 bridge tunnel) carries an EtherType (2) after the OUI (3); other LLC (STP, CDP, ...) is
/// not IP.
/// </summary>
internal static class LlcSnapDecoder
{
    private const int HeaderLength = 8;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        var d = w.Data;
        if (d.Length < 3)
        {
            return LayerOutcome.Truncated;
        }
        if (d[0] != 0xAA || d[1] != 0xAA || d[2] != 0x03)
        {
            return LayerOutcome.NotIp;
        }
        if (d.Length < HeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        if (d[3] != 0 || d[4] != 0 || (d[5] != 0 && d[5] != 0xF8))
        {
            return LayerOutcome.NotIp;
        }
        if (w.Record(Layer.LlcSnap) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        return Dispatch.NextForEtherType(ref w, HeaderLength, BinaryPrimitives.ReadUInt16BigEndian(d[6..]));
    }
}
