namespace PcapTls.Capture;

/// <summary>What went wrong with one record or frame. Bad data is reported and the run goes on.</summary>
public enum CaptureAnomalyKind
{
    /// <summary>The file ends in the middle of a record (a capture cut short, e.g. a copy of a live file).</summary>
    TruncatedRecord,
    /// <summary>A record or block length that cannot be right (too large, too small, misaligned): reading stops.</summary>
    RecordLengthInvalid,
    /// <summary>A pcapng packet names an interface no Interface Description Block declared; the packet is skipped.</summary>
    UnknownInterface,
    /// <summary>A pcapng if_tsresol that cannot be represented; microseconds are assumed.</summary>
    TimestampResolutionInvalid,
    /// <summary>A pcapng block whose body contradicts its own lengths; the block is skipped.</summary>
    BlockMalformed,
    /// <summary>The gzip stream is corrupt or ends early: reading stops.</summary>
    CompressedDataCorrupt,
    /// <summary>A pcapng section header with an unsupported major version: reading stops.</summary>
    UnsupportedVersion,
    /// <summary>The snapshot length cut a frame before its TCP payload ended.</summary>
    TruncatedPacket,
    /// <summary>IPv4 or IPv6 fragments that could not be reassembled (incomplete, overlapping, cut, over a limit):
    /// their datagram's TCP data is lost for the flow.</summary>
    IpFragment,
    /// <summary>A frame whose link, IP or TCP header contradicts itself.</summary>
    MalformedPacket,
    /// <summary>A link type the decoder does not handle (reported once per link type).</summary>
    UnsupportedLinkType,
    /// <summary>A header names a payload type no decoder knows (reported once per type, with its packet count).</summary>
    UnknownEncapsulation,
    /// <summary>More anomalies of one kind than the reporting limit; the rest are only counted.</summary>
    AnomaliesSuppressed,
}

/// <summary>One anomaly in a capture; PacketNumber is the 1-based frame number (or the next one when the
/// problem is between frames).</summary>
public readonly record struct CaptureAnomaly(long PacketNumber, CaptureAnomalyKind Kind, string Detail);

public interface ICaptureAnomalySink
{
    void Report(in CaptureAnomaly anomaly);
}

/// <summary>Thrown by <see cref="CaptureFileReader.Open"/> when the input is not a capture we can read;
/// the message is one line meant for the user.</summary>
public sealed class CaptureFormatException : Exception
{
    public CaptureFormatException(string message) : base(message) { }

    public CaptureFormatException(string message, Exception inner) : base(message, inner) { }
}
