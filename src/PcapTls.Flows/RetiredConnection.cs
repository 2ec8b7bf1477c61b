using PcapTls.Capture;

namespace PcapTls.Flows;

/// <summary>
/// What the table remembers of a connection after it left the table: enough to tell, for a later segment on the
/// same 4-tuple, whether it still belongs to that connection. TCP names a connection by its socket pair for as long
/// as it exists (RFC 9293 section 3.1); there is no idle timeout in TCP (keep-alives are optional and at least two
/// hours apart, RFC 1122 section 4.2.3.6), and after the close the pair stays in TIME-WAIT for two maximum segment
/// lifetimes, during which what arrives is old duplicates of that connection (RFC 9293 sections 3.4.2, 3.6). So a
/// connection the table let go of for room or silence continues when its segments come back, and a closed one
/// absorbs its late retransmissions; only a SYN with a new initial sequence number opens another connection.
/// </summary>
internal sealed class RetiredConnection
{
    public RetiredConnection(FlowKey key, TcpConnectionInfo info, long serial, bool closed, long closedAtNanos, long lastNanos,
        TcpConnection.SideState originator, TcpConnection.SideState responder)
    {
        Key = key;
        Info = info;
        Serial = serial;
        Closed = closed;
        ClosedAtNanos = closedAtNanos;
        LastNanos = lastNanos;
        Originator = originator;
        Responder = responder;
    }

    public FlowKey Key { get; }

    public TcpConnectionInfo Info { get; }

    public long Serial { get; }

    /// <summary>True when it ended by FIN both ways or RST; false when it was evicted (idle, or the table was full).</summary>
    public bool Closed { get; }

    public long ClosedAtNanos { get; }

    /// <summary>Its last segment's capture time.</summary>
    public long LastNanos { get; }

    public TcpConnection.SideState Originator { get; }

    public TcpConnection.SideState Responder { get; }

    private TcpConnection.SideState Side(NetEndpoint source) => source == Info.Originator ? Originator : Responder;

    /// <summary>Same tunnel context as this connection had in the segment's direction (or none seen there).</summary>
    public bool Fits(NetEndpoint source, ulong context)
    {
        var side = Side(source);
        return !side.ContextSeen || side.Context == context;
    }

    /// <summary>A SYN of this connection's own handshake (a retransmission or a late copy), not a new one.</summary>
    public bool IsOwnSyn(NetEndpoint source, uint seq) => Side(source).IsOpeningSequence(seq);
}
