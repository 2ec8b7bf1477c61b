namespace PcapTls.Live;

/// <summary>A snapshot of a live run's counters, for the status line and the end-of-run summary.</summary>
/// <param name="KernelReceived">libpcap's ps_recv: frames the kernel passed the filter (null when unknown).</param>
/// <param name="KernelDropped">libpcap's ps_drop: frames dropped because the capture buffer was full.</param>
/// <param name="InterfaceDropped">libpcap's ps_ifdrop: dropped by the interface or its driver.</param>
/// <param name="QueueDropped">Frames dropped because the analysis thread fell behind (the queue was full).</param>
/// <param name="FlowsEvicted">Connections ended early: idle timeout or a full flow table.</param>
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
    long FailureFilesWritten,
    long FailureFramesNotKept,
    long PcapFramesWritten)
{
    /// <summary>One line: what the status line and the summary show.</summary>
    public string ToLine()
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var drops = KernelDropped is { } k ? (k + (InterfaceDropped ?? 0)).ToString(ci) : "?";
        return string.Create(ci,
            $"{Elapsed:hh\\:mm\\:ss}  {Packets} packets  {Bytes / 1024.0 / 1024.0:0.0} MiB  {Handshakes} handshakes  {Failures} failed  " +
            $"kernel drops {drops}  queue drops {QueueDropped}  flows {ActiveFlows} (evicted {FlowsEvicted})  memory {WorkingSetBytes / 1024 / 1024} MiB");
    }
}
