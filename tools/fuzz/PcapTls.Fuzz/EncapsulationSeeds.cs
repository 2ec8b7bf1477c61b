namespace PcapTls.Fuzz;

/// <summary>
/// Seeds of the `encap` target: one frame per encapsulation the decoder knows, each ending in the same small
/// IPv4/TCP segment, prefixed by the selector byte of its link type (<see cref="SurfaceTargets.LinkTypes"/>).
/// The kernel here builds few of these tunnels, so the frames are written from the specifications.
/// </summary>
internal static class EncapsulationSeeds
{
    private static readonly byte[] Tcp =
    [
        0xC3, 0x50, 0x01, 0xBB, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xFF, 0xFF, 0, 0, 0, 0, // 50000 -> 443, PSH/ACK
        0x16, 0x03, 0x01, 0x00, 0x01, 0x01, // a TLS record header and one byte
    ];

    private static byte[] Ipv4(byte protocol, byte[] body)
    {
        var total = 20 + body.Length;
        return [0x45, 0, (byte)(total >> 8), (byte)total, 0, 0, 0x40, 0, 64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, .. body];
    }

    private static byte[] Ipv6(byte next, byte[] body) =>
        [0x60, 0, 0, 0, (byte)(body.Length >> 8), (byte)body.Length, next, 64, .. new byte[15], 1, .. new byte[15], 2, .. body];

    private static byte[] Ethernet(ushort etherType, byte[] body) =>
        [0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10, (byte)(etherType >> 8), (byte)etherType, .. body];

    private static byte[] Udp(ushort port, byte[] body)
    {
        var length = 8 + body.Length;
        return [0x30, 0x39, (byte)(port >> 8), (byte)port, (byte)(length >> 8), (byte)length, 0, 0, .. body];
    }

    private static readonly byte[] InnerIpv4 = Ipv4(6, Tcp);

    private static readonly byte[] InnerEthernet = Ethernet(0x0800, InnerIpv4);

