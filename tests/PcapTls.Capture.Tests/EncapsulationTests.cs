using PcapTls.Capture.Encapsulations;
using CaptureLinkType = PcapTls.Capture.LinkType;

namespace PcapTls.Capture.Tests;

[TestClass]
public sealed class EncapsulationTests
{
    private static readonly byte[] InnerTcp =
    [
        0x45, 0x00, 0x00, 0x28, 0, 0, 0x40, 0x00, 64, 6, 0, 0, // IPv4, total length 40, DF, TCP
        10, 0, 0, 1, 10, 0, 0, 2,                             // 10.0.0.1 -> 10.0.0.2
        0xC3, 0x50, 0x01, 0xBB,                               // ports 50000 -> 443
        0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0, // seq 1, data offset 5, SYN
    ];

    private static byte[] Ethernet(ushort etherType, byte[] body) =>
        [0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10, (byte)(etherType >> 8), (byte)etherType, .. body];

    private static byte[] Vxlan(uint vni, byte[] innerFrame)
    {
        byte[] udp = [0x30, 0x39, 0x12, 0xB5, (byte)((16 + innerFrame.Length) >> 8), (byte)(16 + innerFrame.Length), 0, 0, // UDP 12345 -> 4789
            0x08, 0, 0, 0, (byte)(vni >> 16), (byte)(vni >> 8), (byte)vni, 0]; // VXLAN flags I, VNI
        var total = 20 + udp.Length + innerFrame.Length;
        return [0x45, 0, (byte)(total >> 8), (byte)total, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, .. udp, .. innerFrame];
    }

    private static (DecodeStatus, string, ulong, string) Decode(byte[] frame)
    {
        var status = PacketDecoder.TryDecodeTcp(new RawPacket(1, 0, CaptureLinkType.Ethernet, frame, frame.Length, 0), out var s, out _);
        return (status, status == DecodeStatus.Tcp ? s.Path.ToString() : "", s.Path.TunnelContext, status == DecodeStatus.Tcp ? s.Source.ToString() : "");
    }

    [TestMethod]
    public void VxlanInVlanReachesTheInnerTcpAndNamesThePath()
    {
        byte[] vlan10 = [0x00, 0x0A, 0x08, 0x00]; // TCI: VLAN 10; EtherType IPv4
        var (status, path, context, source) = Decode(Ethernet(0x8100, [.. vlan10, .. Vxlan(42, Ethernet(0x0800, InnerTcp))]));
        Assert.AreEqual(DecodeStatus.Tcp, status);
        Assert.AreEqual("ethernet/vlan 10/ipv4/vxlan 42/ethernet/ipv4", path);
        Assert.AreEqual("10.0.0.1:50000", source);
        Assert.AreNotEqual(0UL, context);
    }

    [TestMethod]
    public void TwoVnisGiveTwoTunnelContexts()
    {
        var a = Decode(Ethernet(0x0800, Vxlan(42, Ethernet(0x0800, InnerTcp))));
        var b = Decode(Ethernet(0x0800, Vxlan(43, Ethernet(0x0800, InnerTcp))));
        Assert.AreEqual(DecodeStatus.Tcp, a.Item1);
        Assert.AreEqual(DecodeStatus.Tcp, b.Item1);
        Assert.AreNotEqual(a.Item3, b.Item3);
        Assert.AreEqual(0UL, Decode(Ethernet(0x0800, InnerTcp)).Item3, "plain Ethernet has no tunnel context");
    }

