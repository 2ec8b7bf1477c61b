using System.Collections.Concurrent;

namespace PcapTls.Capture.Inputs;

/// <summary>
/// Several capture files read as one, frames merged in timestamp order as mergecap does (equal times: the file
/// given first wins), so a connection that spans two files of a tcpdump -C/-W or -G set is one connection. Each
/// file is read on its own thread into a few bounded batches (memory: files x <see cref="BatchesQueued"/> x
/// <see cref="BatchBytes"/>); frames are numbered 1, 2, ... in merged order, and <see cref="Origin"/> gives back
/// the file and its own frame number (what the user opens in Wireshark).
/// </summary>
public sealed class MergedCapture : ICaptureInput, IPacketNames
{
    /// <summary>Files read as one capture.</summary>
    public const int MaxFiles = 256;

    /// <summary>Frame bytes per batch handed from a file's thread to the merge.</summary>
    public const int BatchBytes = 256 << 10;

    /// <summary>Full batches waiting per file.</summary>
    public const int BatchesQueued = 2;

    /// <summary>Runs of consecutive frames from one file remembered for <see cref="Origin"/>: a rotated set has one
    /// per file; files whose frames interleave have many. Beyond the limit the origin of later frames is unknown.</summary>
    public const int MaxRuns = 1 << 20;

    private readonly List<Run> _runs = [];

    // The runs grow on the merging thread while the analysis's workers name packets already delivered.
    private readonly Lock _runsGate = new();

