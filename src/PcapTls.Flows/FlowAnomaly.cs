namespace PcapTls.Flows;

public enum FlowAnomalyKind
{
    /// <summary>Two copies of the same stream bytes differ; the first copy was kept.</summary>
    OverlapConflict,
    /// <summary>Stream bytes the capture never saw (the receiver acknowledged them, or the capture ended).</summary>
    Gap,
    /// <summary>Too much out-of-order data (segments or bytes) was buffered: the hole in front was declared a gap.</summary>
    OutOfOrderLimit,
    /// <summary>The connection table was full: the least recently active connections were evicted.</summary>
    FlowTableFull,
    /// <summary>The capture starts in the middle of this connection (no SYN seen).</summary>
    MidstreamStart,
    /// <summary>A connection was silent longer than the idle timeout and was ended.</summary>
    IdleEvicted,
    /// <summary>An evicted connection's segments came back: the same connection continues (counted once).</summary>
    ResumedAfterEviction,
    /// <summary>More anomalies of one kind than the reporting limit; the rest are only counted.</summary>
    AnomaliesSuppressed,
}

/// <summary>One anomaly found by the flow layer, with the packet that revealed it.</summary>
public readonly record struct FlowAnomaly(long PacketNumber, FlowAnomalyKind Kind, string Detail);

public interface IFlowAnomalySink
{
    void Report(in FlowAnomaly anomaly);
}
