namespace PcapTls.Live;

/// <summary>What to capture and what to keep, for one <see cref="LiveCapture"/> run.</summary>
public sealed record LiveCaptureOptions
{
    /// <summary>Full frames: a certificate chain must not be cut by the snapshot length.</summary>
    public const int DefaultSnapLength = 262_144;

    /// <summary>Kernel ring for the capture socket: a burst of handshakes must fit while the consumer catches up.
    /// 16 MiB holds about 1.3 s of a saturated 100 Mbit/s link, or 10,000 handshakes of 1.6 KB (tools/live-load-test
    /// sees no drop at its rates); it is resident memory from the start, so `live --buffer-mb` raises it for busier
    /// links rather than every quiet host paying for it.</summary>
    public const int DefaultKernelBufferBytes = 16 << 20;

    public required string Interface { get; init; }

    /// <summary>BPF filter in libpcap syntax.</summary>
    public string Filter { get; init; } = "tcp";

    public int SnapLength { get; init; } = DefaultSnapLength;

    public int KernelBufferBytes { get; init; } = DefaultKernelBufferBytes;

    public FrameQueueLimits Queue { get; init; } = FrameQueueLimits.Default;

    /// <summary>Folder for one small pcap per failed handshake; null keeps none.</summary>
    public string? FailureDirectory { get; init; }

    public FailureCaptureLimits FailureLimits { get; init; } = FailureCaptureLimits.Default;

    /// <summary>Everything seen goes to this pcap (rotated: FILE, FILE.1, ...); null writes none.</summary>
    public string? PcapPath { get; init; }

    /// <summary>Start the next file once one holds this many bytes; 0 never rotates.</summary>
    public long RotateBytes { get; init; }

    /// <summary>Rotated files kept on disk (the oldest deleted beyond it); 0 keeps them all.</summary>
    public int KeepFiles { get; init; }

    /// <summary>How often <see cref="LiveCapture.StatusTick"/> is raised.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(2);
}
