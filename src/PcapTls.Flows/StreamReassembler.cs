namespace PcapTls.Flows;

/// <summary>
/// Puts one direction of a connection back in order (Zeek's TCP_Reassembler). Stream positions are 64-bit
/// offsets from the first byte seen, so sequence-number wrap-around is handled once, in <see cref="OffsetOf"/>.
/// In-order data with nothing buffered goes straight from the packet's span to the consumer (no copy);
/// out-of-order data is copied and held, bounded by <see cref="FlowLimits"/>. First copy wins on overlap.
/// </summary>
internal sealed class StreamReassembler(TcpConnection connection, FlowDirection direction)
{
    private List<BufferedSegment>? _pending;
    private long _pendingBytes;
    private bool _started;
    private uint _nextSeq;
    private long _nextOffset;
    private long _finOffset;
    private bool _rstReported;
    private long _ackedUpTo = long.MinValue;
    private SegmentPosition _ackedAt;

    public bool HasSyn { get; private set; }

    public uint Isn { get; private set; }

    public bool FinSeen { get; private set; }

    private FlowStatistics Statistics => connection.Statistics;

    private FlowLimits Limits => connection.Table.Limits;

    private string Side => direction == FlowDirection.FromOriginator ? "originator" : "responder";

    /// <summary>True the first time (the SYN is reported once; retransmitted SYNs are not).</summary>
    public bool OnSyn(uint seq)
    {
        if (HasSyn)
        {
            return false;
        }
        HasSyn = true;
        Isn = seq;
        if (!_started)
        {
            Start(seq + 1);
        }
        return true;
    }

    /// <summary>A segment without payload: on a connection picked up mid-stream, its sequence number is where
    /// this direction's stream continues.</summary>
    public void Observe(uint seq)
    {
        if (!_started)
        {
            Start(seq);
        }
    }

    /// <summary>True the first time. <paramref name="finSeq"/> is the sequence number the FIN occupies.</summary>
    public bool OnFin(uint finSeq)
    {
        if (FinSeen)
        {
            return false;
        }
        FinSeen = true;
        if (!_started)
        {
            Start(finSeq);
        }
        _finOffset = OffsetOf(finSeq);
        return true;
    }

    public bool OnRst()
    {
        if (_rstReported)
        {
            return false;
        }
        _rstReported = true;
        return true;
    }

    public void OnPayload(uint seq, ReadOnlySpan<byte> captured, int length, SegmentPosition position)
    {
        if (!_started)
        {
            Start(seq);
        }
        Accept(OffsetOf(seq), captured, length, position);
    }

    /// <summary>The other side acknowledged everything before <paramref name="ack"/>: whatever of it the
    /// capture did not see will not come. With data already held beyond the hole the gap is declared at once
    /// (Zeek does the same); with nothing held it is only remembered, because captures taken on several CPU
    /// queues can show an ACK before the data it acknowledges: the hole becomes a gap when later data from
    /// this side lands beyond it, or when the connection ends.</summary>
    public void OnAcknowledged(uint ack, SegmentPosition position)
    {
        if (!_started)
        {
            return;
        }
        var target = OffsetOf(ack);
        if (FinSeen && target == _finOffset + 1)
        {
            target = _finOffset; // the FIN takes a sequence number but carries no byte
        }
        var missing = target - _nextOffset;
        if (missing <= 0 || missing > Limits.MaxAckedGapBytes)
        {
            return;
        }
        if (_pending is { Count: > 0 })
        {
            DrainUpTo(target, position, "acknowledged by the other side but not in the capture");
            DrainContiguous();
        }
        else if (target > _ackedUpTo)
        {
            _ackedUpTo = target;
            _ackedAt = position;
        }
    }

    /// <summary>The connection ends: buffered data is delivered with the holes between it as gaps, and data
    /// known to be missing before the FIN becomes a gap too.</summary>
    public void FlushAtEnd(SegmentPosition position)
    {
        DeclareAcknowledgedHole(long.MaxValue);
        if (_pending is { Count: > 0 })
        {
            DrainUpTo(_pending[^1].End, position, "never seen before the connection ended");
        }
        if (FinSeen && connection.PayloadWanted)
        {
            var missing = _finOffset - _nextOffset;
            if (missing > 0 && missing <= Limits.MaxAckedGapBytes)
            {
                EmitGap(missing, position, "before the FIN, never seen");
                AdvanceTo(_finOffset);
            }
        }
    }

    public void DropBuffered()
    {
        if (_pending is { Count: > 0 })
        {
            connection.Table.AddBuffered(-_pendingBytes);
            _pending.Clear();
            _pendingBytes = 0;
        }
        _pending = null;
    }

    private void Start(uint seq)
    {
        _started = true;
        _nextSeq = seq;
        _nextOffset = 0;
    }

