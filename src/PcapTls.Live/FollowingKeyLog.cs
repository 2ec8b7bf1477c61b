using System.Text;
using PcapTls.Analysis;
using PcapTls.Decryption;
using PcapTls.Tls;

namespace PcapTls.Live;

/// <summary>
/// --keylog for a live capture: the server (or client) appends to its key log while we capture, so a connection's
/// secrets are often written after the file was last read, and sometimes after the connection's packets were seen.
/// The complete lines appended since the last read are parsed on a miss, when a record does not open, and when the
/// pipeline polls for connections waiting for their secrets (<see cref="IGrowingKeyLog"/>,
/// <see cref="SecretsWaitLimits"/>); nothing here waits or sleeps. The secrets are kept per client random in a
/// table of at most <see cref="MaxConnectionsKept"/> connections (the oldest forgotten first), so a capture that runs
/// for days keeps its memory however large the key log grows.
/// <para>Rotation (logrotate's rename-and-create, or copytruncate) and truncation are followed as tail -F does: a
/// file whose first bytes changed, or that is shorter than what was read, is read again from its start; a renamed
/// file stays open and is read to its end, since a writer that does not reopen its log keeps writing there.</para>
/// </summary>
public sealed class FollowingKeyLog : IGrowingKeyLog
{
    /// <summary>Client randoms whose secrets are kept (about 400 bytes each with all five TLS 1.3 secrets).</summary>
    public const int MaxConnectionsKept = 100_000;

    private readonly FollowedFile[] _files;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly int _maxConnections;

    private sealed class Entry
    {
        public Tls13Secrets? Secrets;
        public bool Tls12;
    }