    public MergedCapture(IReadOnlyList<CaptureFileReader> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count is 0 or > MaxFiles)
        {
            throw new ArgumentOutOfRangeException(nameof(files), $"between 1 and {MaxFiles} files");
        }
        Files = files;
    }

    public IReadOnlyList<CaptureFileReader> Files { get; }

    /// <summary>The files' names joined by commas.</summary>
    public string Path => string.Join(", ", Files.Select(f => f.Path));

    public bool CanReadAgain => Files.All(f => f.CanReadAgain);

    /// <summary>Each file's format; one name when they agree ("pcap"), else "pcap+pcapng".</summary>
    public string FormatName => string.Join("+", Files.Select(f => f.FormatName).Distinct());

    public IReadOnlyList<(string Source, string Text)> EmbeddedKeyLogs => [.. Files.SelectMany(f => f.EmbeddedKeyLogs)];

    /// <summary>Frames delivered by the last Read, per file (index as in <see cref="Files"/>).</summary>
    public long PacketCount { get; private set; }

    public long TotalBytes => Files.Sum(f => Math.Max(0, f.TotalBytes));

    public long BytesRead => Files.Sum(f => f.BytesRead);

    /// <summary>The largest snapshot length any file declares.</summary>
    public int? SnapLength => Files.Max(f => f.SnapLength);

    /// <summary>Whether the origin of every frame is known (see <see cref="MaxRuns"/>).</summary>
    public bool OriginsComplete { get; private set; } = true;

    /// <summary>The file and the file's own frame number of merged frame <paramref name="number"/>.</summary>
    public bool TryGetOrigin(long number, out int file, out long fileNumber)
    {
        lock (_runsGate)
        {
            return TryGetOriginLocked(number, out file, out fileNumber);
        }
    }

    private bool TryGetOriginLocked(long number, out int file, out long fileNumber)
    {
        var lo = 0;
        var hi = _runs.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var run = _runs[mid];
            if (number < run.First)
            {
                hi = mid - 1;
            }
            else if (number >= run.First + run.Count)
            {
                lo = mid + 1;
            }
            else
            {
                file = run.File;
                fileNumber = run.FileFirst + (number - run.First);
                return true;
            }
        }
        file = -1;
        fileNumber = 0;
        return false;
    }

    /// <summary>"name#12" for merged frame <paramref name="number"/>, or "#number" when its origin is unknown.</summary>
    public string Origin(long number) =>
        TryGetOrigin(number, out var file, out var local) ? $"{FileNames[file]}#{local}" : $"#{number}";

    string IPacketNames.Name(long packet) => Origin(packet);

    int IPacketNames.FileOf(long packet) => TryGetOrigin(packet, out var file, out _) ? file : -1;

    IPacketNames? ICaptureInput.PacketNames => this;

    /// <summary>Each file's name as packets are named ("ring.pcap3#12"): without its folder, unless two files share a
    /// name (mp01/capture.pcap, mp02/capture.pcap), then the path below the folder they have in common.</summary>
    public IReadOnlyList<string> FileNames => _fileNames ??= ShortNames(Files.Select(f => f.Path).ToList());

    private string[]? _fileNames;

    internal static string[] ShortNames(IReadOnlyList<string> paths)
    {
        var names = paths.Select(System.IO.Path.GetFileName).ToArray();
        if (names.Distinct(StringComparer.Ordinal).Count() == names.Length)
        {
            return names!;
        }
        var full = paths.Select(System.IO.Path.GetFullPath).ToArray();
        var common = System.IO.Path.GetDirectoryName(full[0]) ?? "";
        while (common.Length > 0 && !full.All(f => f.StartsWith(common + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal)))
        {
            common = System.IO.Path.GetDirectoryName(common) ?? "";
        }
        return [.. full.Select(f => common.Length > 0 ? System.IO.Path.GetRelativePath(common, f) : f)];
    }

    /// <summary>The runs of consecutive merged frames that came from one file, in order (a copy: safe while reading).</summary>
    public IReadOnlyList<Run> Runs
    {
        get
        {
            lock (_runsGate)
            {
                return [.. _runs];
            }
        }
    }

    /// <summary>Streams every frame of every file, merged by time. Damage found in a file is reported with the file's
    /// name and frame number in the detail. Throws only for I/O failures and cancellation.</summary>
    public void Read(IPacketHandler handler, ICaptureAnomalySink? anomalies = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_runsGate)
        {
            _runs.Clear();
        }
        OriginsComplete = true;
        PacketCount = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var feeds = new Feed[Files.Count];
        var collected = new ConcurrentQueue<CaptureAnomaly>();
        for (var i = 0; i < Files.Count; i++)
        {
            feeds[i] = new Feed(Files[i], FileNames[i], i, collected, stop.Token);
        }
        try
        {
            var heads = new PriorityQueue<int, (long Time, int File)>();
            for (var i = 0; i < feeds.Length; i++)
            {
                if (feeds[i].MoveNext())
                {
                    heads.Enqueue(i, (feeds[i].Current.TimestampNanos, i));
                }
            }
            while (heads.TryDequeue(out var i, out _))
            {
                var feed = feeds[i];
                var frame = feed.Current;
                var number = ++PacketCount;
                Remember(number, i, frame.Number);
                handler.OnPacket(new RawPacket(number, frame.TimestampNanos, frame.LinkType, feed.CurrentData, frame.OriginalLength, frame.InterfaceIndex));
                if (feed.MoveNext())
                {
                    heads.Enqueue(i, (feed.Current.TimestampNanos, i));
                }
            }
        }
        finally
        {
            stop.Cancel();
            foreach (var f in feeds)
            {
                f.Join();
            }
        }
        foreach (var f in feeds)
        {
            f.RethrowFailure();
        }
        if (anomalies is not null)
        {
            foreach (var a in collected)
            {
                anomalies.Report(a);
            }
        }
    }

    private void Remember(long number, int file, long fileNumber)
    {
        lock (_runsGate)
        {
            RememberLocked(number, file, fileNumber);
        }
    }

    private void RememberLocked(long number, int file, long fileNumber)
    {
        if (_runs.Count > 0)
        {
            var last = _runs[^1];
            if (last.File == file && last.FileFirst + last.Count == fileNumber)
            {
                _runs[^1] = last with { Count = last.Count + 1 };
                return;
            }
        }
        if (_runs.Count >= MaxRuns)
        {
            OriginsComplete = false;
            return;
        }
        _runs.Add(new Run(number, file, fileNumber, 1));
    }

    /// <summary>Merged frames First .. First+Count-1 are frames FileFirst.. of file File.</summary>
    public readonly record struct Run(long First, int File, long FileFirst, long Count);

    private readonly record struct Frame(long Number, long TimestampNanos, LinkType LinkType, int Offset, int Length, int OriginalLength, int InterfaceIndex);

    private sealed class Batch
    {
        public byte[] Bytes = new byte[BatchBytes];
        public readonly List<Frame> Frames = [];
        public int Used;
    }

    /// <summary>One file read on its own thread into bounded batches; the merge takes its frames one at a time.</summary>
    private sealed class Feed : IPacketHandler
    {
        private readonly BlockingCollection<Batch> _full = new(BatchesQueued);
        private readonly ConcurrentBag<Batch> _free = [];
        private readonly CaptureFileReader _reader;
        private readonly string _name;
        private readonly int _index;
        private readonly ConcurrentQueue<CaptureAnomaly> _anomalies;
        private readonly CancellationToken _ct;
        private readonly Thread _thread;
        private Batch _filling = new();
        private Batch? _current;
        private int _at = -1;
        private Exception? _failure;

        public Feed(CaptureFileReader reader, string name, int index, ConcurrentQueue<CaptureAnomaly> anomalies, CancellationToken ct)
        {
            _reader = reader;
            _name = name;
            _index = index;
            _anomalies = anomalies;
            _ct = ct;
            _thread = new Thread(Run) { IsBackground = true, Name = $"pcaptls-merge-{index}" };
            _thread.Start();
        }

        public Frame Current => _current!.Frames[_at];

        public ReadOnlySpan<byte> CurrentData => _current!.Bytes.AsSpan(Current.Offset, Current.Length);

        public bool MoveNext()
        {
            if (_current is not null && ++_at < _current.Frames.Count)
            {
                return true;
            }
            if (_current is not null)
            {
                _free.Add(_current);
                _current = null;
            }
            // Blocks until the file's thread has a batch, or has finished (then false).
            try
            {
                while (_full.TryTake(out var next, Timeout.Infinite, _ct))
                {
                    if (next.Frames.Count > 0)
                    {
                        _current = next;
                        _at = 0;
                        return true;
                    }
                }
            }
            catch (OperationCanceledException) when (!_ct.IsCancellationRequested)
            {
            }
            _ct.ThrowIfCancellationRequested();
            return false;
        }

        public void OnPacket(in RawPacket packet)
        {
            if (_filling.Used + packet.Data.Length > _filling.Bytes.Length && _filling.Frames.Count > 0)
            {
                Hand();
            }
            if (packet.Data.Length > _filling.Bytes.Length)
            {
                _filling.Bytes = new byte[packet.Data.Length];
            }
            packet.Data.CopyTo(_filling.Bytes.AsSpan(_filling.Used));
            _filling.Frames.Add(new Frame(packet.Number, packet.TimestampNanos, packet.LinkType, _filling.Used, packet.Data.Length, packet.OriginalLength, packet.InterfaceIndex));
            _filling.Used += packet.Data.Length;
        }

        private void Hand()
        {
            _full.Add(_filling, _ct);
            if (_free.TryTake(out var reused))
            {
                reused.Frames.Clear();
                reused.Used = 0;
                _filling = reused;
            }
            else
            {
                _filling = new Batch();
            }
        }

        private void Run()
        {
            try
            {
                _reader.Read(this, new Collector(this), _ct);
                if (_filling.Frames.Count > 0)
                {
                    Hand();
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CaptureFormatException)
            {
                _failure = e;
            }
            finally
            {
                _full.CompleteAdding();
            }
        }

        public void Join() => _thread.Join();

        public void RethrowFailure()
        {
            if (_failure is not null)
            {
                throw _failure is CaptureFormatException ? new CaptureFormatException(_failure.Message, _failure)
                    : new IOException($"{_reader.Path}: {_failure.Message}", _failure);
            }
        }

        private sealed class Collector(Feed feed) : ICaptureAnomalySink
        {
            public void Report(in CaptureAnomaly anomaly) => feed._anomalies.Enqueue(anomaly with
            {
                PacketNumber = 0,
                Detail = $"{feed._name}#{anomaly.PacketNumber}: {anomaly.Detail}",
            });
        }
    }
}
