namespace PcapTls.Flows;

/// <summary>Counters of the flow layer, for the report and for limits tests. Read them after the run (or
/// from the thread that feeds the table).</summary>
public sealed class FlowStatistics
{
    /// <summary>Connections created (including port reuse and mid-stream starts).</summary>
    public long FlowsSeen { get; internal set; }

    /// <summary>Connections in the table now.</summary>
    public long ActiveFlows { get; internal set; }

    public long PeakActiveFlows { get; internal set; }

    /// <summary>Retired after FIN both ways or RST (plus the grace period).</summary>
    public long FlowsClosed { get; internal set; }

    public long FlowsEvictedIdle { get; internal set; }

    public long FlowsEvictedTableFull { get; internal set; }

    public long MidstreamStarts { get; internal set; }

    public long Segments { get; internal set; }

    /// <summary>Bare ACKs (and 1-byte keep-alives) on an unknown connection (typically late ACKs).</summary>
    public long SegmentsIgnored { get; internal set; }

    /// <summary>Segments of a connection that had closed, within <see cref="FlowLimits.TimeWait"/> of its close
    /// (retransmissions, last ACKs): not a new connection.</summary>
    public long SegmentsAfterClose { get; internal set; }

    /// <summary>Evicted connections whose segments came back: they continue, counted once in <see cref="FlowsSeen"/>.</summary>
    public long FlowsResumed { get; internal set; }

    /// <summary>Segments whose payload was entirely delivered already.</summary>
    public long Retransmissions { get; internal set; }

    public long OutOfOrderSegments { get; internal set; }

    public long OverlapConflicts { get; internal set; }

    public long Gaps { get; internal set; }

    public long GapBytes { get; internal set; }

    /// <summary>Times a buffering limit forced a gap (segments, bytes per direction, or bytes in total).</summary>
    public long OutOfOrderLimitHits { get; internal set; }

    public long PayloadBytesDelivered { get; internal set; }

    /// <summary>Payload bytes not looked at because the consumer no longer wanted them.</summary>
    public long PayloadBytesSkipped { get; internal set; }

    /// <summary>Out-of-order bytes held now, over all connections.</summary>
    public long BufferedBytes { get; internal set; }

    public long PeakBufferedBytes { get; internal set; }

    public long AnomaliesSuppressed { get; internal set; }
}
