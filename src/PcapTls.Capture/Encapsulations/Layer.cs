namespace PcapTls.Capture.Encapsulations;

/// <summary>A header the decoder knows, one per decoder in this folder. The path a segment was found on is a
/// list of these (with the header's identifying number: VLAN id, MPLS label, VNI, ...).</summary>
public enum Layer : byte
{
    None,
    Ethernet,
    Vlan,
    QinQ,
    Mpls,
    PseudowireControlWord,
    PppoeSession,
    Ppp,
    CiscoHdlc,
    LlcSnap,
    LinuxSll,
    LinuxSll2,
    BsdLoopback,
    Nflog,
    Ieee80211,
    Radiotap,
    Ppi,
    IPv4,
    IPv6,
    Gre,
    ErspanI,
    ErspanII,
    ErspanIII,
    Udp,
    Vxlan,
    Geneve,
    GtpU,
    /// <summary>The version nibble says IPv4 or IPv6 (raw IP links, MPLS payloads, GTP-U payloads).</summary>
    IPByVersion,
    Tcp,
}

/// <summary>Which table an unknown identifier was looked up in (named in the unknown-encapsulation anomaly).</summary>
public enum DispatchTable : byte
{
    EtherType,
    IPProtocol,
    PppProtocol,
    GreProtocol,
    LinkType,
    ErspanFrameType,
    GtpMessageType,
    NflogFamily,
}
