using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// UDP (RFC 768): source port (2), destination port (2), length (2), checksum (2). Only the tunnel ports of
/// <see cref="Dispatch.UdpPorts"/> are decoded further (destination port first); other UDP carries no TCP.
/// </summary>
internal static class UdpDecoder
{
    private const int HeaderLength = 8;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        if (w.Data.Length < HeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        var sourcePort = BinaryPrimitives.ReadUInt16BigEndian(w.Data);
        var destinationPort = BinaryPrimitives.ReadUInt16BigEndian(w.Data[2..]);
        if (!Dispatch.UdpPorts.TryGetValue(destinationPort, out var next) && !Dispatch.UdpPorts.TryGetValue(sourcePort, out next))
        {
            return LayerOutcome.NotTcp;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(w.Data[4..]);
        if (length < HeaderLength || length > w.WireLength)
        {
            return LayerOutcome.Malformed;
        }
        w.LimitTo(length);
        if (w.Record(Layer.Udp) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        return w.Consume(HeaderLength, next);
    }
}