    private long OffsetOf(uint seq) => _nextOffset + unchecked((int)(seq - _nextSeq));

    private void AdvanceTo(long offset)
    {
        if (offset > _nextOffset)
        {
            _nextSeq = unchecked(_nextSeq + (uint)(offset - _nextOffset));
            _nextOffset = offset;
        }
    }

    private void Accept(long offset, ReadOnlySpan<byte> captured, int length, SegmentPosition position)
    {
        if (offset > _nextOffset)
        {
            DeclareAcknowledgedHole(offset);
        }
        var end = offset + length;
        if (end <= _nextOffset)
        {
            Statistics.Retransmissions++;
            return;
        }
        if (offset <= _nextOffset && _pending is not { Count: > 0 })
        {
            DeliverInOrder(offset, captured, length, position);
            return;
        }
        Buffer(offset, captured, length, position);
        DrainContiguous();
    }

    /// <summary>The common path: straight from the packet to the consumer.</summary>
    private void DeliverInOrder(long offset, ReadOnlySpan<byte> captured, int length, SegmentPosition position)
    {
        var skip = _nextOffset - offset;
        var capturedEnd = offset + captured.Length;
        if (skip < captured.Length)
        {
            Deliver(captured[(int)skip..], position);
        }
        AdvanceTo(capturedEnd);
        var end = offset + length;
        if (end > _nextOffset)
        {
            // The snapshot length cut this segment: the rest of it will never be seen.
            EmitGap(end - _nextOffset, position, reason: null);
            AdvanceTo(end);
        }
    }

    private void Buffer(long offset, ReadOnlySpan<byte> captured, int length, SegmentPosition position)
    {
        if (offset < _nextOffset)
        {
            var cut = _nextOffset - offset;
            captured = captured[(int)Math.Min(cut, captured.Length)..];
            length -= (int)cut;
            offset = _nextOffset;
        }

        if (IsOverLimit(captured.Length))
        {
            Statistics.OutOfOrderLimitHits++;
            connection.Table.Anomalies.Report(position.PacketNumber, FlowAnomalyKind.OutOfOrderLimit,
                $"{connection.Info.Originator} -> {connection.Info.Responder}: more out-of-order data from the {Side} than the limits allow " +
                $"({_pending?.Count ?? 0} segments, {_pendingBytes} bytes buffered; MaxOutOfOrderSegments {Limits.MaxOutOfOrderSegments}, " +
                $"MaxBufferedBytesPerDirection {Limits.MaxBufferedBytesPerDirection}); the hole is skipped as a gap");
            if (_pending is { Count: > 0 })
            {
                DrainUpTo(_pending[^1].End, position, "skipped because of the out-of-order limit");
                if (connection.PayloadWanted)
                {
                    Accept(offset, captured, length, position);
                }
            }
            else
            {
                EmitGap(offset - _nextOffset, position, "skipped because of the out-of-order limit");
                AdvanceTo(offset);
                DeliverInOrder(offset, captured, length, position);
            }
            return;
        }

        _pending ??= [];
        if (offset > _nextOffset)
        {
            Statistics.OutOfOrderSegments++;
        }

        // Keep only the parts no earlier copy covers; compare the parts it does.
        var end = offset + length;
        var cursor = offset;
        List<(long Start, long End)>? pieces = null;
        foreach (var p in _pending)
        {
            if (p.End <= cursor)
            {
                continue;
            }
            if (p.Offset >= end)
            {
                break;
            }
            if (p.Offset > cursor)
            {
                (pieces ??= []).Add((cursor, p.Offset));
            }
            CheckOverlap(offset, captured, p, Math.Max(cursor, p.Offset), Math.Min(end, p.End), position);
            cursor = Math.Max(cursor, p.End);
            if (cursor >= end)
            {
                break;
            }
        }
        if (cursor < end)
        {
            (pieces ??= []).Add((cursor, end));
        }
        if (pieces is null)
        {
            Statistics.Retransmissions++;
            return;
        }

        var capturedEnd = offset + captured.Length;
        foreach (var (start, stop) in pieces)
        {
            // A piece may begin beyond what the snapshot length kept: then it holds no bytes, only a length.
            var dataLength = (int)Math.Max(0, Math.Min(stop, capturedEnd) - start);
            var data = dataLength == 0 ? [] : captured.Slice((int)(start - offset), dataLength).ToArray();
            var segment = new BufferedSegment(start, (int)(stop - start), data, position);
            var index = _pending.FindIndex(s => s.Offset > start);
            _pending.Insert(index < 0 ? _pending.Count : index, segment);
            _pendingBytes += dataLength;
            connection.Table.AddBuffered(dataLength);
        }
    }

