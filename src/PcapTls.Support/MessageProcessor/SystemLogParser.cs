using System.Net;
using System.Text;
using PcapTls.Support.Logs;

namespace PcapTls.Support.MessageProcessor;

/// <summary>
/// Reads Apigee Message Processor <c>system.log</c> files (plain or gzip) as a stream of records and keeps only
/// what a TLS case needs: each <c>handshakeFailed()</c> record with its channel addresses, and the TLS exceptions
/// (with their <c>Caused by:</c> chains) logged for the same message. Everything else is skipped without being
/// decoded; memory stays bounded by <see cref="LogLimits"/> whatever the size of the files.
/// </summary>
public sealed class SystemLogParser(TimeSpan utcOffset)
{
    private readonly List<Pending> _failures = [];
    private readonly List<Pending> _exceptions = [];
    private readonly List<LogReadSummary> _files = [];
    private long _notKept;
    private long _sequence;

    /// <summary>The offset the logs' local times are read with (Edge writes local time without a zone).</summary>
    public TimeSpan UtcOffset { get; } = utcOffset;

    public void Read(string path, CancellationToken cancel = default)
    {
        var state = new FileState(path);
        var summary = LogLineReader.Read(path, (line, number) => OnLine(state, line, number), cancel);
        Finish(state, summary);
    }

    /// <summary>As <see cref="Read(string, CancellationToken)"/> from a stream (tests).</summary>
    public void Read(string name, Stream stream, CancellationToken cancel = default)
    {
        var state = new FileState(name);
        var summary = new LogReadSummary(name);
        LogLineReader.ReadLines(stream, summary, (line, number) => OnLine(state, line, number), cancel);
        Finish(state, summary);
    }

    private void Finish(FileState state, LogReadSummary summary)
    {
        Close(state);
        foreach (var a in state.Anomalies)
        {
            summary.Add(a);
        }
        if (state.Records == 0 && !state.Stopped && summary.Lines > 0 && !summary.Anomalies.Any(a => a.Kind is LogAnomalyKind.BinaryData))
        {
            summary.Add(new LogAnomaly(state.File, 0, LogAnomalyKind.WrongFormat, summary.Lines));
        }
        if (state.Unknown > 0 && state.Records > 0)
        {
            summary.Add(new LogAnomaly(state.File, state.FirstUnknown, LogAnomalyKind.UnknownLines, state.Unknown));
        }
        if (state.NotKeptHere > 0)
        {
            summary.Add(new LogAnomaly(state.File, 0, LogAnomalyKind.TooManyEvents, state.NotKeptHere));
        }
        _files.Add(summary);
    }

