using PcapTls.Flows;

namespace PcapTls.Analysis;

/// <summary>Bytes recorded over all connections of one pipeline, against <see cref="SecretsWaitLimits.MaxBytesInAll"/>.</summary>
internal sealed class RecordingBudget(long maxBytes)
{
    public long InUse { get; private set; }

    /// <summary>Connections whose recording was dropped because this budget or the per-connection bound was reached.</summary>
    public long Abandoned { get; internal set; }

    public bool TryTake(long bytes)
    {
        if (InUse + bytes > maxBytes)
        {
            return false;
        }
        InUse += bytes;
        return true;
    }

    public void Release(long bytes) => InUse -= bytes;
}

/// <summary>
/// What the flow layer gave one connection (data, gaps, TCP controls, its end), kept so the connection can be
/// decoded again once a key log gains its secrets. Bounded: past <see cref="SecretsWaitLimits.MaxBytesPerConnection"/>
/// or the pipeline's budget it is dropped for good (the connection is then judged as it was seen).
/// </summary>
internal sealed class ConnectionRecording(TcpConnectionInfo connection, RecordingBudget budget, int maxBytes)
{
    public TcpConnectionInfo Connection => connection;

    /// <summary>Bytes counted for each event besides its payload (its list entry and position).</summary>
    internal const int EventOverhead = 48;

    private enum Kind : byte
    {
        Data,
        Gap,
        Control,
        End,
    }

    private readonly record struct Event(Kind Kind, FlowDirection Direction, byte[]? Data, long Value, SegmentPosition Position);

    private readonly List<Event> events = [];

    public long Bytes { get; private set; }

    public bool Dropped { get; private set; }

    public void Data(FlowDirection direction, ReadOnlySpan<byte> data, SegmentPosition position)
    {
        if (Take(data.Length))
        {
            events.Add(new Event(Kind.Data, direction, data.ToArray(), 0, position));
        }
    }

    public void Gap(FlowDirection direction, long missingBytes, SegmentPosition position)
    {
        if (Take(0))
        {
            events.Add(new Event(Kind.Gap, direction, null, missingBytes, position));
        }
    }

    public void Control(FlowDirection direction, TcpControlKind kind, SegmentPosition position)
    {
        if (Take(0))
        {
            events.Add(new Event(Kind.Control, direction, null, (long)kind, position));
        }
    }

    public void End(FlowEndReason reason, SegmentPosition position)
    {
        if (Take(0))
        {
            events.Add(new Event(Kind.End, default, null, (long)reason, position));
        }
    }

    private bool Take(int payload)
    {
        if (Dropped)
        {
            return false;
        }
        var cost = payload + EventOverhead;
        if (Bytes + cost > maxBytes || !budget.TryTake(cost))
        {
            budget.Abandoned++;
            Drop();
            return false;
        }
        Bytes += cost;
        return true;
    }

    /// <summary>Gives the bytes back; nothing is recorded from now on.</summary>
    public void Drop()
    {
        Dropped = true;
        budget.Release(Bytes);
        Bytes = 0;
        events.Clear();
    }

    /// <summary>Feeds every recorded event, in order, to another consumer of the same connection.</summary>
    public void Replay(ITcpStreamConsumer consumer)
    {
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case Kind.Data:
                    consumer.OnData(e.Direction, e.Data, e.Position);
                    break;
                case Kind.Gap:
                    consumer.OnGap(e.Direction, e.Value, e.Position);
                    break;
                case Kind.Control:
                    consumer.OnControl(e.Direction, (TcpControlKind)e.Value, e.Position);
                    break;
                default:
                    consumer.OnEnd((FlowEndReason)e.Value, e.Position);
                    break;
            }
        }
    }
}
