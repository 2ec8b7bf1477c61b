using PcapTls.Capture;

namespace PcapTls.Live;

/// <summary>
/// Keeps every frame seen in pcap files of bounded size: FILE, then FILE.1, FILE.2, ... Each file is written
/// under a temporary name and renamed when it is full or the run ends (<see cref="PcapFileWriter"/>), so every
/// file that exists under its final name is complete and readable, even after SIGTERM.
/// </summary>
public sealed class RotatingPcapWriter : IDisposable
{
    /// <summary>pcap file header and per-record header sizes, to track a file's size without asking the disk.</summary>
    private const int FileHeaderBytes = 24;
    private const int RecordHeaderBytes = 16;

    private readonly string _basePath;
    private readonly LinkType _linkType;
    private readonly bool _nanosecond;
    private readonly int _snapLength;
    private readonly long _rotateBytes;
    private readonly int _keepFiles;
    private readonly List<string> _completed = [];
    private PcapFileWriter? _current;
    private long _currentBytes;
    private int _index;
    private bool _disposed;

    /// <param name="rotateBytes">Start the next file when the current one would pass this size; 0 never rotates.</param>
    /// <param name="keepFiles">Files kept on disk, the one being written included: starting a file beyond it deletes
    /// the oldest (as tcpdump -W does, so a capture running for days cannot fill the disk); 0 keeps them all.</param>
    public RotatingPcapWriter(string path, LinkType linkType, bool nanosecond, int snapLength, long rotateBytes, int keepFiles = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rotateBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(keepFiles);
        _keepFiles = keepFiles;
        _basePath = Path.GetFullPath(path);
        _linkType = linkType;
        _nanosecond = nanosecond;
        _snapLength = snapLength;
        _rotateBytes = rotateBytes;
        _current = Open();
    }

    /// <summary>Files deleted to stay within the number of files kept.</summary>
    public int DeletedFiles { get; private set; }

    /// <summary>Files completed so far and still on disk, in order.</summary>
    public IReadOnlyList<string> CompletedFiles => _completed;

    public long FramesWritten { get; private set; }

    /// <summary>Frames lost to a failed write (disk full, the folder removed): the capture goes on without them.</summary>
    public long FramesNotWritten { get; private set; }

    /// <summary>Writes that failed; after each, a new file is tried <see cref="RetryAfter"/> later (capture time).</summary>
    public long WriteErrors { get; private set; }

    /// <summary>How long after a failed write the next file is tried.</summary>
    public static TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(10);

    /// <summary>Raised (on the writing thread) when a write fails, and when writing works again after failures.</summary>
    public event Action<string>? Problem;

    private long _retryAtNanos = long.MinValue;
    private long _lastTimestampNanos;
    private volatile bool _nextFileRequested;

    /// <summary>
    /// Completes the current file at the next frame and starts the next one (SIGHUP, as logrotate sends): every
    /// frame before the request is then in a file under its final name. Safe to call from any thread.
    /// </summary>
    public void RequestNextFile() => _nextFileRequested = true;

    public void Write(in RawPacket packet)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            WriteOrThrow(packet);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Lose(e, packet.TimestampNanos, 1);
        }
    }

    private void WriteOrThrow(in RawPacket packet)
    {
        _lastTimestampNanos = packet.TimestampNanos;
        if (_current is null)
        {
            if (packet.TimestampNanos < _retryAtNanos)
            {
                FramesNotWritten++;
                return;
            }
            // The lost file was never completed: its name (index) is free again.
            _current = Open();
            Problem?.Invoke($"writing {_current.Path} again after {WriteErrors} failed write(s), {FramesNotWritten} frame(s) not kept");
        }
        var record = RecordHeaderBytes + Math.Min(packet.Data.Length, _snapLength);
        if (_current.PacketsWritten > 0 && ((_rotateBytes > 0 && _currentBytes + record > _rotateBytes) || _nextFileRequested))
        {
            StartNextFile();
        }
        _current.Write(packet.TimestampNanos, packet.Data, packet.OriginalLength);
        _currentBytes += record;
        FramesWritten++;
    }

    /// <summary>
    /// Acts on <see cref="RequestNextFile"/> without waiting for a frame (a quiet interface); called on the
    /// writing thread between frames.
    /// </summary>
    public void ServiceRequests()
    {
        if (!_nextFileRequested || _disposed || _current is not { PacketsWritten: > 0 })
        {
            return;
        }
        try
        {
            StartNextFile();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Lose(e, _lastTimestampNanos, 0);
        }
    }

    private void StartNextFile()
    {
        _nextFileRequested = false;
        _current!.Complete();
        _completed.Add(_current.Path);
        _current.Dispose();
        _current = null;
        _index++;
        while (_keepFiles > 0 && _completed.Count >= _keepFiles)
        {
            File.Delete(_completed[0]);
            DeletedFiles++;
            _completed.RemoveAt(0);
        }
        _current = Open();
    }

    /// <summary>Disk full or the folder gone: the current file is lost (a partial file would end mid-record) and
    /// the capture goes on; a new file is tried <see cref="RetryAfter"/> later.</summary>
    private void Lose(Exception e, long nowNanos, int framesInHand)
    {
        var lost = (_current?.PacketsWritten ?? 0) + framesInHand;
        FramesWritten -= _current?.PacketsWritten ?? 0;
        FramesNotWritten += lost;
        WriteErrors++;
        var path = _current?.Path ?? FileName(_basePath, _index);
        _current?.Dispose();
        _current = null;
        _retryAtNanos = nowNanos + RetryAfter.Ticks * 100;
        Problem?.Invoke($"cannot write {path}: {e.Message}; {lost} frame(s) not kept, capture goes on (next try in {RetryAfter.TotalSeconds:0} s)");
    }

    /// <summary>Renames the last file to its final name. Nothing more can be written.</summary>
    public void Complete()
    {
        _disposed = true;
        if (_current is null)
        {
            return;
        }
        try
        {
            _current.Complete();
            _completed.Add(_current.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            FramesWritten -= _current.PacketsWritten;
            FramesNotWritten += _current.PacketsWritten;
            WriteErrors++;
            Problem?.Invoke($"cannot complete {_current.Path}: {e.Message}; {_current.PacketsWritten} frame(s) not kept");
        }
        _current.Dispose();
        _current = null;
    }

    public void Dispose()
    {
        _disposed = true;
        _current?.Dispose();
        _current = null;
    }

    internal static string FileName(string basePath, int index) => index == 0 ? basePath : $"{basePath}.{index}";

    private PcapFileWriter Open()
    {
        _currentBytes = FileHeaderBytes;
        return new PcapFileWriter(FileName(_basePath, _index), _linkType, _nanosecond, _snapLength);
    }
}