    public MpLogResult Result()
    {
        var claimed = new HashSet<Pending>();
        var failures = new List<MpHandshakeFailure>(_failures.Count);
        var byId = _exceptions.Where(e => e.Context.MessageId is not null).GroupBy(e => e.Context.MessageId!).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var f in _failures)
        {
            var exception = f.Exceptions.Count > 0 ? null : Claim(f, byId, claimed);
            failures.Add(new MpHandshakeFailure(f.At, f.Time, f.Context, f.Thread, f.Remote, f.Local, f.ChannelId, f.HandshakeMessage,
                exception?.Exceptions ?? f.Exceptions, exception?.At ?? (f.Exceptions.Count > 0 ? f.At : null)));
        }
        var unclaimed = _exceptions.Where(e => !claimed.Contains(e))
            .Select(e => new MpExceptionRecord(e.At, e.Time, e.Context, e.Thread, e.Exceptions)).ToList();
        return new MpLogResult(failures, unclaimed, _files, UtcOffset, _notKept);
    }

    /// <summary>The exception record of the same message (by message ID), else the next record of the same thread in the same file.</summary>
    private Pending? Claim(Pending failure, Dictionary<string, List<Pending>> byId, HashSet<Pending> claimed)
    {
        IEnumerable<Pending> candidates = failure.Context.MessageId is { } id && byId.TryGetValue(id, out var same)
            ? same
            : _exceptions.Where(e => e.Context.MessageId is null && e.At.File == failure.At.File && e.Thread == failure.Thread
                && e.Sequence > failure.Sequence && e.Sequence <= failure.Sequence + 3);
        var pick = candidates.Where(e => !claimed.Contains(e)).OrderBy(e => Math.Abs(e.Sequence - failure.Sequence)).FirstOrDefault();
        if (pick is not null)
        {
            claimed.Add(pick);
        }
        return pick;
    }

    private bool OnLine(FileState s, ReadOnlySpan<byte> line, long number)
    {
        switch (MpRecordHeader.Classify(line, out var header))
        {
            case MpRecordHeader.LineKind.Header:
                Close(s);
                s.Records++;
                StartRecord(s, header, number);
                return true;
            case MpRecordHeader.LineKind.ContextOnly:
                // Context printed on lines of its own belongs to the record that follows (as the vendor's guide shows it).
                Close(s);
                s.PendingContext = Merge(s.PendingContext, header.Context);
                s.PendingTime ??= header.Time;
                s.PendingLine = s.PendingLine == 0 ? number : s.PendingLine;
                return true;
            default:
                if (s.Current is { } current)
                {
                    if (current.Kept && !IsStackFrame(line) && JavaExceptionText.MayHoldException(line))
                    {
                        JavaExceptionText.Read(Encoding.UTF8.GetString(line), anywhere: current.Exceptions.Count == 0, current.Exceptions);
                    }
                    return true;
                }
                // Lines before the first record: a log cut at its start, or not a system.log at all.
                if (!line.Trim((byte)' ').IsEmpty)
                {
                    s.Unknown++;
                    s.FirstUnknown = s.FirstUnknown == 0 ? number : s.FirstUnknown;
                    if (s.Records == 0 && s.Unknown >= LogLimits.MaxLinesWithoutRecord)
                    {
                        s.Anomalies.Add(new LogAnomaly(s.File, 0, LogAnomalyKind.WrongFormat, number));
                        s.Unknown = 0;
                        s.Stopped = true;
                        return false;
                    }
                }
                return true;
        }
    }

    private void StartRecord(FileState s, MpRecordHeader header, long number)
    {
        var pendingContext = s.PendingContext;
        var time = header.Time ?? s.PendingTime;
        var at = new LogLocation(s.File, s.PendingLine != 0 ? s.PendingLine : number);
        s.PendingContext = MpContext.None;
        s.PendingTime = null;
        s.PendingLine = 0;
        var isFailure = SslClientChannel.IsHandshakeFailed(header.Message);
        var isError = header.Level.SequenceEqual("ERROR"u8) || header.Level.SequenceEqual("WARN"u8) || header.Level.SequenceEqual("FATAL"u8);
        if (!isFailure && !isError)
        {
            s.Current = Pending.Skipped;
            return;
        }
        var context = Merge(pendingContext, header.Context);
        var p = new Pending
        {
            At = at,
            Time = time is { } t ? new DateTimeOffset(t, UtcOffset).ToUniversalTime() : null,
            Context = context,
            Thread = Encoding.UTF8.GetString(header.Thread),
            Sequence = ++_sequence,
            IsFailure = isFailure,
            Kept = true,
        };
        if (isFailure)
        {
            if (!SslClientChannel.TryRead(header.Message, out var remote, out var local, out var channel, out var message))
            {
                s.Anomalies.Add(new LogAnomaly(s.File, number, LogAnomalyKind.UnreadableChannel, 0, Encoding.UTF8.GetString(header.Message)));
            }
            p.Remote = remote;
            p.Local = local;
            p.ChannelId = channel;
            p.HandshakeMessage = message;
        }
        else
        {
            JavaExceptionText.Read(Encoding.UTF8.GetString(header.Message), anywhere: true, p.Exceptions);
        }
        s.Current = p;
    }

    private void Close(FileState s)
    {
        var p = s.Current;
        s.Current = null;
        if (p is null || !p.Kept)
        {
            return;
        }
        if (!p.IsFailure && (p.Exceptions.Count == 0 || !JavaExceptionText.IsAboutTls(p.Exceptions)))
        {
            return;
        }
        if (_failures.Count + _exceptions.Count >= LogLimits.MaxKeptEvents)
        {
            _notKept++;
            s.NotKeptHere++;
            return;
        }
        (p.IsFailure ? _failures : _exceptions).Add(p);
    }

    private static bool IsStackFrame(ReadOnlySpan<byte> line)
    {
        var t = line.TrimStart("\t "u8);
        return t.StartsWith("at "u8) || t.StartsWith("..."u8);
    }

    private static MpContext Merge(MpContext a, MpContext b) => a.IsEmpty ? b : b.IsEmpty ? a
        : new MpContext(b.Org ?? a.Org, b.Env ?? a.Env, b.Api ?? a.Api, b.Revision ?? a.Revision, b.MessageId ?? a.MessageId);

    private sealed class FileState(string file)
    {
        public string File { get; } = file;
        public Pending? Current { get; set; }
        public MpContext PendingContext { get; set; } = MpContext.None;
        public DateTime? PendingTime { get; set; }
        public long PendingLine { get; set; }
        public long Records { get; set; }
        public long Unknown { get; set; }
        public long FirstUnknown { get; set; }
        public long NotKeptHere { get; set; }
        public bool Stopped { get; set; }
        public List<LogAnomaly> Anomalies { get; } = [];
    }

    private sealed class Pending
    {
        public static readonly Pending Skipped = new() { At = new LogLocation("", 0), Context = MpContext.None };

        public required LogLocation At { get; init; }
        public DateTimeOffset? Time { get; init; }
        public required MpContext Context { get; init; }
        public string? Thread { get; init; }
        public long Sequence { get; init; }
        public bool IsFailure { get; init; }
        public bool Kept { get; init; }

        public IPEndPoint? Remote { get; set; }
        public IPEndPoint? Local { get; set; }
        public string? ChannelId { get; set; }
        public string? HandshakeMessage { get; set; }
        public List<JavaException> Exceptions { get; } = [];
    }
}
