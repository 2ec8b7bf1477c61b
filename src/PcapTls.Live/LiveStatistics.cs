namespace PcapTls.Live;

/// <summary>A snapshot of a live run's counters, for the status line and the end-of-run summary.</summary>
/// <param name="KernelReceived">libpcap's ps_recv: frames the kernel passed the filter (null when unknown).</param>
/// <param name="KernelDropped">libpcap's ps_drop: frames dropped because the capture buffer was full.</param>
/// <param name="InterfaceDropped">libpcap's ps_ifdrop: dropped by the interface or its driver.</param>
/// <param name="QueueDropped">Frames dropped because the analysis thread fell behind (the queue was full).</param>
/// <param name="FlowsEvicted">Connections ended early: idle timeout or a full flow table.</param>
/// <param name="WorkingSetBytes">The process's resident set (RSS).</param>
/// <param name="GcHeapBytes">Bytes the managed heap holds now (GC.GetTotalMemory: live objects and garbage not yet collected).</param>
/// <param name="PcapFramesNotWritten">--write-pcap frames lost to failed writes (disk full): the capture went on.</param>
/// <param name="OutputWriteErrors">Failed writes of --write-pcap and --write-failures files.</param>
public sealed record LiveStatistics(
    TimeSpan Elapsed,
    long Packets,
    long Bytes,
    long Handshakes,
    long Failures,
    long? KernelReceived,
    long? KernelDropped,
    long? InterfaceDropped,
    long QueueDropped,
    long ActiveFlows,
    long FlowsEvicted,
    long BufferedBytes,
    long WorkingSetBytes,
    long GcHeapBytes,
    long FailureFilesWritten,
    long FailureFramesNotKept,
    long PcapFramesWritten,
    long PcapFramesNotWritten = 0,
    long OutputWriteErrors = 0)
{
    /// <summary>One line: what the status line and the summary show.</summary>
    public string ToLine()
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var drops = KernelDropped is { } k ? (k + (InterfaceDropped ?? 0)).ToString(ci) : "?";
        return string.Create(ci,
            $"{Elapsed:hh\\:mm\\:ss}  {Packets} packets  {Bytes / 1024.0 / 1024.0:0.0} MiB  {Handshakes} handshakes  {Failures} failed  " +
            $"kernel drops {drops}  queue drops {QueueDropped}  flows {ActiveFlows} (evicted {FlowsEvicted})  memory {WorkingSetBytes / 1024 / 1024} MiB")
            + (OutputWriteErrors > 0 ? string.Create(ci, $"  write errors {OutputWriteErrors} ({PcapFramesNotWritten} frames not kept)") : "");
    }

    /// <summary>
    /// One line of key=value pairs for tools that sample a long run (<c>live --stats-every</c>, tools/soak): every
    /// counter, unknown ones as <c>?</c>, sizes in bytes, the elapsed time in seconds.
    /// </summary>
    public string ToStatsLine()
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        static string Known(long? v) => v?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";
        return string.Create(ci,
            $"elapsed_s={Elapsed.TotalSeconds:0.0} packets={Packets} bytes={Bytes} handshakes={Handshakes} failed={Failures} " +
            $"kernel_received={Known(KernelReceived)} kernel_drops={Known(KernelDropped)} interface_drops={Known(InterfaceDropped)} " +
            $"queue_drops={QueueDropped} flows={ActiveFlows} evicted={FlowsEvicted} buffered_bytes={BufferedBytes} " +
            $"rss_bytes={WorkingSetBytes} gc_heap_bytes={GcHeapBytes} failure_files={FailureFilesWritten} " +
            $"failure_frames_not_kept={FailureFramesNotKept} pcap_frames={PcapFramesWritten} pcap_frames_not_written={PcapFramesNotWritten} output_write_errors={OutputWriteErrors}");
    }
}
