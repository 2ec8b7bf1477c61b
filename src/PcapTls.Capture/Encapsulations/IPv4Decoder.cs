using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// IPv4 header (RFC 791):
///   0  Version (4) | IHL (4)       1  Type of Service
///   2  Total Length (16)           4  Identification (16)
///   6  Flags (3) | Fragment Offset (13)
///   8  TTL   9  Protocol   10  Header Checksum (16)
///  12  Source Address (32)        16  Destination Address (32)
///  20  Options (IHL*4 - 20 bytes)
/// </summary>
internal static class IPv4Decoder
{
    public const int MinHeaderLength = 20;
    public const int TotalLengthOffset = 2;
    public const int IdentificationOffset = 4;
    public const int FlagsOffset = 6;
    public const int ProtocolOffset = 9;
    public const int SourceOffset = 12;
    public const int DestinationOffset = 16;
    public const ushort MoreFragments = 0x2000;
    public const ushort FragmentOffsetMask = 0x1FFF;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        var ip = w.Data;
        if (ip.Length < MinHeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        if (ip[0] >> 4 != 4)
        {
            return LayerOutcome.Malformed;
        }
        var headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < MinHeaderLength)
        {
            return LayerOutcome.Malformed;
        }
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[TotalLengthOffset..]);
        if (totalLength == 0)
        {
            // TCP segmentation offload on the capturing host leaves 0 here: the frame's length is the truth.
            totalLength = w.WireLength;
        }
        if (totalLength < headerLength || totalLength > w.WireLength)
        {
            return LayerOutcome.Malformed;
        }
        // Ethernet pads short frames to 60 bytes: the total length says where the packet really ends.
        w.LimitTo(totalLength);
        var fragment = BinaryPrimitives.ReadUInt16BigEndian(ip[FlagsOffset..]);
        var source = (UInt128)BinaryPrimitives.ReadUInt32BigEndian(ip[SourceOffset..]);
        var destination = (UInt128)BinaryPrimitives.ReadUInt32BigEndian(ip[DestinationOffset..]);
        if ((fragment & (MoreFragments | FragmentOffsetMask)) != 0)
        {
            w.EnterIp(source, destination, isIPv6: false);
            return LayerOutcome.Fragment;
        }
        var next = Dispatch.IPProtocol(ip[ProtocolOffset]);
        if (next == Layer.None)
        {
            return LayerOutcome.NotTcp;
        }
        if (ip.Length < headerLength)
        {
            return LayerOutcome.Truncated;
        }
        if (w.Record(Layer.IPv4) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        w.EnterIp(source, destination, isIPv6: false);
        return w.Consume(headerLength, next);
    }
}
