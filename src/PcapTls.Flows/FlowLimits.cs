namespace PcapTls.Flows;

/// <summary>
/// Everything an input can inflate in the flow layer, bounded by name. Hitting a limit is reported (a
/// <see cref="FlowAnomaly"/> and a counter in <see cref="FlowStatistics"/>); memory never grows with the file.
/// Times are capture time (packet timestamps), never the wall clock.
/// </summary>
public sealed record FlowLimits
{
    public static FlowLimits Default { get; } = new();

    /// <summary>Connections tracked at once; a new one beyond this evicts the least recently active ones.</summary>
    public int MaxTrackedFlows { get; init; } = 100_000;

    /// <summary>Out-of-order bytes buffered per direction before the hole in front of them is declared a gap.</summary>
    public int MaxBufferedBytesPerDirection { get; init; } = 1 << 20;

    /// <summary>Out-of-order segments buffered per direction before the hole is declared a gap.</summary>
    public int MaxOutOfOrderSegments { get; init; } = 512;

    /// <summary>Out-of-order bytes buffered over all connections; beyond it the direction being filled is
    /// flushed with a gap.</summary>
    public long MaxBufferedBytesTotal { get; init; } = 256L << 20;

    /// <summary>A connection silent this long (capture time) is ended with <see cref="FlowEndReason.Evicted"/>.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a closed connection (FIN both ways, or RST) stays in the table so that a late FIN,
    /// RST or ACK still lands on it. One second: a peer's late RST or last ACK comes within a round trip, and every
    /// closed connection waiting here is memory the garbage collector must carry (a busy proxy's 100,000-connection
    /// capture ran 1.6x faster with 1 s than with 5 s, the same answer).</summary>
    public TimeSpan ClosedGracePeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long after its close a connection's 4-tuple still takes late segments as that connection's
    /// (retransmissions, last ACKs, a late copy of its SYN) instead of starting another: TIME-WAIT, two maximum segment
    /// lifetimes of two minutes each (RFC 9293 sections 3.4.2 and 3.6). A SYN with a new sequence number opens a new
    /// connection at any time.</summary>
    public TimeSpan TimeWait { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>Connections remembered after they left the table (closed, idle or evicted for room), so that their
    /// late or resumed segments are recognised as theirs; the oldest is forgotten first. A few dozen bytes each.</summary>
    public int MaxRetiredConnectionsRemembered { get; init; } = 100_000;

    /// <summary>An ACK further than this beyond the data seen is not taken as proof of a hole (it is more
    /// likely garbage or another connection's numbers).</summary>
    public int MaxAckedGapBytes { get; init; } = 16 << 20;

    /// <summary>Anomalies reported per kind; further ones are only counted (one AnomaliesSuppressed says so).</summary>
    public int MaxAnomaliesPerKind { get; init; } = 1000;
}
