using System.Net;
using PacketDotNet;
using PcapTls.Capture;
using CaptureLinkType = PcapTls.Capture.LinkType;

namespace PcapTls.Capture.Tests;

[TestClass]
public sealed class PacketDecoderTests
{
    private static readonly byte[] Payload = "\x16\x03\x01\x00\x05hello"u8.ToArray();

    /// <summary>TCP header, 20 bytes, no options.</summary>
    private static byte[] Tcp(ushort src = 51000, ushort dst = 443, uint seq = 0x01020304, uint ack = 0x0A0B0C0D, byte flags = 0x18, byte[]? payload = null, byte dataOffsetWords = 5) =>
    [
        (byte)(src >> 8), (byte)src,            // source port
        (byte)(dst >> 8), (byte)dst,            // destination port
        (byte)(seq >> 24), (byte)(seq >> 16), (byte)(seq >> 8), (byte)seq, // sequence number
        (byte)(ack >> 24), (byte)(ack >> 16), (byte)(ack >> 8), (byte)ack, // acknowledgment number
        (byte)(dataOffsetWords << 4),           // data offset (words), reserved, NS = 0
        flags,                                  // CWR ECE URG ACK PSH RST SYN FIN
        0xFF, 0xFF,                             // window
        0x00, 0x00,                             // checksum (not checked)
        0x00, 0x00,                             // urgent pointer
        .. new byte[Math.Max(0, dataOffsetWords - 5) * 4], // options (NOPs as zeros: not parsed)
        .. payload ?? Payload,
    ];

    /// <summary>IPv4 header (20 bytes + options) in front of a transport payload.</summary>
    private static byte[] IPv4(byte[] transport, byte protocol = 6, ushort flagsAndOffset = 0x4000, byte[]? options = null, int? totalLength = null)
    {
        options ??= [];
        var ihl = 5 + options.Length / 4;
        var total = totalLength ?? ihl * 4 + transport.Length;
        return
        [
            (byte)(0x40 | ihl), 0x00,               // version 4, IHL; DSCP/ECN
            (byte)(total >> 8), (byte)total,        // total length
            0x12, 0x34,                             // identification
            (byte)(flagsAndOffset >> 8), (byte)flagsAndOffset, // flags (DF) and fragment offset
            64, protocol,                           // TTL, protocol
            0xDE, 0xAD,                             // header checksum (deliberately wrong: not checked)
            10, 0, 0, 1,                            // source 10.0.0.1
            192, 168, 1, 2,                         // destination 192.168.1.2
            .. options,
            .. transport,
        ];
    }

    /// <summary>IPv6 header (40 bytes) and the given extension headers in front of a transport payload.</summary>
    private static byte[] IPv6(byte[] transport, byte nextHeader = 6, byte[]? extensions = null)
    {
        extensions ??= [];
        var length = extensions.Length + transport.Length;
        return
        [
            0x60, 0x00, 0x00, 0x00,                 // version 6, traffic class, flow label
            (byte)(length >> 8), (byte)length,      // payload length
            nextHeader, 64,                         // next header, hop limit
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // source 2001:db8::1
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, // destination 2001:db8::2
            .. extensions,
            .. transport,
        ];
    }

    private static byte[] Ethernet(ushort etherType, byte[] body, params ushort[] vlanTpids)
    {
        var b = new List<byte>
        {
            0, 0x11, 0x22, 0x33, 0x44, 0x55,        // destination MAC
            0, 0x66, 0x77, 0x88, 0x99, 0xAA,        // source MAC
        };
        foreach (var tpid in vlanTpids)
        {
            b.AddRange([(byte)(tpid >> 8), (byte)tpid, 0x00, 0x64]); // TPID, TCI (VLAN 100)
        }
        b.AddRange([(byte)(etherType >> 8), (byte)etherType]);
        b.AddRange(body);
        return [.. b];
    }

    private static DecodeStatus Decode(CaptureLinkType linkType, byte[] frame, out TcpSegmentCopy copy, int? originalLength = null)
    {
        var packet = new RawPacket(7, 1_000, linkType, frame, originalLength ?? frame.Length, 0);
        var status = PacketDecoder.TryDecodeTcp(packet, out var s);
        copy = status == DecodeStatus.Tcp ? new TcpSegmentCopy(s) : default;
        return status;
    }

