namespace PcapTls.Capture.Inputs;

/// <summary>
/// Where a capture's bytes come from: a file (opened again for each pass), an archive entry (streamed again
/// through the archive for each pass) or a stream that can be read once, such as standard input (a pipe from
/// tcpdump). A one-pass source keeps only the bytes read while the format is
/// identified (at most <see cref="MaxProbeBytes"/>) and replays them to the one <see cref="CaptureFileReader.Read"/>.
/// </summary>
public sealed class CaptureSource
{
    /// <summary>Raw bytes a one-pass source may hold while the format is identified: the decompressor of a
    /// compressed pipe reads ahead of the 64 KiB of capture the probe needs.</summary>
    public const int MaxProbeBytes = 4 << 20;

    private readonly string? _path;
    private readonly ReplayableStream? _once;
    private readonly Func<Stream>? _open;
    private readonly long _length = -1;
    private bool _onceTaken;

    private CaptureSource(string name, string? path, ReplayableStream? once)
    {
        Name = name;
        _path = path;
        _once = once;
    }

    private CaptureSource(string name, Func<Stream> open, long length)
    {
        Name = name;
        _open = open;
        _length = length;
    }

    /// <summary>The name the user gave: a path, or "-" for standard input.</summary>
    public string Name { get; }

    /// <summary>The file's path, or null for a one-pass stream.</summary>
    public string? Path => _path;

    /// <summary>Whether the capture can be read more than once (a file can; a pipe cannot).</summary>
    public bool CanReadAgain => _path is not null || _open is not null;

    public static CaptureSource File(string path) => new(path, path, null);

    /// <summary>A capture whose bytes <paramref name="open"/> streams from the start each time it is called (an
    /// archive entry, read in place); <paramref name="length"/> is its size (for progress), -1 when unknown.</summary>
    public static CaptureSource Reopenable(string name, Func<Stream> open, long length) => new(name, open, length);

    /// <summary>A stream read once from its current position (standard input: "-").</summary>
    public static CaptureSource Stream(string name, Stream stream) => new(name, null, new ReplayableStream(stream, MaxProbeBytes));

    /// <summary>Size on disk, or -1 when unknown (a pipe).</summary>
    public long Length => _path is not null ? new FileInfo(_path).Length : _length;

    /// <summary>A stream over the raw bytes, from the start, for identifying the format; <see cref="Rewind"/> goes back
    /// to the start.</summary>
    internal Stream OpenForProbe() => _path is not null ? OpenFile(_path)
        : _open is not null ? new ReplayableStream(_open(), MaxProbeBytes, ownsInner: true) : _once!;

    internal static void Rewind(Stream probe)
    {
        if (probe is ReplayableStream replay)
        {
            replay.Rewind();
        }
        else
        {
            probe.Position = 0;
        }
    }

    /// <summary>A stream over the raw bytes from the start, for one pass.</summary>
    internal Stream OpenForRead()
    {
        if (_path is not null)
        {
            return OpenFile(_path);
        }
        if (_open is not null)
        {
            return _open();
        }
        if (_onceTaken)
        {
            throw new CaptureFormatException($"{Name}: a pipe can be read only once");
        }
        _onceTaken = true;
        _once!.Rewind();
        _once.StopRecording();
        return _once;
    }

    internal static FileStream OpenFile(string path) =>
        // bufferSize 0: the reader does its own large reads; a FileStream buffer would only add a copy.
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.SequentialScan);

    /// <summary>A forward-only stream that keeps what it has read (up to a limit) so it can be replayed once from
    /// the start; once recording stops, the kept bytes are served first and then the rest of the stream.</summary>
    private sealed class ReplayableStream(Stream inner, int limit, bool ownsInner = false) : ForwardReadStream
    {
        private byte[] _kept = new byte[64 << 10];
        private int _keptLength;
        private int _replayAt = -1;
        private bool _recording = true;
        private long _position;

        public void Rewind()
        {
            _position = 0;
            if (!_recording && _replayAt < 0 && _keptLength > 0)
            {
                throw new InvalidOperationException("rewound after the replay");
            }
            _replayAt = 0;
        }

        public void StopRecording() => _recording = false;

        public override int Read(Span<byte> buffer)
        {
            var n = ReadOnce(buffer);
            _position += n;
            return n;
        }

        private int ReadOnce(Span<byte> buffer)
        {
            if (_replayAt >= 0 && _replayAt < _keptLength)
            {
                var n = Math.Min(buffer.Length, _keptLength - _replayAt);
                _kept.AsSpan(_replayAt, n).CopyTo(buffer);
                _replayAt += n;
                return n;
            }
            if (!_recording)
            {
                _replayAt = -1;
                return inner.Read(buffer);
            }
            var read = inner.Read(buffer);
            if (read > 0)
            {
                if (_keptLength + read > limit)
                {
                    throw new CaptureFormatException($"the format could not be identified within the first {limit >> 20} MiB of the stream");
                }
                if (_keptLength + read > _kept.Length)
                {
                    Array.Resize(ref _kept, Math.Min(limit, Math.Max(_kept.Length * 2, _keptLength + read)));
                }
                buffer[..read].CopyTo(_kept.AsSpan(_keptLength));
                _keptLength += read;
                _replayAt = _keptLength;
            }
            return read;
        }

        /// <summary>Bytes read since the start (or the rewind): SharpCompress's xz reader asks, though it never seeks.</summary>
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        protected override void Dispose(bool disposing)
        {
            if (disposing && ownsInner)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
