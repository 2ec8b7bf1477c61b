using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// IPv6 header (RFC 8200):
///   0  Version (4) | Traffic Class (8) | Flow Label (20)
///   4  Payload Length (16)   6  Next Header (8)   7  Hop Limit (8)
///   8  Source Address (128)  24  Destination Address (128)
/// Extension headers: Next Header (8), Hdr Ext Len (8, in 8-octet units not counting the first), ...: hop-by-hop,
/// routing (including SRv6's segment routing header, RFC 8754), destination options (including the tunnel
/// encapsulation limit, RFC 2473), mobility; authentication counts in 4-octet units (RFC 4302);
/// fragment header: Next Header (8), Reserved (8), Fragment Offset (13) | Res (2) | M (1), Identification (32).
/// </summary>
internal static class IPv6Decoder
{
    /// <summary>More extension headers than this is not a real packet (and bounds the walk).</summary>
    public const int MaxExtensionHeaders = 16;

    public const int HeaderLength = 40;
    private const int PayloadLengthOffset = 4;
    private const int NextHeaderOffset = 6;
    private const int SourceOffset = 8;
    private const int DestinationOffset = 24;
    public const int FragmentHeaderLength = 8;

    private const byte HopByHop = 0;
    private const byte Routing = 43;
    public const byte Fragment = 44;
    private const byte DestinationOptions = 60;
    private const byte Authentication = 51;
    private const byte Mobility = 135;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        var ip = w.Data;
        if (ip.Length < HeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        if (ip[0] >> 4 != 6)
        {
            return LayerOutcome.Malformed;
        }
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[PayloadLengthOffset..]);
        if (payloadLength == 0)
        {
            // A jumbogram or segmentation offload: the frame's length is the truth.
            payloadLength = w.WireLength - HeaderLength;
        }
        if (payloadLength < 0 || HeaderLength + payloadLength > w.WireLength)
        {
            return LayerOutcome.Malformed;
        }
        var end = HeaderLength + payloadLength;
        w.LimitTo(end);
        ip = w.Data;
        var source = BinaryPrimitives.ReadUInt128BigEndian(ip[SourceOffset..]);
        var destination = BinaryPrimitives.ReadUInt128BigEndian(ip[DestinationOffset..]);
        var next = ip[NextHeaderOffset];
        var offset = HeaderLength;
        for (var count = 0; ; count++)
        {
            var layer = Dispatch.IPProtocol(next);
            if (layer != Layer.None)
            {
                break;
            }
            if (count >= MaxExtensionHeaders)
            {
                return LayerOutcome.Malformed;
            }
            int length;
            switch (next)
            {
                case HopByHop or Routing or DestinationOptions or Mobility:
                    if (ip.Length < offset + 2)
                    {
                        return LayerOutcome.Truncated;
                    }
                    length = (ip[offset + 1] + 1) * 8;
                    break;
                case Authentication:
                    if (ip.Length < offset + 2)
                    {
                        return LayerOutcome.Truncated;
                    }
                    length = (ip[offset + 1] + 2) * 4;
                    break;
                case Fragment:
                {
                    if (ip.Length < offset + FragmentHeaderLength)
                    {
                        return LayerOutcome.Truncated;
                    }
                    var offsetAndFlags = BinaryPrimitives.ReadUInt16BigEndian(ip[(offset + 2)..]);
                    // An "atomic fragment" (offset 0, no more fragments, RFC 6946) is a whole packet.
                    if ((offsetAndFlags & 0xFFF9) != 0)
                    {
                        w.EnterIp(source, destination, isIPv6: true);
                        return LayerOutcome.Fragment;
                    }
                    length = FragmentHeaderLength;
                    break;
                }
                default:
                    return LayerOutcome.NotTcp;
            }
            if (offset + length > end)
            {
                return LayerOutcome.Malformed;
            }
            next = ip[offset];
            offset += length;
        }
        if (ip.Length < offset)
        {
            return LayerOutcome.Truncated;
        }
        if (w.Record(Layer.IPv6) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        w.EnterIp(source, destination, isIPv6: true);
        return w.Consume(offset, Dispatch.IPProtocol(next));
    }
}
