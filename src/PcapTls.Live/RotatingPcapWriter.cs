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

    public void Write(in RawPacket packet)
    {
        ObjectDisposedException.ThrowIf(_current is null, this);
        var record = RecordHeaderBytes + Math.Min(packet.Data.Length, _snapLength);
        if (_rotateBytes > 0 && _current.PacketsWritten > 0 && _currentBytes + record > _rotateBytes)
        {
            _current.Complete();
            _completed.Add(_current.Path);
            _current.Dispose();
            _index++;
            while (_keepFiles > 0 && _completed.Count >= _keepFiles)
            {
                File.Delete(_completed[0]);
                DeletedFiles++;
                _completed.RemoveAt(0);
            }
            _current = Open();
        }
        _current.Write(packet.TimestampNanos, packet.Data, packet.OriginalLength);
        _currentBytes += record;
        FramesWritten++;
    }

    /// <summary>Renames the last file to its final name. Nothing more can be written.</summary>
    public void Complete()
    {
        if (_current is null)
        {
            return;
        }
        _current.Complete();
        _completed.Add(_current.Path);
        _current.Dispose();
        _current = null;
    }

    public void Dispose()
    {
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