    /// <summary>A remembered acknowledged hole, up to <paramref name="limit"/>, is now certain: declare it.</summary>
    private void DeclareAcknowledgedHole(long limit)
    {
        if (_ackedUpTo > _nextOffset && connection.PayloadWanted)
        {
            DrainUpTo(Math.Min(_ackedUpTo, limit), _ackedAt, "acknowledged by the other side but not in the capture");
            DrainContiguous();
        }
    }

    private bool IsOverLimit(int bytes) =>
        (_pending?.Count ?? 0) >= Limits.MaxOutOfOrderSegments ||
        _pendingBytes + bytes > Limits.MaxBufferedBytesPerDirection ||
        Statistics.BufferedBytes + bytes > Limits.MaxBufferedBytesTotal;

    private void CheckOverlap(long offset, ReadOnlySpan<byte> captured, BufferedSegment earlier, long from, long to, SegmentPosition position)
    {
        var hi = Math.Min(to, Math.Min(offset + captured.Length, earlier.Offset + earlier.Data.Length));
        if (hi <= from)
        {
            return;
        }
        var count = (int)(hi - from);
        var mine = captured.Slice((int)(from - offset), count);
        var theirs = earlier.Data.AsSpan((int)(from - earlier.Offset), count);
        if (!mine.SequenceEqual(theirs))
        {
            Statistics.OverlapConflicts++;
            if (connection.Table.Anomalies.Admit(position.PacketNumber, FlowAnomalyKind.OverlapConflict))
            {
                connection.Table.Anomalies.Emit(position.PacketNumber, FlowAnomalyKind.OverlapConflict,
                $"{connection.Info.Originator} -> {connection.Info.Responder}: {count} bytes from the {Side} at stream offset {from} " +
                $"differ from the copy in packet {earlier.Position.PacketNumber}; the first copy was kept");
            }
        }
    }

    /// <summary>Delivers buffered segments that now start at or before the next expected byte.</summary>
    private void DrainContiguous()
    {
        while (_pending is { Count: > 0 } && _pending[0].Offset <= _nextOffset)
        {
            DeliverFirstBuffered();
        }
    }

    /// <summary>Moves the stream to <paramref name="target"/>: buffered data on the way is delivered, holes
    /// become gaps.</summary>
    private void DrainUpTo(long target, SegmentPosition position, string reason)
    {
        while (_nextOffset < target && connection.PayloadWanted)
        {
            if (_pending is { Count: > 0 } && _pending[0].Offset <= _nextOffset)
            {
                DeliverFirstBuffered();
                continue;
            }
            var holeEnd = _pending is { Count: > 0 } ? Math.Min(_pending[0].Offset, target) : target;
            EmitGap(holeEnd - _nextOffset, position, reason);
            AdvanceTo(holeEnd);
        }
    }

    private void DeliverFirstBuffered()
    {
        var p = _pending![0];
        _pending.RemoveAt(0);
        _pendingBytes -= p.Data.Length;
        connection.Table.AddBuffered(-p.Data.Length);
        if (p.End <= _nextOffset)
        {
            return;
        }
        var skip = _nextOffset - p.Offset;
        if (skip < p.Data.Length)
        {
            Deliver(p.Data.AsSpan((int)skip), p.Position);
        }
        AdvanceTo(p.Offset + p.Data.Length);
        if (p.End > _nextOffset)
        {
            EmitGap(p.End - _nextOffset, p.Position, reason: null);
            AdvanceTo(p.End);
        }
    }

    private void Deliver(ReadOnlySpan<byte> data, SegmentPosition position)
    {
        if (!connection.PayloadWanted)
        {
            Statistics.PayloadBytesSkipped += data.Length;
            return;
        }
        Statistics.PayloadBytesDelivered += data.Length;
        connection.Consumer.OnData(direction, data, position);
        connection.CheckPayloadWanted();
    }

    /// <param name="reason">Null for a gap the snapshot length made (the capture layer reports those).</param>
    private void EmitGap(long bytes, SegmentPosition position, string? reason)
    {
        if (bytes <= 0 || !connection.PayloadWanted)
        {
            return;
        }
        Statistics.Gaps++;
        Statistics.GapBytes += bytes;
        if (reason is not null && connection.Table.Anomalies.Admit(position.PacketNumber, FlowAnomalyKind.Gap))
        {
            connection.Table.Anomalies.Emit(position.PacketNumber, FlowAnomalyKind.Gap,
                $"{connection.Info.Originator} -> {connection.Info.Responder}: {bytes} bytes from the {Side} at stream offset {_nextOffset} {reason}");
        }
        connection.Consumer.OnGap(direction, bytes, position);
        connection.CheckPayloadWanted();
    }

    private sealed record BufferedSegment(long Offset, int WireLength, byte[] Data, SegmentPosition Position)
    {
        public long End => Offset + WireLength;
    }
}
