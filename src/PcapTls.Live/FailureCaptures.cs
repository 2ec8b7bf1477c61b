using System.Globalization;
using PcapTls.Analysis;
using PcapTls.Capture;
using PcapTls.Validation;

namespace PcapTls.Live;

/// <summary>Bounds on the frames kept in memory for --write-failures and on the files written.</summary>
public sealed record FailureCaptureLimits
{
    public static FailureCaptureLimits Default { get; } = new();

    /// <summary>The first frames of a connection are kept: the handshake is at the start.</summary>
    public int HeadFramesPerFlow { get; init; } = 48;

    /// <summary>Then only the most recent ones (the alert, FIN and RST that end it).</summary>
    public int TailFramesPerFlow { get; init; } = 16;

    /// <summary>Bytes kept per connection (head and tail together); frames beyond it are not kept.</summary>
    public int MaxBytesPerFlow { get; init; } = 512 << 10;

    /// <summary>Connections with frames in memory at once; a new one beyond it keeps nothing.</summary>
    public int MaxFlows { get; init; } = 20_000;

    /// <summary>Bytes kept over all connections; a frame beyond it is not kept.</summary>
    public long MaxBytesTotal { get; init; } = 64L << 20;

    /// <summary>Failure files kept on disk; writing one more deletes the oldest this run wrote.</summary>
    public int MaxFiles { get; init; } = 100;

    /// <summary>A connection with no frame for this long loses its frames (it ended without a report, e.g. no
    /// TCP payload at all, or was evicted).</summary>
    public TimeSpan FlowIdle { get; init; } = TimeSpan.FromMinutes(6);
}

/// <summary>
/// --write-failures: remembers the recent frames of each TCP connection (bounded: head + tail ring per flow,
/// a cap on flows and bytes) and, when the pipeline reports a failed handshake, writes that connection's frames
/// to a small pcap of its own. At most <see cref="FailureCaptureLimits.MaxFiles"/> files exist at once, so a
/// long run cannot fill the disk. Runs on the analysis thread only.
/// </summary>
public sealed class FailureCaptures
{
    private readonly string _directory;
    private readonly LinkType _linkType;
    private readonly bool _nanosecond;
    private readonly FailureCaptureLimits _limits;
    private readonly Dictionary<EndpointPair, FlowFrames> _flows = [];
    private readonly Dictionary<string, FlowFrames> _byName = new(StringComparer.Ordinal);
    private readonly Queue<string> _files = new();
    private long _bytes;
    private long _nextSweep = long.MinValue;

    public FailureCaptures(string directory, LinkType linkType, bool nanosecond, FailureCaptureLimits? limits = null)
    {
        _directory = Path.GetFullPath(directory);
        _linkType = linkType;
        _nanosecond = nanosecond;
        _limits = limits ?? FailureCaptureLimits.Default;
    }

    public long FilesWritten { get; private set; }

    public long FilesDeleted { get; private set; }

    /// <summary>Failure captures that could not be written (disk full, the folder gone).</summary>
    public long FilesNotWritten { get; private set; }

    /// <summary>Raised (on the analysis thread) when a failure capture cannot be written.</summary>
    public event Action<string>? Problem;

    /// <summary>Frames not kept because a per-flow, flow-count or total limit was reached.</summary>
    public long FramesNotKept { get; private set; }

    public long BytesKept => _bytes;

    public int FlowsKept => _flows.Count;

    /// <summary>The failure files on disk now, oldest first.</summary>
    public IReadOnlyCollection<string> Files => _files;

    /// <summary>Remembers a frame (before the pipeline sees it, so a report raised by this very frame finds it).</summary>
    public void Remember(in RawPacket packet)
    {
        Sweep(packet.TimestampNanos);
        if (PacketDecoder.TryDecodeTcp(packet, out var segment) != DecodeStatus.Tcp)
        {
            return;
        }
        var key = EndpointPair.From(segment.Source, segment.Destination);
        if (!_flows.TryGetValue(key, out var flow))
        {
            if (_flows.Count >= _limits.MaxFlows)
            {
                FramesNotKept++;
                return;
            }
            flow = new FlowFrames(key);
            _flows[key] = flow;
            _byName[flow.Name] = flow;
        }
        if (_bytes + packet.Data.Length > _limits.MaxBytesTotal)
        {
            FramesNotKept++;
            return;
        }
        var frame = new KeptFrame(packet.Number, packet.TimestampNanos, packet.Data.ToArray(), packet.OriginalLength);
        _bytes += flow.Add(frame, _limits, out var notKept);
        FramesNotKept += notKept;
    }

    /// <summary>A handshake was reported: a failed one is written out; either way its frames are let go.</summary>
    /// <returns>The file written, or null.</returns>
    public string? OnHandshake(HandshakeReport report)
    {
        var name = EndpointPair.Name(report.Client, report.Server);
        if (!_byName.TryGetValue(name, out var flow))
        {
            return null;
        }
        var first = Math.Min(report.StartPacket, report.Ladder.Count > 0 ? report.Ladder[0].Packet : report.StartPacket);
        var mine = flow.Frames().Where(f => f.Number >= first && f.Number <= report.LastPacket).ToList();
        // Frames after the connection's last packet belong to the next connection on the same ports (port reuse).
        var later = flow.Frames().Where(f => f.Number > report.LastPacket).ToList();
        _bytes -= flow.Bytes;
        _flows.Remove(flow.Key);
        _byName.Remove(name);
        if (later.Count > 0)
        {
            var next = new FlowFrames(flow.Key);
            foreach (var f in later)
            {
                _bytes += next.Add(f, _limits, out _);
            }
            _flows[next.Key] = next;
            _byName[next.Name] = next;
        }
        if (!report.IsFailure || mine.Count == 0)
        {
            return null;
        }
        return Write(report, mine);
    }

