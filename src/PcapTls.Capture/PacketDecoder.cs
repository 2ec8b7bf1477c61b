using System.Buffers.Binary;

namespace PcapTls.Capture;

/// <summary>TCP header flags, with their bit values on the wire (the NS bit is bit 8 of the 16-bit word).</summary>
[Flags]
public enum TcpFlags : ushort
{
    None = 0,
    Fin = 0x001,
    Syn = 0x002,
    Rst = 0x004,
    Psh = 0x008,
    Ack = 0x010,
    Urg = 0x020,
    Ece = 0x040,
    Cwr = 0x080,
    Ns = 0x100,
}

/// <summary>What <see cref="PacketDecoder.TryDecodeTcp"/> found in a frame.</summary>
public enum DecodeStatus : byte
{
    /// <summary>A TCP segment: the out parameter is valid.</summary>
    Tcp,
    /// <summary>The frame carries something other than IPv4/IPv6 (ARP, LLC, ...).</summary>
    NotIp,
    /// <summary>IP, but not TCP (UDP, ICMP, ESP, ...).</summary>
    NotTcp,
    /// <summary>The snapshot length cut the frame before the TCP header ended.</summary>
    Truncated,
    /// <summary>An IP fragment (not reassembled).</summary>
    IpFragment,
    /// <summary>A header that contradicts itself (bad version, header length, total length).</summary>
    Malformed,
    /// <summary>The link type is not one the decoder knows.</summary>
    UnsupportedLinkType,
}

/// <summary>A decoded TCP segment; the payload span points into the frame and is valid as long as it is.</summary>
public readonly ref struct TcpSegment
{
    public TcpSegment(long number, long timestampNanos, NetEndpoint source, NetEndpoint destination, uint seq, uint ack,
        TcpFlags flags, ushort window, ReadOnlySpan<byte> payload, int payloadOriginalLength)
    {
        Number = number;
        TimestampNanos = timestampNanos;
        Source = source;
        Destination = destination;
        Seq = seq;
        Ack = ack;
        Flags = flags;
        Window = window;
        Payload = payload;
        PayloadOriginalLength = payloadOriginalLength;
    }

    public long Number { get; }

    public long TimestampNanos { get; }

    public NetEndpoint Source { get; }

    public NetEndpoint Destination { get; }

    public uint Seq { get; }

    public uint Ack { get; }

    public TcpFlags Flags { get; }

    public ushort Window { get; }

    /// <summary>The captured payload bytes.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>The payload length the IP header announces; larger than Payload.Length when the snapshot
    /// length cut the frame.</summary>
    public int PayloadOriginalLength { get; }

    public bool IsPayloadTruncated => PayloadOriginalLength > Payload.Length;

    public bool Has(TcpFlags flag) => (Flags & flag) == flag;
}

/// <summary>
/// Decodes link, IP and TCP headers of a frame into a <see cref="TcpSegment"/> without allocating.
/// Checksums are not verified (offloading makes them wrong in most captures taken on the sending host).
/// </summary>
public static class PacketDecoder
{
    private const ushort EtherTypeIPv4 = 0x0800;
    private const ushort EtherTypeIPv6 = 0x86DD;
    private const ushort EtherTypeVlan = 0x8100;     // 802.1Q
    private const ushort EtherTypeQinQ = 0x88A8;     // 802.1ad
    private const ushort EtherTypeQinQOld = 0x9100;  // pre-standard QinQ

    /// <summary>More stacked VLAN tags than this is not a real frame.</summary>
    public const int MaxVlanTags = 4;

    /// <summary>More IPv6 extension headers than this is not a real packet (and bounds the walk).</summary>
    public const int MaxIPv6ExtensionHeaders = 16;

    private const int EthernetHeaderLength = 14;
    private const int VlanTagLength = 4;
    private const int SllHeaderLength = 16;
    private const int SllProtocolOffset = 14;
    private const int Sll2HeaderLength = 20;
    private const int Sll2ProtocolOffset = 0;
    private const int NullHeaderLength = 4;

    private const uint BsdAfInet = 2;
    private const uint BsdAfInet6Bsd = 24;      // NetBSD, OpenBSD, BSD/OS
    private const uint BsdAfInet6FreeBsd = 28;
    private const uint BsdAfInet6Darwin = 30;

    private const byte ProtocolTcp = 6;
    private const byte Ipv6HopByHop = 0;
    private const byte Ipv6Routing = 43;
    private const byte Ipv6Fragment = 44;
    private const byte Ipv6DestinationOptions = 60;
    private const byte Ipv6Authentication = 51;
    private const byte Ipv6Mobility = 135;