    private readonly record struct TcpSegmentCopy(long Number, NetEndpoint Source, NetEndpoint Destination, uint Seq, uint Ack, TcpFlags Flags, ushort Window, byte[] Payload, int PayloadOriginalLength)
    {
        public TcpSegmentCopy(TcpSegment s) : this(s.Number, s.Source, s.Destination, s.Seq, s.Ack, s.Flags, s.Window, s.Payload.ToArray(), s.PayloadOriginalLength) { }
    }

    private static void AssertIPv4Segment(TcpSegmentCopy s)
    {
        Assert.AreEqual("10.0.0.1:51000", s.Source.ToString());
        Assert.AreEqual("192.168.1.2:443", s.Destination.ToString());
        Assert.AreEqual(0x01020304u, s.Seq);
        Assert.AreEqual(0x0A0B0C0Du, s.Ack);
        Assert.AreEqual(TcpFlags.Ack | TcpFlags.Psh, s.Flags);
        Assert.AreEqual(0xFFFF, s.Window);
        CollectionAssert.AreEqual(Payload, s.Payload);
        Assert.AreEqual(Payload.Length, s.PayloadOriginalLength);
        Assert.AreEqual(7, s.Number);
    }

    [TestMethod]
    public void EthernetIPv4TcpWithPaddingTrimmedByTotalLength()
    {
        // 14 + 20 + 20 + 10 = 64 bytes; add 6 bytes of Ethernet padding / FCS garbage that must not become payload.
        var frame = Ethernet(0x0800, [.. IPv4(Tcp()), 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE]);
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Ethernet, frame, out var s));
        AssertIPv4Segment(s);
    }

    [TestMethod]
    [DataRow((ushort)0x8100)]
    [DataRow((ushort)0x88A8, (ushort)0x8100)]
    [DataRow((ushort)0x9100, (ushort)0x8100)]
    public void VlanTagsAreSkipped(ushort outer, ushort inner = 0)
    {
        var tags = inner == 0 ? new[] { outer } : new[] { outer, inner };
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Ethernet, Ethernet(0x0800, IPv4(Tcp()), tags), out var s));
        AssertIPv4Segment(s);
    }

    [TestMethod]
    public void TooManyVlanTagsIsMalformed()
    {
        var tags = Enumerable.Repeat((ushort)0x8100, PacketDecoder.MaxVlanTags + 1).ToArray();
        Assert.AreEqual(DecodeStatus.Malformed, Decode(CaptureLinkType.Ethernet, Ethernet(0x0800, IPv4(Tcp()), tags), out _));
    }

    [TestMethod]
    public void LinuxCookedV1AndV2()
    {
        byte[] sll =
        [
            0x00, 0x00,                             // packet type: to us
            0x03, 0x04,                             // ARPHRD_LOOPBACK (772)
            0x00, 0x06,                             // address length
            0, 0, 0, 0, 0, 0, 0, 0,                 // address (8, padded)
            0x08, 0x00,                             // protocol: IPv4
            .. IPv4(Tcp()),
        ];
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.LinuxSll, sll, out var s1));
        AssertIPv4Segment(s1);

        byte[] sll2 =
        [
            0x86, 0xDD,                             // protocol: IPv6
            0x00, 0x00,                             // reserved
            0x00, 0x00, 0x00, 0x01,                 // interface index
            0x03, 0x04,                             // ARPHRD_LOOPBACK
            0x00,                                   // packet type
            0x06,                                   // address length
            0, 0, 0, 0, 0, 0, 0, 0,                 // address
            .. IPv6(Tcp()),
        ];
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.LinuxSll2, sll2, out var s2));
        Assert.AreEqual("[2001:db8::1]:51000", s2.Source.ToString());
        Assert.AreEqual("[2001:db8::2]:443", s2.Destination.ToString());
        Assert.IsTrue(s2.Source.IsIPv6);
        CollectionAssert.AreEqual(Payload, s2.Payload);
    }

    [TestMethod]
    public void RawIPLinkTypes()
    {
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Raw, IPv4(Tcp()), out var a));
        AssertIPv4Segment(a);
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Raw, IPv6(Tcp()), out var b));
        Assert.IsTrue(b.Source.IsIPv6);
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Ipv4, IPv4(Tcp()), out _));
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Ipv6, IPv6(Tcp()), out _));
        Assert.AreEqual(DecodeStatus.NotIp, Decode(CaptureLinkType.Raw, [0x50, 0, 0, 0], out _));
    }

    [TestMethod]
    [DataRow(CaptureLinkType.Null, new byte[] { 2, 0, 0, 0 }, false)]   // AF_INET, little-endian host
    [DataRow(CaptureLinkType.Null, new byte[] { 0, 0, 0, 2 }, false)]   // AF_INET, big-endian host
    [DataRow(CaptureLinkType.Loop, new byte[] { 0, 0, 0, 2 }, false)]   // LOOP: network byte order
    [DataRow(CaptureLinkType.Null, new byte[] { 24, 0, 0, 0 }, true)]   // AF_INET6 (NetBSD/OpenBSD)
    [DataRow(CaptureLinkType.Null, new byte[] { 28, 0, 0, 0 }, true)]   // AF_INET6 (FreeBSD)
    [DataRow(CaptureLinkType.Null, new byte[] { 0, 0, 0, 30 }, true)]   // AF_INET6 (macOS), big-endian
    [DataRow(CaptureLinkType.Loop, new byte[] { 0, 0, 0, 30 }, true)]
    public void BsdLoopbackFamilies(CaptureLinkType linkType, byte[] family, bool v6)
    {
        var frame = (byte[])[.. family, .. v6 ? IPv6(Tcp()) : IPv4(Tcp())];
        Assert.AreEqual(DecodeStatus.Tcp, Decode(linkType, frame, out var s));
        Assert.AreEqual(v6, s.Source.IsIPv6);
        Assert.AreEqual(DecodeStatus.NotIp, Decode(linkType, [7, 0, 0, 0, .. IPv4(Tcp())], out _));
    }

    [TestMethod]
    public void IPv4OptionsAreSkipped()
    {
        byte[] options = [0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00]; // router alert, NOP NOP NOP, EOL
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Ipv4, IPv4(Tcp(), options: options), out var s));
        AssertIPv4Segment(s);
    }

    [TestMethod]
    [DataRow((ushort)0x2000)] // more fragments, offset 0
    [DataRow((ushort)0x0010)] // last fragment, offset 16 (x8 bytes)
    public void IPv4FragmentsAreReportedNotDecoded(ushort flagsAndOffset)
    {
        Assert.AreEqual(DecodeStatus.IpFragment, Decode(CaptureLinkType.Ipv4, IPv4(Tcp(), flagsAndOffset: flagsAndOffset), out _));
    }

    [TestMethod]
    public void IPv6ExtensionHeadersAreWalked()
    {
        byte[] extensions =
        [
            0, 0, 1, 4, 0, 0, 0, 0,                     // hop-by-hop: next = destination options (60)... see below
        ];
        extensions[0] = 43;                             // next header: routing
        byte[] routing = [60, 0, 0, 0, 0, 0, 0, 0];     // routing: next = destination options, length 0 (8 bytes)
        byte[] destination = [6, 1, .. new byte[14]];   // destination options: next = TCP, length 1 (16 bytes)
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Ipv6, IPv6(Tcp(), nextHeader: 0, extensions: [.. extensions, .. routing, .. destination]), out var s));
        CollectionAssert.AreEqual(Payload, s.Payload);
        Assert.AreEqual(Payload.Length, s.PayloadOriginalLength);
    }

    [TestMethod]
    public void IPv6FragmentHeader()
    {
        byte[] fragment = [6, 0, 0x00, 0x01, 0, 0, 0, 1];   // next TCP, offset 0, M = 1, identification 1
        Assert.AreEqual(DecodeStatus.IpFragment, Decode(CaptureLinkType.Ipv6, IPv6(Tcp(), nextHeader: 44, extensions: fragment), out _));
        byte[] atomic = [6, 0, 0x00, 0x00, 0, 0, 0, 1];     // offset 0, M = 0: a whole packet (RFC 6946)
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Ipv6, IPv6(Tcp(), nextHeader: 44, extensions: atomic), out _));
    }

    [TestMethod]
    public void TooManyIPv6ExtensionHeadersIsMalformed()
    {
        var chain = new List<byte>();
        for (var i = 0; i < PacketDecoder.MaxIPv6ExtensionHeaders + 1; i++)
        {
            chain.AddRange([60, 0, 0, 0, 0, 0, 0, 0]);      // destination options pointing at another one
        }
        Assert.AreEqual(DecodeStatus.Malformed, Decode(CaptureLinkType.Ipv6, IPv6(Tcp(), nextHeader: 60, extensions: [.. chain]), out _));
    }

    [TestMethod]
    public void NotIpNotTcpAndUnsupported()
    {
        Assert.AreEqual(DecodeStatus.NotIp, Decode(CaptureLinkType.Ethernet, Ethernet(0x0806, new byte[28]), out _)); // ARP
        Assert.AreEqual(DecodeStatus.NotIp, Decode(CaptureLinkType.Ethernet, Ethernet(0x0030, new byte[48]), out _)); // 802.3 length
        Assert.AreEqual(DecodeStatus.NotTcp, Decode(CaptureLinkType.Ipv4, IPv4(new byte[8], protocol: 17), out _));   // UDP
        Assert.AreEqual(DecodeStatus.NotTcp, Decode(CaptureLinkType.Ipv6, IPv6(new byte[8], nextHeader: 58), out _)); // ICMPv6
        Assert.AreEqual(DecodeStatus.UnsupportedLinkType, Decode((CaptureLinkType)147, IPv4(Tcp()), out _));          // USER0
    }

    [TestMethod]
    public void SelfContradictingHeadersAreMalformed()
    {
        var badIhl = IPv4(Tcp());
        badIhl[0] = 0x44;                                                   // IHL 4 words < 20 bytes
        Assert.AreEqual(DecodeStatus.Malformed, Decode(CaptureLinkType.Ipv4, badIhl, out _));
        Assert.AreEqual(DecodeStatus.Malformed, Decode(CaptureLinkType.Ipv4, IPv4(Tcp(), totalLength: 10), out _));   // total < header
        Assert.AreEqual(DecodeStatus.Malformed, Decode(CaptureLinkType.Ipv4, IPv4(Tcp(), totalLength: 4000), out _)); // beyond the wire length
        Assert.AreEqual(DecodeStatus.Malformed, Decode(CaptureLinkType.Ipv4, IPv4(Tcp(dataOffsetWords: 4)), out _));  // TCP header < 20
        var longHeader = Tcp(payload: []);
        longHeader[12] = 0xF0;                                              // data offset 15 words in a 20-byte segment
        Assert.AreEqual(DecodeStatus.Malformed, Decode(CaptureLinkType.Ipv4, IPv4(longHeader), out _));
        var v6InV4 = IPv6(Tcp());
        Assert.AreEqual(DecodeStatus.Malformed, Decode(CaptureLinkType.Ipv4, v6InV4, out _));
    }

    [TestMethod]
    public void ZeroTotalLengthFromSegmentationOffloadUsesTheFrameLength()
    {
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Ipv4, IPv4(Tcp(), totalLength: 0), out var s));
        AssertIPv4Segment(s);
    }

    [TestMethod]
    public void SnapLengthCutKeepsHeadersAndReportsTheOriginalPayloadLength()
    {
        var full = Ethernet(0x0800, IPv4(Tcp()));
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Ethernet, full[..(full.Length - 4)], out var s, originalLength: full.Length));
        Assert.AreEqual(Payload.Length - 4, s.Payload.Length);
        Assert.AreEqual(Payload.Length, s.PayloadOriginalLength);
    }

    [TestMethod]
    public void EveryPrefixOfEveryFrameDecodesWithoutThrowing()
    {
        var frames = new (CaptureLinkType, byte[])[]
        {
            (CaptureLinkType.Ethernet, Ethernet(0x0800, IPv4(Tcp(dataOffsetWords: 8)), 0x88A8, 0x8100)),
            (CaptureLinkType.Ethernet, Ethernet(0x86DD, IPv6(Tcp(), nextHeader: 60, extensions: [6, 0, 0, 0, 0, 0, 0, 0]))),
            (CaptureLinkType.LinuxSll, [0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00, .. IPv4(Tcp())]),
            (CaptureLinkType.LinuxSll2, [0x08, 0x00, 0, 0, 0, 0, 0, 1, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, .. IPv4(Tcp())]),
            (CaptureLinkType.Null, [2, 0, 0, 0, .. IPv4(Tcp(), options: [1, 1, 1, 0])]),
            (CaptureLinkType.Raw, IPv6(Tcp())),
        };
        foreach (var (linkType, frame) in frames)
        {
            for (var n = 0; n <= frame.Length; n++)
            {
                var status = Decode(linkType, frame[..n], out var s, originalLength: frame.Length);
                if (n == frame.Length)
                {
                    Assert.AreEqual(DecodeStatus.Tcp, status, $"{linkType} full");
                    CollectionAssert.AreEqual(Payload, s.Payload);
                }
                else if (status == DecodeStatus.Tcp)
                {
                    Assert.IsTrue(s.Payload.Length < Payload.Length, $"{linkType} prefix {n}");
                    Assert.AreEqual(Payload.Length, s.PayloadOriginalLength);
                }
                else
                {
                    Assert.AreEqual(DecodeStatus.Truncated, status, $"{linkType} prefix {n}");
                }
            }
        }
    }

    [TestMethod]
    public void FlagsCarryTheirWireValues()
    {
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Ipv4, IPv4(Tcp(flags: 0xFF)), out var s));
        Assert.AreEqual(TcpFlags.Fin | TcpFlags.Syn | TcpFlags.Rst | TcpFlags.Psh | TcpFlags.Ack | TcpFlags.Urg | TcpFlags.Ece | TcpFlags.Cwr, s.Flags);
        var ns = IPv4(Tcp(flags: 0x02));
        ns[20 + 12] |= 0x01;                                   // the NS bit, low bit of the data-offset byte
        Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Ipv4, ns, out var t));
        Assert.AreEqual(TcpFlags.Syn | TcpFlags.Ns, t.Flags);
    }

    // ---- PacketDotNet as an oracle ------------------------------------------------------------------

    [TestMethod]
    public void AgreesWithPacketDotNetOnRandomSegments()
    {
        var random = new Random(1234);
        for (var i = 0; i < 200; i++)
        {
            var v6 = i % 2 == 1;
            var payload = new byte[random.Next(0, 1400)];
            random.NextBytes(payload);
            var tcp = new TcpPacket((ushort)random.Next(1, 65536), (ushort)random.Next(1, 65536))
            {
                SequenceNumber = (uint)random.NextInt64(0, uint.MaxValue),
                AcknowledgmentNumber = (uint)random.NextInt64(0, uint.MaxValue),
                Flags = (ushort)random.Next(0, 0x100),
                WindowSize = (ushort)random.Next(0, 65536),
                PayloadData = payload,
            };
            var srcBytes = new byte[v6 ? 16 : 4];
            var dstBytes = new byte[v6 ? 16 : 4];
            random.NextBytes(srcBytes);
            random.NextBytes(dstBytes);
            IPPacket ip = v6
                ? new IPv6Packet(new IPAddress(srcBytes), new IPAddress(dstBytes))
                : new IPv4Packet(new IPAddress(srcBytes), new IPAddress(dstBytes));
            ip.PayloadPacket = tcp;
            var eth = new EthernetPacket(
                System.Net.NetworkInformation.PhysicalAddress.Parse("00-11-22-33-44-55"),
                System.Net.NetworkInformation.PhysicalAddress.Parse("66-77-88-99-AA-BB"),
                v6 ? EthernetType.IPv6 : EthernetType.IPv4)
            { PayloadPacket = ip };
            ip.UpdateCalculatedValues();
            if (ip is IPv4Packet v4)
            {
                v4.UpdateIPChecksum();
            }
            var bytes = eth.Bytes;

            Assert.AreEqual(DecodeStatus.Tcp, Decode(CaptureLinkType.Ethernet, bytes, out var s), $"case {i}");
            var oracle = Packet.ParsePacket(PacketDotNet.LinkLayers.Ethernet, bytes).Extract<TcpPacket>();
            var oracleIp = (IPPacket)oracle.ParentPacket;
            Assert.AreEqual(oracleIp.SourceAddress, s.Source.ToIPAddress(), $"case {i}");
            Assert.AreEqual(oracleIp.DestinationAddress, s.Destination.ToIPAddress(), $"case {i}");
            Assert.AreEqual(oracle.SourcePort, s.Source.Port);
            Assert.AreEqual(oracle.DestinationPort, s.Destination.Port);
            Assert.AreEqual(oracle.SequenceNumber, s.Seq);
            Assert.AreEqual(oracle.AcknowledgmentNumber, s.Ack);
            Assert.AreEqual(oracle.Flags & 0xFF, (int)s.Flags & 0xFF);
            Assert.AreEqual(oracle.WindowSize, s.Window);
            CollectionAssert.AreEqual(oracle.PayloadData ?? [], s.Payload, $"case {i}");
        }
    }
}
