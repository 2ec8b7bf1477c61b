namespace PcapTls.Capture;

/// <summary>Link-layer header types (LINKTYPE_* values from tcpdump.org); unknown values are kept as numbers.</summary>
public enum LinkType : uint
{
    Null = 0,
    Ethernet = 1,
    Ppp = 9,
    PppHdlc = 50,
    Raw = 101,
    CiscoHdlc = 104,
    Ieee80211 = 105,
    Loop = 108,
    LinuxSll = 113,
    Radiotap = 127,
    Ppi = 192,
    Mpls = 219,
    Ipv4 = 228,
    Ipv6 = 229,
    Nflog = 239,
    LinuxSll2 = 276,
}

/// <summary>
/// One captured frame as the file holds it. Like SharpPcap's PacketCapture, the span is only valid during the
/// callback that received it: copy out what you keep.
/// </summary>
public readonly ref struct RawPacket
{
    public RawPacket(long number, long timestampNanos, LinkType linkType, ReadOnlySpan<byte> data, int originalLength, int interfaceIndex)
    {
        Number = number;
        TimestampNanos = timestampNanos;
        LinkType = linkType;
        Data = data;
        OriginalLength = originalLength;
        InterfaceIndex = interfaceIndex;
    }

    /// <summary>1-based frame number, as Wireshark numbers frames.</summary>
    public long Number { get; }

    /// <summary>Nanoseconds since the Unix epoch (UTC).</summary>
    public long TimestampNanos { get; }

    public LinkType LinkType { get; }

    /// <summary>The captured bytes (at most the snapshot length).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>The frame's length on the wire; larger than Data.Length when the snapshot length cut it.</summary>
    public int OriginalLength { get; }

    public int InterfaceIndex { get; }

    public bool IsTruncated => OriginalLength > Data.Length;
}

/// <summary>Receives frames from a capture source (file or live interface).</summary>
public interface IPacketHandler
{
    void OnPacket(in RawPacket packet);
}