    private enum Network : byte { None, IPv4, IPv6 }

    public static DecodeStatus TryDecodeTcp(in RawPacket packet, out TcpSegment segment)
    {
        segment = default;
        var data = packet.Data;
        var status = TryFindNetwork(packet.LinkType, data, out var network, out var offset);
        if (status != DecodeStatus.Tcp)
        {
            return status;
        }
        // What the wire carried after the link header; bounds an IP total length that lies.
        var wireRemaining = Math.Max(packet.OriginalLength, data.Length) - offset;
        var ip = data[offset..];
        return network == Network.IPv4
            ? DecodeIPv4(packet, ip, wireRemaining, out segment)
            : DecodeIPv6(packet, ip, wireRemaining, out segment);
    }

    private static DecodeStatus TryFindNetwork(LinkType linkType, ReadOnlySpan<byte> data, out Network network, out int offset)
    {
        network = Network.None;
        offset = 0;
        switch (linkType)
        {
            /*
             * Ethernet II: destination (6), source (6), EtherType (2) at 12;
             * an 802.1Q / 802.1ad tag inserts TPID (2) + TCI (2) before the EtherType.
             */
            case LinkType.Ethernet:
            {
                if (data.Length < EthernetHeaderLength)
                {
                    return DecodeStatus.Truncated;
                }
                var typeOffset = 12;
                var etherType = BinaryPrimitives.ReadUInt16BigEndian(data[typeOffset..]);
                var tags = 0;
                while (etherType is EtherTypeVlan or EtherTypeQinQ or EtherTypeQinQOld)
                {
                    if (++tags > MaxVlanTags)
                    {
                        return DecodeStatus.Malformed;
                    }
                    typeOffset += VlanTagLength;
                    if (data.Length < typeOffset + 2)
                    {
                        return DecodeStatus.Truncated;
                    }
                    etherType = BinaryPrimitives.ReadUInt16BigEndian(data[typeOffset..]);
                }
                offset = typeOffset + 2;
                return FromEtherType(etherType, out network);
            }

            /*
             * LINUX_SLL: packet type (2), ARPHRD type (2), address length (2), address (8), protocol (2) at 14.
             */
            case LinkType.LinuxSll:
                if (data.Length < SllHeaderLength)
                {
                    return DecodeStatus.Truncated;
                }
                offset = SllHeaderLength;
                return FromEtherType(BinaryPrimitives.ReadUInt16BigEndian(data[SllProtocolOffset..]), out network);

            /*
             * LINUX_SLL2: protocol (2) at 0, reserved (2), interface index (4), ARPHRD type (2),
             * packet type (1), address length (1), address (8).
             */
            case LinkType.LinuxSll2:
                if (data.Length < Sll2HeaderLength)
                {
                    return DecodeStatus.Truncated;
                }
                offset = Sll2HeaderLength;
                return FromEtherType(BinaryPrimitives.ReadUInt16BigEndian(data[Sll2ProtocolOffset..]), out network);

            // Raw IP: the version nibble says which.
            case LinkType.Raw:
                if (data.Length < 1)
                {
                    return DecodeStatus.Truncated;
                }
                network = (data[0] >> 4) switch { 4 => Network.IPv4, 6 => Network.IPv6, _ => Network.None };
                return network == Network.None ? DecodeStatus.NotIp : DecodeStatus.Tcp;

            case LinkType.Ipv4:
                network = Network.IPv4;
                return DecodeStatus.Tcp;

            case LinkType.Ipv6:
                network = Network.IPv6;
                return DecodeStatus.Tcp;

            /*
             * BSD loopback: a 4-byte address family, in the capturing host's byte order for NULL (0), in network
             * byte order for LOOP (108). Writers get this wrong, so both byte orders are accepted for both.
             */
            case LinkType.Null or LinkType.Loop:
            {
                if (data.Length < NullHeaderLength)
                {
                    return DecodeStatus.Truncated;
                }
                offset = NullHeaderLength;
                var little = BinaryPrimitives.ReadUInt32LittleEndian(data);
                var big = BinaryPrimitives.ReadUInt32BigEndian(data);
                if (little == BsdAfInet || big == BsdAfInet)
                {
                    network = Network.IPv4;
                    return DecodeStatus.Tcp;
                }
                if (IsAfInet6(little) || IsAfInet6(big))
                {
                    network = Network.IPv6;
                    return DecodeStatus.Tcp;
                }
                return DecodeStatus.NotIp;
            }

            default:
                return DecodeStatus.UnsupportedLinkType;
        }
    }

