using PcapTls.Capture;
using PcapTls.Capture.Encapsulations;

namespace PcapTls.Flows;

/// <summary>
/// The connection table: finds (or starts) the connection of each segment by its 4-tuple, decides who the
/// originator is, and hands each direction to its <see cref="StreamReassembler"/>. Retires connections that
/// closed (after a grace period of capture time), went idle, or must make room; ends every connection at the
/// end of the capture. Not thread-safe: one capture, one thread.
/// </summary>
public sealed class TcpFlowTable
{
    private readonly ITcpStreamConsumerFactory _factory;
    private readonly Dictionary<FlowKey, TcpConnection> _flows = [];
    private readonly Queue<TcpConnection> _closing = new();
    // Connections that left the table, by 4-tuple (the latest per tuple), and their retirement order for the bound.
    private readonly Dictionary<FlowKey, RetiredConnection> _retired = [];
    private readonly Queue<(FlowKey Key, long Serial)> _retiredOrder = new();
    private readonly long _timeWaitNanos;
    private bool _finishing;
    private readonly long _idleTimeoutNanos;
    private readonly long _graceNanos;
    private readonly long _sweepIntervalNanos;
    private long _clock = long.MinValue;
    private long _nextIdleSweep = long.MinValue;
    private long _connectionSerial;
    // Consecutive segments usually belong to the same connection: skip the dictionary for them.
    private TcpConnection? _recent;
    private int _tracked;
    private EncapsulationPath _lastPath;
    private string? _lastPathText;

    public TcpFlowTable(ITcpStreamConsumerFactory factory, FlowLimits? limits = null, IFlowAnomalySink? anomalies = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _factory = factory;
        Limits = limits ?? FlowLimits.Default;
        Anomalies = new FlowAnomalyReporter(anomalies, Limits.MaxAnomaliesPerKind, Statistics);
        _idleTimeoutNanos = Limits.IdleTimeout.Ticks * 100;
        _graceNanos = Limits.ClosedGracePeriod.Ticks * 100;
        _timeWaitNanos = Limits.TimeWait.Ticks * 100;
        // Idle connections are looked for a few times per timeout, not per packet.
        _sweepIntervalNanos = Math.Max(_idleTimeoutNanos / 4, 1_000_000_000L);
    }

    public FlowLimits Limits { get; }

    public FlowStatistics Statistics { get; } = new();

    internal FlowAnomalyReporter Anomalies { get; }

