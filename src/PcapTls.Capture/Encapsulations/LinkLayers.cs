namespace PcapTls.Capture.Encapsulations;

/// <summary>The first decoder of each link type (LINKTYPE_* values, tcpdump.org/linktypes.html).</summary>
internal static class LinkLayers
{
    public static Layer First(LinkType linkType) => linkType switch
    {
        LinkType.Ethernet => Layer.Ethernet,
        LinkType.LinuxSll => Layer.LinuxSll,
        LinkType.LinuxSll2 => Layer.LinuxSll2,
        LinkType.Raw => Layer.IPByVersion,
        LinkType.Ipv4 => Layer.IPv4,
        LinkType.Ipv6 => Layer.IPv6,
        LinkType.Null or LinkType.Loop => Layer.BsdLoopback,
        LinkType.Ppp or LinkType.PppHdlc => Layer.Ppp,
        LinkType.CiscoHdlc => Layer.CiscoHdlc,
        LinkType.Ieee80211 => Layer.Ieee80211,
        LinkType.Radiotap => Layer.Radiotap,
        LinkType.Ppi => Layer.Ppi,
        LinkType.Nflog => Layer.Nflog,
        LinkType.Mpls => Layer.Mpls,
        _ => Layer.None,
    };
}