    private static bool IsAfInet6(uint family) => family is BsdAfInet6Bsd or BsdAfInet6FreeBsd or BsdAfInet6Darwin;

    private static DecodeStatus FromEtherType(ushort etherType, out Network network)
    {
        network = etherType switch
        {
            EtherTypeIPv4 => Network.IPv4,
            EtherTypeIPv6 => Network.IPv6,
            _ => Network.None, // including 802.3 lengths (< 0x0600): LLC, not IP
        };
        return network == Network.None ? DecodeStatus.NotIp : DecodeStatus.Tcp;
    }

    /*
     * IPv4 header (RFC 791):
     *   0  Version (4) | IHL (4)       1  Type of Service
     *   2  Total Length (16)           4  Identification (16)
     *   6  Flags (3) | Fragment Offset (13)
     *   8  TTL   9  Protocol   10  Header Checksum (16)
     *  12  Source Address (32)        16  Destination Address (32)
     *  20  Options (IHL*4 - 20 bytes)
     */
    private static DecodeStatus DecodeIPv4(in RawPacket packet, ReadOnlySpan<byte> ip, int wireRemaining, out TcpSegment segment)
    {
        const int minHeader = 20;
        const int totalLengthOffset = 2;
        const int flagsOffset = 6;
        const int protocolOffset = 9;
        const int sourceOffset = 12;
        const int destinationOffset = 16;
        const ushort moreFragments = 0x2000;
        const ushort fragmentOffsetMask = 0x1FFF;

        segment = default;
        if (ip.Length < minHeader)
        {
            return DecodeStatus.Truncated;
        }
        if (ip[0] >> 4 != 4)
        {
            return DecodeStatus.Malformed;
        }
        var headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < minHeader)
        {
            return DecodeStatus.Malformed;
        }
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[totalLengthOffset..]);
        if (totalLength == 0)
        {
            // TCP segmentation offload on the capturing host leaves 0 here: the frame's length is the truth.
            totalLength = wireRemaining;
        }
        if (totalLength < headerLength || totalLength > wireRemaining)
        {
            return DecodeStatus.Malformed;
        }
        var fragment = BinaryPrimitives.ReadUInt16BigEndian(ip[flagsOffset..]);
        if ((fragment & (moreFragments | fragmentOffsetMask)) != 0)
        {
            return DecodeStatus.IpFragment;
        }
        if (ip[protocolOffset] != ProtocolTcp)
        {
            return DecodeStatus.NotTcp;
        }
        if (ip.Length < headerLength)
        {
            return DecodeStatus.Truncated;
        }
        var source = (UInt128)BinaryPrimitives.ReadUInt32BigEndian(ip[sourceOffset..]);
        var destination = (UInt128)BinaryPrimitives.ReadUInt32BigEndian(ip[destinationOffset..]);
        // Ethernet pads short frames to 60 bytes: the total length says where the packet really ends.
        var captured = ip[..Math.Min(totalLength, ip.Length)];
        return DecodeTcp(packet, captured[headerLength..], totalLength - headerLength, source, destination, isIPv6: false, out segment);
    }

    /*
     * IPv6 header (RFC 8200):
     *   0  Version (4) | Traffic Class (8) | Flow Label (20)
     *   4  Payload Length (16)   6  Next Header (8)   7  Hop Limit (8)
     *   8  Source Address (128)  24  Destination Address (128)
     * Extension headers: Next Header (8), Hdr Ext Len (8, in 8-octet units not counting the first), ...;
     * Fragment header: Next Header (8), Reserved (8), Fragment Offset (13) | Res (2) | M (1), Identification (32).
     */
    private static DecodeStatus DecodeIPv6(in RawPacket packet, ReadOnlySpan<byte> ip, int wireRemaining, out TcpSegment segment)
    {
        const int headerLength = 40;
        const int payloadLengthOffset = 4;
        const int nextHeaderOffset = 6;
        const int sourceOffset = 8;
        const int destinationOffset = 24;
        const int fragmentHeaderLength = 8;

        segment = default;
        if (ip.Length < headerLength)
        {
            return DecodeStatus.Truncated;
        }
        if (ip[0] >> 4 != 6)
        {
            return DecodeStatus.Malformed;
        }
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[payloadLengthOffset..]);
        if (payloadLength == 0)
        {
            // A jumbogram or segmentation offload: the frame's length is the truth.
            payloadLength = wireRemaining - headerLength;
        }
        if (payloadLength < 0 || headerLength + payloadLength > wireRemaining)
        {
            return DecodeStatus.Malformed;
        }
        var next = ip[nextHeaderOffset];
        var offset = headerLength;
        var end = headerLength + payloadLength;
        for (var count = 0; next != ProtocolTcp; count++)
        {
            if (count >= MaxIPv6ExtensionHeaders)
            {
                return DecodeStatus.Malformed;
            }
            int length;
            switch (next)
            {
                case Ipv6HopByHop or Ipv6Routing or Ipv6DestinationOptions or Ipv6Mobility:
                    if (ip.Length < offset + 2)
                    {
                        return DecodeStatus.Truncated;
                    }
                    length = (ip[offset + 1] + 1) * 8;
                    break;
                case Ipv6Authentication:
                    if (ip.Length < offset + 2)
                    {
                        return DecodeStatus.Truncated;
                    }
                    length = (ip[offset + 1] + 2) * 4;
                    break;
                case Ipv6Fragment:
                {
                    if (ip.Length < offset + fragmentHeaderLength)
                    {
                        return DecodeStatus.Truncated;
                    }
                    var offsetAndFlags = BinaryPrimitives.ReadUInt16BigEndian(ip[(offset + 2)..]);
                    // An "atomic fragment" (offset 0, no more fragments, RFC 6946) is a whole packet.
                    if ((offsetAndFlags & 0xFFF9) != 0)
                    {
                        return DecodeStatus.IpFragment;
                    }
                    length = fragmentHeaderLength;
                    break;
                }
                default:
                    return DecodeStatus.NotTcp;
            }
            if (offset + length > end)
            {
                return DecodeStatus.Malformed;
            }
            next = ip[offset];
            offset += length;
        }
        if (ip.Length < offset)
        {
            return DecodeStatus.Truncated;
        }
        var source = BinaryPrimitives.ReadUInt128BigEndian(ip[sourceOffset..]);
        var destination = BinaryPrimitives.ReadUInt128BigEndian(ip[destinationOffset..]);
        var captured = ip[..Math.Min(end, ip.Length)];
        return DecodeTcp(packet, captured[offset..], end - offset, source, destination, isIPv6: true, out segment);
    }

    /*
     * TCP header (RFC 9293):
     *   0  Source Port (16)      2  Destination Port (16)
     *   4  Sequence Number (32)  8  Acknowledgment Number (32)
     *  12  Data Offset (4) | Reserved (3) | NS (1)   13  CWR ECE URG ACK PSH RST SYN FIN
     *  14  Window (16)  16  Checksum (16)  18  Urgent Pointer (16)  20  Options (Data Offset*4 - 20)
     */
    private static DecodeStatus DecodeTcp(in RawPacket packet, ReadOnlySpan<byte> tcp, int tcpLength, UInt128 sourceAddress,
        UInt128 destinationAddress, bool isIPv6, out TcpSegment segment)
    {
        const int minHeader = 20;
        const int seqOffset = 4;
        const int ackOffset = 8;
        const int dataOffsetOffset = 12;
        const int windowOffset = 14;

        segment = default;
        if (tcpLength < minHeader)
        {
            return DecodeStatus.Malformed;
        }
        if (tcp.Length < minHeader)
        {
            return DecodeStatus.Truncated;
        }
        var headerLength = (tcp[dataOffsetOffset] >> 4) * 4;
        if (headerLength < minHeader || headerLength > tcpLength)
        {
            return DecodeStatus.Malformed;
        }
        var flags = (TcpFlags)(BinaryPrimitives.ReadUInt16BigEndian(tcp[dataOffsetOffset..]) & 0x01FF);
        // Options cut by the snapshot length: the flags and numbers are still good; no payload was captured.
        var payload = tcp.Length >= headerLength ? tcp[headerLength..] : [];
        segment = new TcpSegment(
            packet.Number,
            packet.TimestampNanos,
            new NetEndpoint(sourceAddress, isIPv6, BinaryPrimitives.ReadUInt16BigEndian(tcp)),
            new NetEndpoint(destinationAddress, isIPv6, BinaryPrimitives.ReadUInt16BigEndian(tcp[2..])),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[seqOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[ackOffset..]),
            flags,
            BinaryPrimitives.ReadUInt16BigEndian(tcp[windowOffset..]),
            payload,
            tcpLength - headerLength);
        return DecodeStatus.Tcp;
    }
}