    /// <summary>Feeds one decoded segment (in capture order).</summary>
    public void OnSegment(in TcpSegment s)
    {
        Statistics.Segments++;
        var position = new SegmentPosition(s.Number, s.TimestampNanos);
        if (s.TimestampNanos > _clock)
        {
            _clock = s.TimestampNanos;
        }
        RetireClosed(untilAllGone: false);
        if (_clock >= _nextIdleSweep)
        {
            if (_nextIdleSweep != long.MinValue)
            {
                EvictIdle(position);
            }
            _nextIdleSweep = _clock + _sweepIntervalNanos;
        }

        var key = FlowKey.From(s.Source, s.Destination);
        var context = s.Path.TunnelContext;
        var isSyn = (s.Flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn;
        TcpConnection? connection = _recent;
        if (connection is null || !connection.Key.Equals(key) || connection.ContextMatch(s.Source, context) != TcpConnection.ContextFit.Same)
        {
            connection = Find(key, s, context);
        }
        if (connection is not null && isSyn && connection.IsNewConnectionSyn(s))
        {
            // Port reuse: a fresh SYN on a 4-tuple whose connection is over (or was never properly seen).
            Retire(connection, FlowEndReason.Closed, connection.LastPosition);
            _retired.Remove(key);
            connection = null;
        }

        RetiredConnection? resumes = null;
        // A bare ACK (with PSH at most), or one byte with ACK only: typically the last ACK of a connection that left
        // the table, or a keep-alive probe of an idle one (Windows sends one byte). It would only make an empty
        // flow, or hand one stale byte to the consumer as its first data. Any other segment (a SYN, FIN, RST, data,
        // or flags without ACK, as scans send) is a connection seen in the capture, as tshark counts it.
        var flags = s.Flags & ~(TcpFlags.Ece | TcpFlags.Cwr | TcpFlags.Ns);
        var bareAck = (s.PayloadOriginalLength == 0 && (flags == TcpFlags.Ack || flags == (TcpFlags.Ack | TcpFlags.Psh))) ||
            (s.PayloadOriginalLength == 1 && flags == TcpFlags.Ack);
        if (connection is null && _retired.Count > 0 && _retired.TryGetValue(key, out var gone) && gone.Fits(s.Source, context))
        {
            var opensAnother = (s.Flags & TcpFlags.Syn) != 0 && !gone.IsOwnSyn(s.Source, s.Seq);
            if (opensAnother || (gone.Closed && _clock - gone.ClosedAtNanos > _timeWaitNanos))
            {
                Forget(gone);
            }
            else if (gone.Closed)
            {
                // TIME-WAIT: a retransmission, a last ACK or a late copy of the closed connection's SYN.
                Statistics.SegmentsAfterClose++;
                return;
            }
            else if (!bareAck)
            {
                Forget(gone);
                resumes = gone;
            }
        }

        if (connection is null)
        {
            if (bareAck)
            {
                Statistics.SegmentsIgnored++;
                return;
            }
            if (_tracked >= Limits.MaxTrackedFlows)
            {
                MakeRoom(position);
            }
            connection = resumes is null ? Start(key, s, position) : Resume(resumes, s, position);
        }

        _recent = connection;
        connection.LearnContext(s.Source, context);
        connection.OnSegment(s, position);
        if (connection.IsClosed && !connection.QueuedForRetirement)
        {
            connection.QueuedForRetirement = true;
            _closing.Enqueue(connection);
        }
    }

    /// <summary>Live capture with no packet for a while: lets capture time pass (nanoseconds since the Unix
    /// epoch, the packets' clock), so connections closed longer than the grace period, or idle longer than the
    /// timeout, end now instead of at the next packet. Times earlier than the last segment change nothing.
    /// <paramref name="lastPacketNumber"/> is the last frame seen, the position of the anomalies this reports.</summary>
    public void AdvanceClock(long nowNanos, long lastPacketNumber)
    {
        if (nowNanos <= _clock)
        {
            return;
        }
        _clock = nowNanos;
        RetireClosed(untilAllGone: false);
        if (_nextIdleSweep != long.MinValue && _clock >= _nextIdleSweep)
        {
            EvictIdle(new SegmentPosition(lastPacketNumber, nowNanos));
            _nextIdleSweep = _clock + _sweepIntervalNanos;
        }
    }

    /// <summary>The capture ended: every connection still in the table ends (closed ones as Closed, the rest as
    /// CaptureEnded), in the order they started.</summary>
    public void Finish(SegmentPosition last)
    {
        _finishing = true;
        var remaining = AllConnections().OrderBy(c => c.Serial).ToList();
        foreach (var c in remaining)
        {
            if (c.IsClosed)
            {
                Retire(c, FlowEndReason.Closed, c.LastPosition);
            }
            else
            {
                Retire(c, FlowEndReason.CaptureEnded, last);
            }
        }
        _closing.Clear();
    }

    /// <summary>Segments again on a connection that was evicted (idle or for room): the same connection continues
    /// (not counted again), its consumer picking the stream up mid-way.</summary>
    private TcpConnection Resume(RetiredConnection gone, in TcpSegment s, SegmentPosition position)
    {
        var info = gone.Info with { SawSyn = false, FirstPosition = position, Path = PathText(s.Path), Continues = true };
        var connection = Add(gone.Key, info);
        Statistics.FlowsResumed++;
        Anomalies.Report(position.PacketNumber, FlowAnomalyKind.ResumedAfterEviction,
            $"{info.Originator} -> {info.Responder}: segments again after {(position.TimestampNanos - gone.LastNanos) / 1e9:0} s of capture time " +
            "without one; the same connection continues from here (counted once), its earlier part reported when it was let go");
        return connection;
    }

    private TcpConnection Add(FlowKey key, TcpConnectionInfo info)
    {
        var consumer = _factory.Create(info);
        var connection = new TcpConnection(this, key, info, consumer, ++_connectionSerial);
        if (_flows.TryGetValue(key, out var sameTuple))
        {
            connection.NextSameTuple = sameTuple;
        }
        _flows[key] = connection;
        _tracked++;
        Statistics.ActiveFlows = _tracked;
        Statistics.PeakActiveFlows = Math.Max(Statistics.PeakActiveFlows, _tracked);
        return connection;
    }

    /// <summary>Remembers a connection that leaves the table (at most <see cref="FlowLimits.MaxRetiredConnectionsRemembered"/>,
    /// the oldest forgotten first).</summary>
    private void Remember(TcpConnection c)
    {
        if (_finishing || Limits.MaxRetiredConnectionsRemembered <= 0)
        {
            return;
        }
        var gone = new RetiredConnection(c.Key, c.Info, c.Serial, c.IsClosed, c.ClosedAtNanos, c.LastPosition.TimestampNanos, c.Originator, c.Responder);
        _retired[c.Key] = gone;
        _retiredOrder.Enqueue((c.Key, c.Serial));
        while (_retiredOrder.Count > Limits.MaxRetiredConnectionsRemembered)
        {
            var (oldKey, oldSerial) = _retiredOrder.Dequeue();
            if (_retired.TryGetValue(oldKey, out var old) && old.Serial == oldSerial)
            {
                _retired.Remove(oldKey);
            }
        }
    }

    private void Forget(RetiredConnection gone) => _retired.Remove(gone.Key);

    private TcpConnection Start(FlowKey key, in TcpSegment s, SegmentPosition position)
    {
        var synOnly = (s.Flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn;
        var synAck = (s.Flags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack);
        NetEndpoint originator, responder;
        if (synOnly)
        {
            (originator, responder) = (s.Source, s.Destination);
        }
        else if (synAck)
        {
            (originator, responder) = (s.Destination, s.Source);
        }
        else if (s.Destination.Port > s.Source.Port)
        {
            // Mid-connection: clients use ephemeral (high) ports.
            (originator, responder) = (s.Destination, s.Source);
        }
        else
        {
            (originator, responder) = (s.Source, s.Destination);
        }

        var info = new TcpConnectionInfo(originator, responder, synOnly, position) { Path = PathText(s.Path) };
        var connection = Add(key, info);
        Statistics.FlowsSeen++;
        if (!synOnly)
        {
            Statistics.MidstreamStarts++;
            Anomalies.Report(position.PacketNumber, FlowAnomalyKind.MidstreamStart,
                $"{originator} -> {responder}: the capture starts in the middle of this connection (no SYN seen)");
        }
        return connection;
    }

    /// <summary>
    /// The connection of a segment among those on its 4-tuple (usually one): the one whose tunnel context in this
    /// direction is the segment's, else one that has not seen this direction yet. Each direction keeps the context
    /// it first came with: a SPAN port or Geneve tags the two directions differently, and that is still one
    /// connection (as tshark counts it), while a second tenant with the same inner addresses is another.
    /// </summary>
    private TcpConnection? Find(FlowKey key, in TcpSegment s, ulong context)
    {
        if (!_flows.TryGetValue(key, out var head))
        {
            return null;
        }
        TcpConnection? unlearned = null;
        for (var c = head; c is not null; c = c.NextSameTuple)
        {
            switch (c.ContextMatch(s.Source, context))
            {
                case TcpConnection.ContextFit.Same:
                    return c;
                case TcpConnection.ContextFit.NotYetSeen:
                    unlearned ??= c;
                    break;
            }
        }
        if (unlearned is not null)
        {
            return unlearned;
        }
        // A third context in one direction: a SPAN session that copies a packet once per VLAN it crosses (or a
        // router on a stick). Only a SYN with its own initial sequence number starts another tenant's connection.
        var isSyn = (s.Flags & TcpFlags.Syn) != 0;
        if (!isSyn)
        {
            return head;
        }
        for (var c = head; c is not null; c = c.NextSameTuple)
        {
            if (c.HasInitialSequence(s.Source, s.Seq))
            {
                return c;
            }
        }
        return null;
    }

    private IEnumerable<TcpConnection> AllConnections()
    {
        foreach (var head in _flows.Values)
        {
            for (var c = head; c is not null; c = c.NextSameTuple)
            {
                yield return c;
            }
        }
    }

    private bool Unlink(TcpConnection c)
    {
        if (!_flows.TryGetValue(c.Key, out var head))
        {
            return false;
        }
        if (ReferenceEquals(head, c))
        {
            if (c.NextSameTuple is null)
            {
                _flows.Remove(c.Key);
            }
            else
            {
                _flows[c.Key] = c.NextSameTuple;
            }
            return true;
        }
        for (var p = head; p.NextSameTuple is not null; p = p.NextSameTuple)
        {
            if (ReferenceEquals(p.NextSameTuple, c))
            {
                p.NextSameTuple = c.NextSameTuple;
                return true;
            }
        }
        return false;
    }

    /// <summary>The path's text, made once for a run of connections found under the same headers.</summary>
    private string PathText(in EncapsulationPath path)
    {
        if (_lastPathText is null || !path.SameLayers(_lastPath))
        {
            _lastPath = path;
            _lastPathText = path.ToString();
        }
        return _lastPathText;
    }

    private void RetireClosed(bool untilAllGone)
    {
        while (_closing.TryPeek(out var c))
        {
            if (c.Retired)
            {
                _closing.Dequeue();
                continue;
            }
            if (!untilAllGone && _clock - c.ClosedAtNanos <= _graceNanos)
            {
                return;
            }
            _closing.Dequeue();
            Retire(c, FlowEndReason.Closed, c.LastPosition);
        }
    }

    private void EvictIdle(SegmentPosition now)
    {
        var idle = AllConnections().Where(c => _clock - c.LastPosition.TimestampNanos > _idleTimeoutNanos).OrderBy(c => c.Serial).ToList();
        foreach (var c in idle)
        {
            Statistics.FlowsEvictedIdle++;
            Anomalies.Report(now.PacketNumber, FlowAnomalyKind.IdleEvicted,
                $"{c.Info.Originator} -> {c.Info.Responder}: silent for more than {Limits.IdleTimeout.TotalSeconds:0} s of capture time; no longer tracked");
            Retire(c, FlowEndReason.Evicted, c.LastPosition);
        }
    }

    /// <summary>The table is full: closed connections go first, then the least recently active sixteenth
    /// (evicting in batches keeps a flood of new connections from costing a scan per packet).</summary>
    private void MakeRoom(SegmentPosition now)
    {
        RetireClosed(untilAllGone: true);
        if (_tracked < Limits.MaxTrackedFlows)
        {
            return;
        }
        var batch = Math.Max(1, Limits.MaxTrackedFlows / 16);
        var victims = AllConnections().OrderBy(c => c.LastPosition.TimestampNanos).ThenBy(c => c.Serial).Take(batch).ToList();
        Anomalies.Report(now.PacketNumber, FlowAnomalyKind.FlowTableFull,
            $"more than {Limits.MaxTrackedFlows} connections at once (MaxTrackedFlows): the {victims.Count} least recently active were evicted");
        foreach (var c in victims)
        {
            Statistics.FlowsEvictedTableFull++;
            Retire(c, FlowEndReason.Evicted, c.LastPosition);
        }
    }

    private void Retire(TcpConnection c, FlowEndReason reason, SegmentPosition position)
    {
        if (c.Retired)
        {
            return;
        }
        if (ReferenceEquals(_recent, c))
        {
            _recent = null;
        }
        if (Unlink(c))
        {
            _tracked--;
        }
        if (reason == FlowEndReason.Closed)
        {
            Statistics.FlowsClosed++;
        }
        Statistics.ActiveFlows = _tracked;
        Remember(c);
        c.End(reason, position);
    }

    internal void AddBuffered(long bytes)
    {
        Statistics.BufferedBytes += bytes;
        if (Statistics.BufferedBytes > Statistics.PeakBufferedBytes)
        {
            Statistics.PeakBufferedBytes = Statistics.BufferedBytes;
        }
    }
}

/// <summary>A 4-tuple with its two endpoints in a fixed order, so both directions find the same connection (the
/// connections of one 4-tuple in different tunnel contexts are chained behind it).</summary>
internal readonly struct FlowKey : IEquatable<FlowKey>
{
    private readonly NetEndpoint _low;
    private readonly NetEndpoint _high;

    private FlowKey(NetEndpoint low, NetEndpoint high)
    {
        _low = low;
        _high = high;
    }

    public static FlowKey From(NetEndpoint a, NetEndpoint b) => IsLower(a, b) ? new FlowKey(a, b) : new FlowKey(b, a);

    private static bool IsLower(NetEndpoint a, NetEndpoint b) =>
        a.Address < b.Address || (a.Address == b.Address && a.Port <= b.Port);

    public bool Equals(FlowKey other) =>
        _low.Address == other._low.Address && _high.Address == other._high.Address &&
        _low.Port == other._low.Port && _high.Port == other._high.Port && _low.IsIPv6 == other._low.IsIPv6;

    public override bool Equals(object? obj) => obj is FlowKey k && Equals(k);

    // One randomized HashCode (a crafted capture cannot aim at collisions) over plain 64-bit halves: cheaper
    // than combining UInt128 hashes.
    public override int GetHashCode() => HashCode.Combine(
        (ulong)_low.Address, (ulong)(_low.Address >> 64), (ulong)_high.Address, (ulong)(_high.Address >> 64),
        ((uint)_low.Port << 16) | _high.Port);
}

/// <summary>Caps the anomalies of each kind so a hostile capture cannot fill the report.</summary>
internal sealed class FlowAnomalyReporter(IFlowAnomalySink? sink, int maxPerKind, FlowStatistics statistics)
{
    private readonly int[] _counts = new int[Enum.GetValues<FlowAnomalyKind>().Length];

    /// <summary>Counts the anomaly; true when it is within the limit and someone listens (so the caller
    /// builds the detail string only then).</summary>
    public bool Admit(long packet, FlowAnomalyKind kind)
    {
        var n = ++_counts[(int)kind];
        if (n > maxPerKind)
        {
            statistics.AnomaliesSuppressed++;
            if (n == maxPerKind + 1)
            {
                sink?.Report(new FlowAnomaly(packet, FlowAnomalyKind.AnomaliesSuppressed,
                    $"more than {maxPerKind} anomalies of kind {kind} (MaxAnomaliesPerKind): further ones are only counted"));
            }
            return false;
        }
        return sink is not null;
    }

    public void Report(long packet, FlowAnomalyKind kind, string detail)
    {
        if (Admit(packet, kind))
        {
            sink!.Report(new FlowAnomaly(packet, kind, detail));
        }
    }

    /// <summary>Reports after a successful <see cref="Admit"/>.</summary>
    public void Emit(long packet, FlowAnomalyKind kind, string detail) => sink?.Report(new FlowAnomaly(packet, kind, detail));
}