    /// <param name="maxConnectionsKept">Tests reach the table's bound with a smaller one.</param>
    public FollowingKeyLog(IReadOnlyList<string> paths, int maxConnectionsKept = MaxConnectionsKept)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConnectionsKept, 1);
        _maxConnections = maxConnectionsKept;
        _files = [.. paths.Select(p => new FollowedFile(p))];
        ReadAppended();
    }

    /// <summary>Times appended lines were read.</summary>
    public int Reloads { get; private set; }

    /// <summary>Times a key log file was found rotated, replaced or truncated (and read again from its start).</summary>
    public int Rotations => _files.Sum(f => f.Rotations);

    /// <summary>Connections known now (bounded by the table's size, <see cref="MaxConnectionsKept"/> unless told).</summary>
    public int Count => _entries.Count;

    /// <summary>Connections forgotten because the table was full.</summary>
    public long Forgotten { get; private set; }

    public ITlsRecordDecryptor? TryCreate(ClientHelloInfo clientHello, ServerHelloInfo serverHello, int clientSide, out string? note)
    {
        ArgumentNullException.ThrowIfNull(clientHello);
        var random = clientHello.Random;
        var secrets = Secrets(random);
        if (secrets is null && ReadAppended())
        {
            secrets = Secrets(random);
        }
        if (secrets is null)
        {
            note = _entries.Count > 0 ? "the key log has no secrets for this connection's client random" : null;
            return null;
        }
        // The server writes a connection's lines as it derives the secrets: its handshake secret before the
        // ServerHello goes out, the client's handshake and both application secrets later. A record that does not
        // open asks again for the lines appended since; what still lacks is for the pipeline's wait.
        return KeyLogDecryptors.Create(secrets, serverHello, clientSide, refresh: () =>
        {
            ReadAppended();
            return Secrets(random);
        }, out note);
    }

    public Tls13Secrets? Secrets(ReadOnlySpan<byte> clientRandom) =>
        clientRandom.Length == 32 && _entries.TryGetValue(Convert.ToHexStringLower(clientRandom), out var e) ? e.Secrets : null;

    public bool MatchesTls12(ClientHelloInfo clientHello)
    {
        ArgumentNullException.ThrowIfNull(clientHello);
        return IsTls12(clientHello.Random) || (ReadAppended() && IsTls12(clientHello.Random));
    }

    private bool IsTls12(ReadOnlySpan<byte> random) =>
        random.Length == 32 && _entries.TryGetValue(Convert.ToHexStringLower(random), out var e) && e.Tls12;

    /// <summary>Parses the complete lines appended to each file since the last read; true when any were.</summary>
    public bool ReadAppended()
    {
        var added = false;
        foreach (var file in _files)
        {
            foreach (var text in file.ReadAppended())
            {
                Add(KeyLog.Parse(new StringReader(text), file.Path));
                added = true;
            }
        }
        if (added)
        {
            Reloads++;
        }
        return added;
    }

    private void Add(KeyLog piece)
    {
        foreach (var random in piece.ClientRandoms)
        {
            var key = Convert.ToHexStringLower(random);
            if (!_entries.TryGetValue(key, out var entry))
            {
                while (_entries.Count >= _maxConnections && _order.TryDequeue(out var oldest))
                {
                    _entries.Remove(oldest);
                    Forgotten++;
                }
                entry = new Entry();
                _entries[key] = entry;
                _order.Enqueue(key);
            }
            if (piece.TryGetSecrets(random, out var secrets))
            {
                entry.Secrets = entry.Secrets is null ? secrets : entry.Secrets.Union(secrets);
            }
            entry.Tls12 |= piece.HasTls12Secret(random);
        }
    }

    /// <summary>One key log path, followed across rotation and truncation.</summary>
    private sealed class FollowedFile(string path)
    {
        /// <summary>Bytes compared at the start of the file to tell a new file under the same name: past OpenSSL's
        /// comment line and the first line's client random (which no other connection shares).</summary>
        private const int HeadLength = 256;

        /// <summary>Bytes read, parsed and let go at a time (a large key log is read in pieces of this size).</summary>
        private const int MaxReadBytes = 4 << 20;

        private FileStream? _current;
        private long _offset;
        private byte[] _head = [];

        /// <summary>The file the name pointed to before the last rotation (read on to its end, while it grows).</summary>
        private FileStream? _renamed;
        private long _renamedOffset;

        public string Path { get; } = path;

        public int Rotations { get; private set; }

        public IEnumerable<string> ReadAppended()
        {
            FollowName();
            if (_renamed is not null)
            {
                var renamedUntil = Length(_renamed);
                while (_renamedOffset < renamedUntil && ReadLines(_renamed, ref _renamedOffset, null) is { } old)
                {
                    yield return old;
                }
            }
            if (_current is not null)
            {
                // Up to the length seen now: a writer appending all the time cannot keep this loop going.
                var until = Length(_current);
                while (_offset < until && ReadLines(_current, ref _offset, this) is { } text)
                {
                    yield return text;
                }
            }
        }

        /// <summary>Opens what the name points to now and tells whether it is the file being read.</summary>
        private void FollowName()
        {
            FileStream probe;
            try
            {
                probe = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return; // not there right now (between a rename and the create): keep what is open
            }
            if (_current is null)
            {
                _current = probe;
                return;
            }
            if (IsCurrent(probe))
            {
                probe.Dispose();
                return;
            }
            Rotations++;
            if (_current.Length < _offset)
            {
                _current.Dispose(); // truncated in place (copytruncate): the probe is the same file
            }
            else
            {
                _renamed?.Dispose();
                _renamed = _current;
                _renamedOffset = _offset;
            }
            _current = probe;
            _offset = 0;
            _head = [];
        }

        private bool IsCurrent(FileStream probe)
        {
            if (probe.Length < _offset)
            {
                return false;
            }
            if (_head.Length == 0)
            {
                return true;
            }
            var start = new byte[_head.Length];
            var n = RandomAccess.Read(probe.SafeFileHandle, start, 0);
            return n == _head.Length && start.AsSpan().SequenceEqual(_head);
        }

        private static long Length(FileStream stream)
        {
            try
            {
                return stream.Length;
            }
            catch (IOException)
            {
                return 0;
            }
        }

        private static string? ReadLines(FileStream stream, ref long offset, FollowedFile? keepHead)
        {
            var length = Length(stream);
            if (length <= offset)
            {
                return null;
            }
            var bytes = new byte[(int)Math.Min(length - offset, MaxReadBytes)];
            var n = RandomAccess.Read(stream.SafeFileHandle, bytes, offset);
            if (n <= 0)
            {
                return null;
            }
            if (keepHead is not null && offset < HeadLength && keepHead._head.Length < HeadLength)
            {
                var headBytes = (int)Math.Min(HeadLength, offset + n);
                var head = new byte[headBytes];
                RandomAccess.Read(stream.SafeFileHandle, head, 0);
                keepHead._head = head;
            }
            // Only whole lines: the writer may be in the middle of one. A run of bytes without a line end longer than
            // any key log line is skipped (it is not a key log; KeyLog reports such lines when they do end).
            var end = Array.LastIndexOf(bytes, (byte)'\n', n - 1) + 1;
            if (end == 0)
            {
                if (n < KeyLog.MaxLineLength)
                {
                    return null;
                }
                end = n;
            }
            offset += end;
            return Encoding.UTF8.GetString(bytes, 0, end);
        }
    }
}