    public static IEnumerable<(string Name, byte[] Input)> All()
    {
        yield return ("ethernet", [0, .. InnerEthernet]);
        yield return ("ethernet-ipv6", [0, .. Ethernet(0x86DD, Ipv6(6, Tcp))]);
        yield return ("vlan", [0, .. Ethernet(0x8100, [0x00, 0x0A, 0x08, 0x00, .. InnerIpv4])]);
        yield return ("qinq", [0, .. Ethernet(0x88A8, [0x00, 0x64, 0x81, 0x00, 0x00, 0x0A, 0x08, 0x00, .. InnerIpv4])]);
        yield return ("mpls", [0, .. Ethernet(0x8847, [0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40, .. InnerIpv4])]);
        yield return ("mpls-pw", [0, .. Ethernet(0x8847, [0x00, 0x02, 0x01, 0x40, 0, 0, 0, 0, .. InnerEthernet])]);
        yield return ("pppoe", [0, .. Ethernet(0x8864, [0x11, 0x00, 0x00, 0x01, (byte)((InnerIpv4.Length + 2) >> 8), (byte)(InnerIpv4.Length + 2), 0x00, 0x21, .. InnerIpv4])]);
        yield return ("gre", [0, .. Ethernet(0x0800, Ipv4(47, [0x00, 0x00, 0x08, 0x00, .. InnerIpv4]))]);
        yield return ("gre-key-seq-csum", [0, .. Ethernet(0x0800, Ipv4(47, [0xB0, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1, .. InnerIpv4]))]);
        yield return ("gre-ethernet", [0, .. Ethernet(0x0800, Ipv4(47, [0x00, 0x00, 0x65, 0x58, .. InnerEthernet]))]);
        yield return ("gre-pptp", [0, .. Ethernet(0x0800, Ipv4(47, [0x30, 0x81, 0x88, 0x0B, (byte)((InnerIpv4.Length + 2) >> 8), (byte)(InnerIpv4.Length + 2), 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0xFF, 0x03, 0x00, 0x21, .. InnerIpv4]))]);
        yield return ("erspan-1", [0, .. Ethernet(0x0800, Ipv4(47, [0x00, 0x00, 0x88, 0xBE, .. InnerEthernet]))]);
        yield return ("erspan-2", [0, .. Ethernet(0x0800, Ipv4(47, [0x10, 0x00, 0x88, 0xBE, 0, 0, 0, 1, 0x10, 0x0A, 0x00, 0x01, 0, 0, 0, 0, .. InnerEthernet]))]);
        yield return ("erspan-3", [0, .. Ethernet(0x0800, Ipv4(47, [0x10, 0x00, 0x22, 0xEB, 0, 0, 0, 1, 0x20, 0x0A, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, .. InnerEthernet]))]);
        yield return ("vxlan", [0, .. Ethernet(0x0800, Ipv4(17, Udp(4789, [0x08, 0, 0, 0, 0, 0, 42, 0, .. InnerEthernet])))]);
        yield return ("vxlan-8472", [0, .. Ethernet(0x0800, Ipv4(17, Udp(8472, [0x08, 0, 0, 0, 0, 0, 42, 0, .. InnerEthernet])))]);
        yield return ("geneve", [0, .. Ethernet(0x0800, Ipv4(17, Udp(6081, [0x01, 0x00, 0x65, 0x58, 0, 0, 7, 0, 0x01, 0x02, 0x03, 0x01, 0, 0, 0, 0, .. InnerEthernet])))]);
        yield return ("gtp-u", [0, .. Ethernet(0x0800, Ipv4(17, Udp(2152, [0x30, 0xFF, (byte)(InnerIpv4.Length >> 8), (byte)InnerIpv4.Length, 0, 0, 0, 1, .. InnerIpv4])))]);
        yield return ("ipip", [0, .. Ethernet(0x0800, Ipv4(4, InnerIpv4))]);
        yield return ("6in4", [0, .. Ethernet(0x0800, Ipv4(41, Ipv6(6, Tcp)))]);
        yield return ("ipv6-hop-by-hop", [0, .. Ethernet(0x86DD, Ipv6(0, [6, 0, 1, 4, 0, 0, 0, 0, .. Tcp]))]);
        yield return ("ipv6-srh", [0, .. Ethernet(0x86DD, Ipv6(43, [4, 2, 4, 0, 0, 0, 0, 0, .. new byte[16], .. InnerIpv4]))]);
        yield return ("ipv6-ah", [0, .. Ethernet(0x86DD, Ipv6(51, [6, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, .. Tcp]))]);
        yield return ("llc-snap", [0, 0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10, (byte)((InnerIpv4.Length + 8) >> 8), (byte)(InnerIpv4.Length + 8), 0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00, .. InnerIpv4]);
        yield return ("linux-sll", [1, 0, 0, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0, 0x08, 0x00, .. InnerIpv4]);
        yield return ("linux-sll2", [2, 0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0, .. InnerIpv4]);
        yield return ("raw", [3, .. InnerIpv4]);
        yield return ("ipv4", [4, .. InnerIpv4]);
        yield return ("ipv6", [5, .. Ipv6(6, Tcp)]);
        yield return ("null", [6, 2, 0, 0, 0, .. InnerIpv4]);
        yield return ("loop", [7, 0, 0, 0, 2, .. InnerIpv4]);
        yield return ("ppp", [8, 0xFF, 0x03, 0x00, 0x21, .. InnerIpv4]);
        yield return ("ppp-hdlc", [9, 0xFF, 0x03, 0x00, 0x21, .. InnerIpv4]);
        yield return ("cisco-hdlc", [10, 0x0F, 0x00, 0x08, 0x00, .. InnerIpv4]);
        byte[] wifiData = [0x08, 0x02, 0, 0, 0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10, 0, 6, 7, 8, 9, 10, 0, 0, 0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00, .. InnerIpv4];
        yield return ("ieee80211", [11, .. wifiData]);
        yield return ("ieee80211-qos", [11, 0x88, 0x02, 0, 0, 0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10, 0, 6, 7, 8, 9, 10, 0, 0, 0, 0, 0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00, .. InnerIpv4]);
        yield return ("radiotap", [12, 0, 0, 12, 0, 0x04, 0, 0, 0, 0x02, 0, 0, 0, .. wifiData]);
        yield return ("ppi", [13, 0, 0, 8, 0, 105, 0, 0, 0, .. wifiData]);
        yield return ("nflog", [14, 2, 0, 0, 0, (byte)(InnerIpv4.Length + 4), 0, 9, 0, .. InnerIpv4]);
        yield return ("mpls-link", [15, 0x00, 0x01, 0x01, 0x40, .. InnerIpv4]);
    }

    public static int Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var n = 0;
        foreach (var (name, input) in All())
        {
            File.WriteAllBytes(Path.Combine(directory, name), input);
            n++;
        }
        Console.WriteLine($"{n} seeds in {directory}");
        return 0;
    }
}
