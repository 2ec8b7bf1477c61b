using PcapTls.Capture;

namespace PcapTls.Flows;

/// <summary>
/// One TCP connection: the state machine (SYN, FIN, RST, closing) over two <see cref="StreamReassembler"/>s,
/// one per direction, and the consumer that receives what they deliver.
/// </summary>
internal sealed class TcpConnection
{
    private readonly TcpFlowTable _table;
    private readonly StreamReassembler _fromOriginator;
    private readonly StreamReassembler _fromResponder;
    private bool _rstSeen;

    public TcpConnection(TcpFlowTable table, FlowKey key, TcpConnectionInfo info, ITcpStreamConsumer consumer, long serial)
    {
        _table = table;
        Key = key;
        Info = info;
        Consumer = consumer;
        Serial = serial;
        LastPosition = info.FirstPosition;
        _fromOriginator = new StreamReassembler(this, FlowDirection.FromOriginator);
        _fromResponder = new StreamReassembler(this, FlowDirection.FromResponder);
    }

    public FlowKey Key { get; }

    public TcpConnectionInfo Info { get; }

    public ITcpStreamConsumer Consumer { get; }

    /// <summary>Creation order: makes every "for each connection" deterministic.</summary>
    public long Serial { get; }

    public SegmentPosition LastPosition { get; private set; }

    /// <summary>False once the consumer said it has what it needs: payload is neither buffered nor delivered.</summary>
    public bool PayloadWanted { get; private set; } = true;

    public bool IsClosed { get; private set; }

    public long ClosedAtNanos { get; private set; }

    public bool QueuedForRetirement { get; set; }

    public bool Retired { get; private set; }

    internal TcpFlowTable Table => _table;

    /// <summary>The next connection with the same 4-tuple in another tunnel context (VLAN, VNI, tunnel endpoints).</summary>
    public TcpConnection? NextSameTuple { get; set; }

    private ulong _contextFromOriginator;
    private ulong _contextFromResponder;
    private bool _contextFromOriginatorSeen;
    private bool _contextFromResponderSeen;

    // The initial sequence number each side's SYN/ACK acknowledged for the other (its acknowledgment minus one):
    // a SYN captured after the SYN/ACK that answers it is still this connection's opening SYN.
    private uint _originatorIsnAcked;
    private uint _responderIsnAcked;
    private bool _originatorIsnAckedSeen;
    private bool _responderIsnAckedSeen;

    public enum ContextFit : byte { Other, NotYetSeen, Same }

    /// <summary>One side's identity facts, kept after the connection retires (<see cref="RetiredConnection"/>).</summary>
    public readonly record struct SideState(bool ContextSeen, ulong Context, bool HasSyn, uint Isn, bool IsnAckedSeen, uint IsnAcked)
    {
        /// <summary>Is a SYN with this sequence number this side's opening SYN (sent again, or captured late)?</summary>
        public bool IsOpeningSequence(uint seq) => (HasSyn && Isn == seq) || (IsnAckedSeen && IsnAcked == seq);
    }

    public SideState Originator => new(_contextFromOriginatorSeen, _contextFromOriginator, _fromOriginator.HasSyn, _fromOriginator.Isn,
        _originatorIsnAckedSeen, _originatorIsnAcked);

    public SideState Responder => new(_contextFromResponderSeen, _contextFromResponder, _fromResponder.HasSyn, _fromResponder.Isn,
        _responderIsnAckedSeen, _responderIsnAcked);

    /// <summary>Does a segment from <paramref name="source"/> in tunnel context <paramref name="context"/> fit here?</summary>
    public ContextFit ContextMatch(NetEndpoint source, ulong context)
    {
        var fromOriginator = source == Info.Originator;
        var seen = fromOriginator ? _contextFromOriginatorSeen : _contextFromResponderSeen;
        if (!seen)
        {
            return ContextFit.NotYetSeen;
        }
        return (fromOriginator ? _contextFromOriginator : _contextFromResponder) == context ? ContextFit.Same : ContextFit.Other;
    }

    /// <summary>Has the side <paramref name="source"/> sent a SYN with this sequence number here?</summary>
    public bool HasInitialSequence(NetEndpoint source, uint seq)
    {
        var stream = source == Info.Originator ? _fromOriginator : _fromResponder;
        return stream.HasSyn && stream.Isn == seq;
    }

