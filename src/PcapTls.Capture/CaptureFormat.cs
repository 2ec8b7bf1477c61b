namespace PcapTls.Capture;

/// <summary>The container format of a capture file (independent of gzip compression).</summary>
public enum CaptureFormat
{
    /// <summary>Classic libpcap, microsecond timestamps.</summary>
    Pcap,
    /// <summary>Classic libpcap with the nanosecond magic (0xA1B23C4D).</summary>
    PcapNanosecond,
    /// <summary>pcapng (Section Header Block first).</summary>
    PcapNg,
}
