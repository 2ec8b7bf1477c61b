using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// PPP (RFC 1661, HDLC-like framing RFC 1662): optional address 0xFF and control 0x03, then the protocol, one
/// byte when it is odd (protocol field compression), else two.
/// </summary>
internal static class PppDecoder
{
    public static LayerOutcome Decode(ref FrameWalk w)
    {
        var offset = 0;
        if (w.Data.Length >= 2 && w.Data[0] == 0xFF && w.Data[1] == 0x03)
        {
            offset = 2;
        }
        if (w.Data.Length < offset + 1)
        {
            return LayerOutcome.Truncated;
        }
        ushort protocol;
        if ((w.Data[offset] & 1) != 0)
        {
            protocol = w.Data[offset];
            offset += 1;
        }
        else
        {
            if (w.Data.Length < offset + 2)
            {
                return LayerOutcome.Truncated;
            }
            protocol = BinaryPrimitives.ReadUInt16BigEndian(w.Data[offset..]);
            offset += 2;
        }
        if (w.Record(Layer.Ppp) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        if (Dispatch.PppProtocols.TryGetValue(protocol, out var next))
        {
            return w.Consume(offset, next);
        }
        return Dispatch.PppProtocolsWithoutIp.Contains(protocol) ? LayerOutcome.NotIp : w.Unknown(DispatchTable.PppProtocol, protocol);
    }
}