    public void LearnContext(NetEndpoint source, ulong context)
    {
        if (source == Info.Originator)
        {
            if (!_contextFromOriginatorSeen)
            {
                _contextFromOriginatorSeen = true;
                _contextFromOriginator = context;
            }
        }
        else if (!_contextFromResponderSeen)
        {
            _contextFromResponderSeen = true;
            _contextFromResponder = context;
        }
    }

    internal FlowStatistics Statistics => _table.Statistics;

    /// <summary>A SYN (without ACK) on this 4-tuple: this connection's own opening SYN (retransmitted, or captured
    /// after the SYN/ACK that answers it), or a new connection reusing the ports? A new incarnation has a new
    /// initial sequence number (RFC 9293 section 3.4.1), closed or not.</summary>
    public bool IsNewConnectionSyn(in TcpSegment s) =>
        !(s.Source == Info.Originator ? Originator : Responder).IsOpeningSequence(s.Seq);

    public void OnSegment(in TcpSegment s, SegmentPosition position)
    {
        LastPosition = position;
        CheckPayloadWanted();
        var fromOriginator = s.Source == Info.Originator;
        var direction = fromOriginator ? FlowDirection.FromOriginator : FlowDirection.FromResponder;
        var stream = fromOriginator ? _fromOriginator : _fromResponder;
        var other = fromOriginator ? _fromResponder : _fromOriginator;
        var flags = s.Flags;

        var dataSeq = s.Seq;
        if ((flags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack))
        {
            if (fromOriginator && !_responderIsnAckedSeen)
            {
                _responderIsnAckedSeen = true;
                _responderIsnAcked = unchecked(s.Ack - 1);
            }
            else if (!fromOriginator && !_originatorIsnAckedSeen)
            {
                _originatorIsnAckedSeen = true;
                _originatorIsnAcked = unchecked(s.Ack - 1);
            }
        }
        if ((flags & TcpFlags.Syn) != 0)
        {
            dataSeq++;
            if (stream.OnSyn(s.Seq))
            {
                Consumer.OnControl(direction, (flags & TcpFlags.Ack) != 0 ? TcpControlKind.SynAck : TcpControlKind.Syn, position);
            }
        }

        // What the other side acknowledges it received, we know it sent: a hole there will not fill.
        if ((flags & TcpFlags.Ack) != 0 && PayloadWanted)
        {
            other.OnAcknowledged(s.Ack, position);
        }

        var length = s.PayloadOriginalLength;
        if (length > 0)
        {
            if (PayloadWanted)
            {
                stream.OnPayload(dataSeq, s.Payload, length, position);
            }
            else
            {
                Statistics.PayloadBytesSkipped += length;
            }
        }
        else if ((flags & TcpFlags.Rst) == 0)
        {
            // A RST's sequence number may be 0 (answering a segment without ACK): not a stream position.
            stream.Observe(dataSeq);
        }

        if ((flags & TcpFlags.Fin) != 0 && stream.OnFin(dataSeq + (uint)length))
        {
            Consumer.OnControl(direction, TcpControlKind.Fin, position);
        }
        if ((flags & TcpFlags.Rst) != 0 && stream.OnRst())
        {
            Consumer.OnControl(direction, TcpControlKind.Rst, position);
            _rstSeen = true;
        }

        if (!IsClosed && (_rstSeen || (_fromOriginator.FinSeen && _fromResponder.FinSeen)))
        {
            IsClosed = true;
            ClosedAtNanos = position.TimestampNanos;
        }
    }

    /// <summary>Called after every delivery: the consumer may have decided it has seen enough.</summary>
    public void CheckPayloadWanted()
    {
        if (PayloadWanted && !Consumer.WantsPayload)
        {
            PayloadWanted = false;
            _fromOriginator.DropBuffered();
            _fromResponder.DropBuffered();
        }
    }

    public void End(FlowEndReason reason, SegmentPosition position)
    {
        if (Retired)
        {
            return;
        }
        Retired = true;
        if (PayloadWanted)
        {
            _fromOriginator.FlushAtEnd(LastPosition);
        }
        if (PayloadWanted)
        {
            _fromResponder.FlushAtEnd(LastPosition);
        }
        _fromOriginator.DropBuffered();
        _fromResponder.DropBuffered();
        Consumer.OnEnd(reason, position);
    }
}
