using System.Collections.Frozen;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// Which decoder takes a header's payload, as data (Zeek's packet_analysis Dispatcher and the
/// <c>register_for_ports</c> tables of <c>scripts/base/packet-protocols</c>). Adding a tunnel is a decoder and a row.
/// Identifiers that are known but carry no IP (ARP, LLDP, LCP, ...) are listed too, so that only truly unknown
/// ones become an unknown-encapsulation anomaly.
/// </summary>
internal static class Dispatch
{
    public const ushort EtherTypeIPv4 = 0x0800;
    public const ushort EtherTypeIPv6 = 0x86DD;
    public const ushort EtherTypeVlan = 0x8100;
    public const ushort EtherTypeTransparentEthernet = 0x6558;
    public const ushort EtherTypeErspanII = 0x88BE;

    /// <summary>Below this an Ethernet "type" is an 802.3 length (LLC follows).</summary>
    public const ushort EtherTypeMinimum = 0x0600;

    public static readonly FrozenDictionary<ushort, Layer> EtherTypes = new Dictionary<ushort, Layer>
    {
        [EtherTypeIPv4] = Layer.IPv4,
        [EtherTypeIPv6] = Layer.IPv6,
        [EtherTypeVlan] = Layer.Vlan,           // 802.1Q
        [0x88A8] = Layer.QinQ,                  // 802.1ad
        [0x9100] = Layer.QinQ,                  // pre-standard QinQ
        [0x9200] = Layer.QinQ,
        [0x8847] = Layer.Mpls,                  // MPLS unicast
        [0x8848] = Layer.Mpls,                  // MPLS multicast
        [0x8864] = Layer.PppoeSession,
        [0x880B] = Layer.Ppp,                   // PPP (GRE, PPTP)
        [EtherTypeTransparentEthernet] = Layer.Ethernet, // GRE/Geneve transparent Ethernet bridging
        [EtherTypeErspanII] = Layer.ErspanII,   // ERSPAN I/II in GRE (GRE decides which)
        [0x22EB] = Layer.ErspanIII,
    }.ToFrozenDictionary();

    /// <summary>EtherTypes that carry no IP: not an anomaly.</summary>
    public static readonly FrozenSet<ushort> EtherTypesWithoutIp = new ushort[]
    {
        0x0806, // ARP
        0x8035, // RARP
        0x0842, // Wake-on-LAN
        0x8863, // PPPoE discovery
        0x8809, // slow protocols (LACP)
        0x888E, // EAPOL
        0x88CC, // LLDP
        0x88F7, // PTP
        0x8902, // CFM
        0x9000, // loopback
        0x8137, // IPX
        0x809B, // AppleTalk
        0x80F3, // AARP
        0x88E5, // MACsec (encrypted)
        0x8899, // Realtek
        0x893A, // IEEE 1905
        0x88E1, // HomePlug
        0x8914, // FCoE init
        0x8906, // FCoE
        0x22F0, // AVTP
        // Not 0x88B5/0x88B6 (IEEE 802 local experimental): they carry whatever a lab puts in them, IP included, so
        // a frame with one is an unknown encapsulation the report names, not a frame known to hold no IP.
    }.ToFrozenSet();

    public const byte ProtocolTcp = 6;

    /// <summary>IP protocol (next header) to decoder; the rest carry no TCP.</summary>
    public static Layer IPProtocol(byte protocol) => protocol switch
    {
        ProtocolTcp => Layer.Tcp,
        4 => Layer.IPv4,    // IP-in-IP
        41 => Layer.IPv6,   // IPv6 in IPv4 / IPv6
        47 => Layer.Gre,
        17 => Layer.Udp,
        _ => Layer.None,
    };

    /// <summary>UDP ports of the tunnels (the destination port is tried first).</summary>
    public static readonly FrozenDictionary<ushort, Layer> UdpPorts = new Dictionary<ushort, Layer>
    {
        [4789] = Layer.Vxlan,   // IANA VXLAN
        [8472] = Layer.Vxlan,   // Linux kernel's historical VXLAN port
        [6081] = Layer.Geneve,
        [2152] = Layer.GtpU,
    }.ToFrozenDictionary();

    public static readonly FrozenDictionary<ushort, Layer> PppProtocols = new Dictionary<ushort, Layer>
    {
        [0x0021] = Layer.IPv4,
        [0x0057] = Layer.IPv6,
        [0x0281] = Layer.Mpls,
    }.ToFrozenDictionary();

    /// <summary>PPP control and compressed protocols: no IP to find.</summary>
    public static readonly FrozenSet<ushort> PppProtocolsWithoutIp = new ushort[]
    {
        0xC021, 0xC023, 0xC025, 0xC223, 0xC227, 0x8021, 0x8057, 0x80FD, 0x00FD, 0x8281, 0x002D, 0x002F, 0x003D,
    }.ToFrozenSet();

    /// <summary>An EtherType (Ethernet, VLAN, SLL, SNAP, Geneve): the next decoder, or not-IP, or unknown.</summary>
    public static LayerOutcome NextForEtherType(ref FrameWalk w, int headerLength, ushort etherType, DispatchTable table = DispatchTable.EtherType)
    {
        if (etherType == EtherTypeIPv4)
        {
            return w.Consume(headerLength, Layer.IPv4); // the common case without a lookup
        }
        if (EtherTypes.TryGetValue(etherType, out var next))
        {
            return w.Consume(headerLength, next);
        }
        if (etherType < EtherTypeMinimum)
        {
            return w.Consume(headerLength, Layer.LlcSnap);
        }
        return EtherTypesWithoutIp.Contains(etherType) ? LayerOutcome.NotIp : w.Unknown(table, etherType);
    }
}