    private string? Write(HandshakeReport report, List<KeptFrame> frames)
    {
        var stamp = report.StartTime.UtcDateTime.ToString("yyyyMMdd'T'HHmmss.fff", CultureInfo.InvariantCulture);
        var cause = report.Causes.Count > 0 ? report.Causes[0].Code.ToCode() : report.Outcome.ToCode();
        var baseName = Safe($"{stamp}_{report.Client}_{report.Server}_{cause}");
        var path = Path.Combine(_directory, baseName + ".pcap");
        for (var i = 1; File.Exists(path); i++)
        {
            path = Path.Combine(_directory, $"{baseName}-{i}.pcap");
        }
        // The oldest goes before the new one is written, so the folder never holds more than MaxFiles captures.
        while (_files.Count >= _limits.MaxFiles)
        {
            var old = _files.Dequeue();
            try
            {
                File.Delete(old);
                FilesDeleted++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Someone moved or locked it: it is theirs now.
            }
        }
        try
        {
            Directory.CreateDirectory(_directory);
            using var writer = new PcapFileWriter(path, _linkType, _nanosecond);
            foreach (var f in frames)
            {
                writer.Write(f.TimestampNanos, f.Data, f.OriginalLength);
            }
            writer.Complete();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Disk full or no folder to write in: this connection's file is lost (the writer deleted its partial file);
            // the capture goes on and the next failure tries again.
            FilesNotWritten++;
            Problem?.Invoke($"cannot write {path}: {e.Message}; {FilesNotWritten} failure capture(s) not written, capture goes on");
            return null;
        }
        FilesWritten++;
        _files.Enqueue(path);
        return path;
    }

    /// <summary>Lets go of connections that went quiet without a report.</summary>
    private void Sweep(long nowNanos)
    {
        if (nowNanos < _nextSweep)
        {
            return;
        }
        var idleNanos = _limits.FlowIdle.Ticks * 100;
        _nextSweep = nowNanos + Math.Max(idleNanos / 8, 1_000_000_000L);
        foreach (var flow in _flows.Values.Where(f => nowNanos - f.LastTimestampNanos > idleNanos).ToList())
        {
            _bytes -= flow.Bytes;
            _flows.Remove(flow.Key);
            _byName.Remove(flow.Name);
        }
    }

    /// <summary>Also called when time passes without packets (live capture is quiet).</summary>
    public void AdvanceClock(long nowNanos) => Sweep(nowNanos);

    private static string Safe(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(chars[i]) || chars[i] is '.' or '-' or '_'))
            {
                chars[i] = '_';
            }
        }
        return new string(chars);
    }

    private readonly record struct KeptFrame(long Number, long TimestampNanos, byte[] Data, int OriginalLength);

    /// <summary>A connection's two endpoints in a fixed order, so both directions find the same frames.</summary>
    private readonly record struct EndpointPair(NetEndpoint Low, NetEndpoint High)
    {
        public static EndpointPair From(NetEndpoint a, NetEndpoint b)
            => a.Address < b.Address || (a.Address == b.Address && a.Port <= b.Port) ? new(a, b) : new(b, a);

        /// <summary>The key a report's "client"/"server" strings give (built once per connection, not per frame).</summary>
        public static string Name(string a, string b) => string.CompareOrdinal(a, b) <= 0 ? a + "|" + b : b + "|" + a;
    }

    private sealed class FlowFrames(EndpointPair key)
    {
        private readonly List<KeptFrame> _head = [];
        private readonly Queue<KeptFrame> _tail = new();

        public EndpointPair Key { get; } = key;

        public string Name { get; } = EndpointPair.Name(key.Low.ToString(), key.High.ToString());

        public long Bytes { get; private set; }

        public long LastTimestampNanos { get; private set; }

        /// <summary>Adds a frame; returns the change in bytes kept.</summary>
        public long Add(KeptFrame frame, FailureCaptureLimits limits, out int notKept)
        {
            notKept = 0;
            LastTimestampNanos = Math.Max(LastTimestampNanos, frame.TimestampNanos);
            if (_head.Count < limits.HeadFramesPerFlow)
            {
                if (Bytes + frame.Data.Length > limits.MaxBytesPerFlow)
                {
                    notKept = 1;
                    return 0;
                }
                _head.Add(frame);
                Bytes += frame.Data.Length;
                return frame.Data.Length;
            }
            long change = 0;
            if (limits.TailFramesPerFlow == 0)
            {
                notKept = 1;
                return 0;
            }
            // The tail is a ring: the oldest tail frame makes way for the newest.
            while (_tail.Count > 0 && (_tail.Count >= limits.TailFramesPerFlow || Bytes + frame.Data.Length > limits.MaxBytesPerFlow))
            {
                var dropped = _tail.Dequeue();
                Bytes -= dropped.Data.Length;
                change -= dropped.Data.Length;
                notKept++;
            }
            if (Bytes + frame.Data.Length > limits.MaxBytesPerFlow)
            {
                notKept++;
                return change;
            }
            _tail.Enqueue(frame);
            Bytes += frame.Data.Length;
            return change + frame.Data.Length;
        }

        public IEnumerable<KeptFrame> Frames() => _head.Concat(_tail);
    }
}
