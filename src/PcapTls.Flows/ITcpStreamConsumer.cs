namespace PcapTls.Flows;

/// <summary>Which way bytes flow in a connection. The originator is the side that sent the SYN (or, when the
/// capture starts mid-connection, the side with the higher port).</summary>
public enum FlowDirection : byte
{
    FromOriginator = 0,
    FromResponder = 1,
}

/// <summary>Where in the capture a piece of stream data or a control event came from.</summary>
public readonly record struct SegmentPosition(long PacketNumber, long TimestampNanos);

public enum TcpControlKind : byte
{
    Syn,
    SynAck,
    Fin,
    Rst,
}

/// <summary>Why the flow layer stops delivering to a consumer.</summary>
public enum FlowEndReason : byte
{
    /// <summary>The capture ended (file end, or live capture stopped).</summary>
    CaptureEnded,
    /// <summary>Both sides closed (FIN both ways, or RST) and the flow was retired.</summary>
    Closed,
    /// <summary>Evicted: idle too long, or the connection table was full.</summary>
    Evicted,
}

/// <summary>
/// Receives one TCP connection's reassembled byte streams, in order, per direction (as Zeek's analyzers get
/// DeliverStream / Undelivered / EndpointEOF). It never sees packets.
/// </summary>
public interface ITcpStreamConsumer
{
    /// <summary>In-order payload bytes; the span is only valid during the call.</summary>
    void OnData(FlowDirection direction, ReadOnlySpan<byte> data, SegmentPosition position);

    /// <summary>Bytes that will never arrive (a hole the capture did not see); data resumes after it.</summary>
    void OnGap(FlowDirection direction, long missingBytes, SegmentPosition position);

    /// <summary>SYN, SYN/ACK, FIN and RST, with the packet that carried them, in capture order.</summary>
    void OnControl(FlowDirection direction, TcpControlKind kind, SegmentPosition position);

    /// <summary>The flow ends; no call follows.</summary>
    void OnEnd(FlowEndReason reason, SegmentPosition lastPosition);

    /// <summary>False once the consumer has decided what it needs: the flow layer then stops buffering and
    /// delivering payload for this connection, but still reports control events.</summary>
    bool WantsPayload { get; }
}

/// <summary>Creates the consumer for each new connection the flow layer starts tracking.</summary>
public interface ITcpStreamConsumerFactory
{
    ITcpStreamConsumer Create(TcpConnectionInfo connection);
}

/// <summary>A connection's identity as the flow layer first saw it.</summary>
/// <param name="Originator">The side that sent the SYN (or the higher port when no SYN was seen).</param>
/// <param name="Responder">The other side.</param>
/// <param name="SawSyn">False when the capture started mid-connection.</param>
/// <param name="FirstPosition">The first packet of the connection in the capture.</param>
public sealed record TcpConnectionInfo(
    PcapTls.Capture.NetEndpoint Originator,
    PcapTls.Capture.NetEndpoint Responder,
    bool SawSyn,
    SegmentPosition FirstPosition)
{
    /// <summary>The headers the connection's first segment was found under, e.g.
    /// <c>ethernet/vlan 10/ipv4/vxlan 42/ethernet/ipv4</c>.</summary>
    public string Path { get; init; } = "";

    /// <summary>The continuation of a connection that was evicted (idle, or the table was full) and whose segments
    /// came back: the same TCP connection, already counted once, picked up mid-stream.</summary>
    public bool Continues { get; init; }
}