    [TestMethod]
    public void UnknownEtherTypeIsReportedWithItsValue()
    {
        var frame = Ethernet(0x88B7, InnerTcp);
        Assert.AreEqual(DecodeStatus.UnknownEncapsulation, PacketDecoder.TryDecodeTcp(new RawPacket(1, 0, CaptureLinkType.Ethernet, frame, frame.Length, 0), out _, out var detail));
        Assert.AreEqual(DispatchTable.EtherType, detail.UnknownTable);
        Assert.AreEqual(0x88B7u, detail.UnknownValue);
        Assert.AreEqual(DecodeStatus.NotIp, PacketDecoder.TryDecodeTcp(new RawPacket(1, 0, CaptureLinkType.Ethernet, Ethernet(0x0806, InnerTcp), 54, 0), out _), "ARP is known");
    }

    [TestMethod]
    public void AnMplsControlWordCutShortIsATruncatedFrame()
    {
        // Found by tools/fuzz (encap): the bottom label (S bit set), then a first nibble 0 (a pseudo-wire control
        // word) with only 3 bytes left. The control word was consumed past the frame's end and threw.
        var frame = Ethernet(0x8847, [0x00, 0x01, 0x01, 0x40, 0x00, 0x00, 0x00]);
        Assert.AreEqual(DecodeStatus.Truncated, PacketDecoder.TryDecodeTcp(new RawPacket(1, 0, CaptureLinkType.Ethernet, frame, frame.Length, 0), out _));
    }

    private static byte[] IpInIp(byte[] inner)
    {
        var total = 20 + inner.Length;
        return [0x45, 0, (byte)(total >> 8), (byte)total, 0, 0, 0x40, 0, 64, 4, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, .. inner];
    }

    private static DecodeStatus Status(byte[] frame) =>
        PacketDecoder.TryDecodeTcp(new RawPacket(1, 0, CaptureLinkType.Ethernet, frame, frame.Length, 0), out _);

    [TestMethod]
    public void AnMplsStackOfMaxLabelsDecodesAndOneMoreIsMalformed()
    {
        static byte[] Stack(int labels) => [.. Enumerable.Range(0, labels).SelectMany(i =>
            new byte[] { 0x00, (byte)(0x10 + i), (byte)(i == labels - 1 ? 0x01 : 0x00), 0x40 }), .. InnerTcp];
        var (status, path, _, _) = Decode(Ethernet(0x8847, Stack(MplsDecoder.MaxLabels)));
        Assert.AreEqual(DecodeStatus.Tcp, status);
        Assert.AreEqual(MplsDecoder.MaxLabels, path.Split('/').Count(p => p.StartsWith("mpls", StringComparison.Ordinal)), path);
        Assert.AreEqual(DecodeStatus.Malformed, Status(Ethernet(0x8847, Stack(MplsDecoder.MaxLabels + 1))));
        Assert.AreEqual(DecodeStatus.Malformed, Status(Ethernet(0x8847, Stack(1000))), "a hostile stack is refused, not walked");
    }

    [TestMethod]
    public void IpInIpNestedBeyondMaxLayersIsMalformedNotWalked()
    {
        var frame = InnerTcp;
        for (var depth = 1; depth <= 200; depth++)
        {
            frame = IpInIp(frame);
            var status = Status(Ethernet(0x0800, frame));
            // ethernet + the outer IPv4 headers + the inner IPv4: within the bound it is TCP, beyond it malformed.
            var layers = 1 + depth + 1;
            Assert.AreEqual(layers <= EncapsulationPath.MaxLayers ? DecodeStatus.Tcp : DecodeStatus.Malformed, status, $"depth {depth}");
        }
    }

    [TestMethod]
    public void EveryTruncatedPrefixIsAStatusNotAnException()
    {
        var frame = Ethernet(0x0800, Vxlan(42, Ethernet(0x8100, [0, 5, 0x08, 0x00, .. InnerTcp])));
        for (var n = 0; n < frame.Length; n++)
        {
            var status = PacketDecoder.TryDecodeTcp(new RawPacket(1, 0, CaptureLinkType.Ethernet, frame.AsSpan(0, n), frame.Length, 0), out _);
            Assert.AreNotEqual(DecodeStatus.Tcp, status, $"prefix {n}");
        }
    }
}
