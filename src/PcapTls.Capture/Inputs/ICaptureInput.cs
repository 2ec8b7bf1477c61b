namespace PcapTls.Capture.Inputs;

/// <summary>What the analysis reads: one capture file or pipe (<see cref="CaptureFileReader"/>) or several files
/// merged into one (<see cref="MergedCapture"/>).</summary>
public interface ICaptureInput
{
    /// <summary>What the user named: a path, "-", or the files' names.</summary>
    string Path { get; }

    /// <summary>"pcap", "pcapng.zst", ... as the report names the format.</summary>
    string FormatName { get; }

    /// <summary>Whether <see cref="Read"/> may be called more than once (not for a pipe).</summary>
    bool CanReadAgain { get; }

    /// <summary>Bytes on disk (compressed), or -1 when unknown (a pipe).</summary>
    long TotalBytes { get; }

    /// <summary>Raw bytes consumed so far; safe to read from another thread while Read runs.</summary>
    long BytesRead { get; }

    int? SnapLength { get; }

    /// <summary>TLS key logs carried in pcapng Decryption Secrets Blocks, each with where it was found.</summary>
    IReadOnlyList<(string Source, string Text)> EmbeddedKeyLogs { get; }

    /// <summary>Per-file packet names when the input is several files; null for one file or a pipe (packet
    /// numbers are then the file's own).</summary>
    IPacketNames? PacketNames => null;

    void Read(IPacketHandler handler, ICaptureAnomalySink? anomalies = null, CancellationToken ct = default);
}
