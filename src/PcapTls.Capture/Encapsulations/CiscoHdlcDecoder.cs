using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>Cisco HDLC (link type 104): address (1), control (1), protocol (2, an EtherType).</summary>
internal static class CiscoHdlcDecoder
{
    private const int HeaderLength = 4;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        if (w.Data.Length < HeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        if (w.Record(Layer.CiscoHdlc) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        return Dispatch.NextForEtherType(ref w, HeaderLength, BinaryPrimitives.ReadUInt16BigEndian(w.Data[2..]));
    }
}
