using System.Buffers.Binary;
using PcapTls.Capture.Encapsulations;

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
    /// <summary>A header names a payload type no decoder knows (an EtherType, GRE or PPP protocol, ...):
    /// <see cref="DecodeDetail.UnknownTable"/> and <see cref="DecodeDetail.UnknownValue"/> say which.</summary>
    UnknownEncapsulation,
}

/// <summary>More about a frame than its status: the unknown identifier, or where an IP fragment starts.</summary>
public readonly struct DecodeDetail
{
    internal DecodeDetail(DispatchTable table, uint value, int ipOffset, bool isIPv6, EncapsulationPath path)
    {
        UnknownTable = table;
        UnknownValue = value;
        IpOffset = ipOffset;
        IsIPv6 = isIPv6;
        Path = path;
    }

    public DispatchTable UnknownTable { get; }

    public uint UnknownValue { get; }

    /// <summary>For <see cref="DecodeStatus.IpFragment"/>: where the fragment's IP header starts in the frame.</summary>
    public int IpOffset { get; }

    public bool IsIPv6 { get; }

    /// <summary>The headers decoded before the status was decided.</summary>
    public EncapsulationPath Path { get; }
}

/// <summary>A decoded TCP segment; the payload span points into the frame and is valid as long as it is.</summary>
public readonly ref struct TcpSegment
{
    public TcpSegment(long number, long timestampNanos, NetEndpoint source, NetEndpoint destination, uint seq, uint ack,
        TcpFlags flags, ushort window, ReadOnlySpan<byte> payload, int payloadOriginalLength, EncapsulationPath path = default)
    {
        Path = path;
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

    /// <summary>The headers the segment was found under, and its tunnel context.</summary>
    public EncapsulationPath Path { get; }

    public bool IsPayloadTruncated => PayloadOriginalLength > Payload.Length;

    public bool Has(TcpFlags flag) => (Flags & flag) == flag;
}

/// <summary>
/// Decodes a frame's headers down to the innermost TCP segment without allocating: each header is one decoder
/// in <c>Encapsulations/</c>, and which decoder comes next is a table lookup (<see cref="Dispatch"/>), for at most
/// <see cref="EncapsulationPath.MaxLayers"/> headers. Checksums are not verified (offloading makes them wrong in
/// most captures taken on the sending host).
/// </summary>
public static class PacketDecoder
{
    /// <summary>More stacked VLAN tags than this is not a real frame.</summary>
    public const int MaxVlanTags = FrameWalk.MaxVlanTags;

    /// <summary>More IPv6 extension headers than this is not a real packet (and bounds the walk).</summary>
    public const int MaxIPv6ExtensionHeaders = IPv6Decoder.MaxExtensionHeaders;

    public static DecodeStatus TryDecodeTcp(in RawPacket packet, out TcpSegment segment) => TryDecodeTcp(packet, out segment, out _);

    public static DecodeStatus TryDecodeTcp(in RawPacket packet, out TcpSegment segment, out DecodeDetail detail)
    {
        var first = LinkLayers.First(packet.LinkType);
        if (first == Layer.None)
        {
            segment = default;
            detail = default;
            return DecodeStatus.UnsupportedLinkType;
        }
        var walk = new FrameWalk(packet.Data, packet.OriginalLength, first);
        return Walk(ref walk, packet.Number, packet.TimestampNanos, out segment, out detail);
    }

    /// <summary>Decodes a reassembled IP datagram as if it had been found under <paramref name="outer"/>.</summary>
    public static DecodeStatus TryDecodeDatagram(ReadOnlySpan<byte> datagram, bool isIPv6, scoped in EncapsulationPath outer, long number,
        long timestampNanos, out TcpSegment segment, out DecodeDetail detail)
    {
        var walk = new FrameWalk(datagram, datagram.Length, isIPv6 ? Layer.IPv6 : Layer.IPv4) { Path = outer };
        return Walk(ref walk, number, timestampNanos, out segment, out detail);
    }

    private static DecodeStatus Walk(scoped ref FrameWalk w, long number, long timestampNanos, out TcpSegment segment, out DecodeDetail detail)
    {
        segment = default;
        detail = default;
        for (var steps = 0; steps <= EncapsulationPath.MaxLayers; steps++)
        {
            var outcome = w.Next switch
            {
                Layer.Ethernet => EthernetDecoder.Decode(ref w),
                Layer.IPv4 => IPv4Decoder.Decode(ref w),
                Layer.IPv6 => IPv6Decoder.Decode(ref w),
                Layer.Tcp => LayerOutcome.Continue,
                Layer.Vlan or Layer.QinQ => VlanDecoder.Decode(ref w),
                Layer.LinuxSll => LinuxSllDecoder.DecodeSll(ref w),
                Layer.LinuxSll2 => LinuxSllDecoder.DecodeSll2(ref w),
                Layer.IPByVersion => ByVersion(ref w),
                Layer.BsdLoopback => BsdLoopbackDecoder.Decode(ref w),
                Layer.Udp => UdpDecoder.Decode(ref w),
                Layer.Vxlan => VxlanDecoder.Decode(ref w),
                Layer.Geneve => GeneveDecoder.Decode(ref w),
                Layer.Gre => GreDecoder.Decode(ref w),
                Layer.ErspanII => ErspanDecoder.DecodeTypeII(ref w),
                Layer.ErspanIII => ErspanDecoder.DecodeTypeIII(ref w),
                Layer.Mpls => MplsDecoder.Decode(ref w),
                Layer.PppoeSession => PppoeDecoder.Decode(ref w),
                Layer.Ppp => PppDecoder.Decode(ref w),
                Layer.CiscoHdlc => CiscoHdlcDecoder.Decode(ref w),
                Layer.LlcSnap => LlcSnapDecoder.Decode(ref w),
                Layer.GtpU => GtpUDecoder.Decode(ref w),
                Layer.Nflog => NflogDecoder.Decode(ref w),
                Layer.Ieee80211 => Ieee80211Decoder.Decode(ref w),
                Layer.Radiotap => RadiotapDecoder.Decode(ref w),
                Layer.Ppi => PpiDecoder.Decode(ref w),
                _ => LayerOutcome.Malformed,
            };
            switch (outcome)
            {
                case LayerOutcome.Continue:
                    if (w.Next == Layer.Tcp)
                    {
                        return DecodeTcp(number, timestampNanos, w.Data, w.WireLength, w.Source, w.Destination, w.IsIPv6, w.Path, out segment);
                    }
                    continue;
                case LayerOutcome.NotIp:
                    return w.HasIp ? DecodeStatus.NotTcp : DecodeStatus.NotIp;
                case LayerOutcome.NotTcp:
                    return DecodeStatus.NotTcp;
                case LayerOutcome.Truncated:
                    return DecodeStatus.Truncated;
                case LayerOutcome.Unknown:
                    detail = new DecodeDetail(w.UnknownTable, w.UnknownValue, 0, false, w.Path);
                    return DecodeStatus.UnknownEncapsulation;
                case LayerOutcome.Fragment:
                    detail = new DecodeDetail(default, 0, w.IpOffset, w.IsIPv6, w.Path);
                    return DecodeStatus.IpFragment;
                default:
                    return DecodeStatus.Malformed;
            }
        }
        return DecodeStatus.Malformed;
    }

    private static LayerOutcome ByVersion(ref FrameWalk w)
    {
        if (w.Data.Length < 1)
        {
            return LayerOutcome.Truncated;
        }
        return (w.Data[0] >> 4) switch
        {
            4 => w.Consume(0, Layer.IPv4),
            6 => w.Consume(0, Layer.IPv6),
            _ => LayerOutcome.NotIp,
        };
    }

    /*
     * TCP header (RFC 9293):
     *   0  Source Port (16)      2  Destination Port (16)
     *   4  Sequence Number (32)  8  Acknowledgment Number (32)
     *  12  Data Offset (4) | Reserved (3) | NS (1)   13  CWR ECE URG ACK PSH RST SYN FIN
     *  14  Window (16)  16  Checksum (16)  18  Urgent Pointer (16)  20  Options (Data Offset*4 - 20)
     */
    private static DecodeStatus DecodeTcp(long number, long timestampNanos, ReadOnlySpan<byte> tcp, int tcpLength, UInt128 sourceAddress,
        UInt128 destinationAddress, bool isIPv6, scoped in EncapsulationPath path, out TcpSegment segment)
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
            number,
            timestampNanos,
            new NetEndpoint(sourceAddress, isIPv6, BinaryPrimitives.ReadUInt16BigEndian(tcp)),
            new NetEndpoint(destinationAddress, isIPv6, BinaryPrimitives.ReadUInt16BigEndian(tcp[2..])),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[seqOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[ackOffset..]),
            flags,
            BinaryPrimitives.ReadUInt16BigEndian(tcp[windowOffset..]),
            payload,
            tcpLength - headerLength,
            path);
        return DecodeStatus.Tcp;
    }
}
