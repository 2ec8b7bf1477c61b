using System.Text;
using PcapTls.Analysis;
using PcapTls.Decryption;
using PcapTls.Tls;

namespace PcapTls.Live;

/// <summary>
/// --keylog for a live capture: the server (or client) appends to its key log while we capture, so a
/// connection's secrets are usually written after the file was first read. On a miss, only the lines appended
/// since the last read are parsed (cheap, so no rate limit that could turn a fresh connection into a miss), and
/// the lookup is retried. After <see cref="MaxChunks"/> appended pieces the files are read whole again, so a
/// lookup never searches more than that many pieces.
/// </summary>
public sealed class FollowingKeyLog : IHandshakeDecryptorFactory
{
    public const int MaxChunks = 64;

    private readonly string[] _paths;
    private readonly long[] _offsets;
    private readonly List<KeyLogDecryptors> _chunks = [];

    public FollowingKeyLog(IReadOnlyList<string> paths)
    {
        _paths = [.. paths];
        _offsets = new long[_paths.Length];
        ReadAll();
    }

    /// <summary>Times appended lines were read.</summary>
    public int Reloads { get; private set; }

    /// <summary>How long a miss waits for a key log that is being written to (see <see cref="TryCreate"/>).</summary>
    public const int MaxWaitForWriterMilliseconds = 40;

    private const int WaitStepMilliseconds = 5;

    /// <summary>A key log changed within this window counts as being written to.</summary>
    private static readonly TimeSpan ActiveWriterWindow = TimeSpan.FromSeconds(2);

    private bool RecentlyWritten()
    {
        var now = DateTime.UtcNow;
        foreach (var path in _paths)
        {
            try
            {
                if (now - File.GetLastWriteTimeUtc(path) < ActiveWriterWindow)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not there right now: not being written to.
            }
        }
        return false;
    }

    public ITlsRecordDecryptor? TryCreate(ClientHelloInfo clientHello, ServerHelloInfo serverHello, int clientSide, out string? note)
    {
        var decryptor = Find(clientHello, serverHello, clientSide, out note);
        if (decryptor is null && ReadAppended())
        {
            decryptor = Find(clientHello, serverHello, clientSide, out note);
        }
        // The backend may write its key log line a moment after its ServerHello reached the wire: while a key log
        // is being written to, give it a few milliseconds before deciding the connection has no keys.
        for (var waited = 0; decryptor is null && waited < MaxWaitForWriterMilliseconds && RecentlyWritten(); waited += WaitStepMilliseconds)
        {
            Thread.Sleep(WaitStepMilliseconds);
            if (ReadAppended())
            {
                decryptor = Find(clientHello, serverHello, clientSide, out note);
            }
        }
        return decryptor;
    }

    public bool MatchesTls12(ClientHelloInfo clientHello)
        => _chunks.Any(c => c.MatchesTls12(clientHello)) || (ReadAppended() && _chunks.Any(c => c.MatchesTls12(clientHello)));

    private ITlsRecordDecryptor? Find(ClientHelloInfo clientHello, ServerHelloInfo serverHello, int clientSide, out string? note)
    {
        note = null;
        var known = false;
        for (var i = _chunks.Count - 1; i >= 0; i--)
        {
            known |= _chunks[i].Count > 0;
            var d = _chunks[i].TryCreate(clientHello, serverHello, clientSide, out var n);
            if (d is not null || (n is not null && n.StartsWith("key log matched", StringComparison.Ordinal)))
            {
                note = n;
                return d;
            }
        }
        note = known ? "the key log has no secrets for this connection's client random" : null;
        return null;
    }

    private void ReadAll()
    {
        _chunks.Clear();
        Array.Clear(_offsets);
        ReadAppended();
    }

    /// <summary>Parses the complete lines appended since the last read; true when any were.</summary>
    private bool ReadAppended()
    {
        if (_chunks.Count >= MaxChunks)
        {
            _chunks.Clear();
            Array.Clear(_offsets);
        }
        var added = false;
        for (var i = 0; i < _paths.Length; i++)
        {
            try
            {
                using var stream = new FileStream(_paths[i], FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                if (stream.Length < _offsets[i])
                {
                    _offsets[i] = 0; // truncated or replaced: start over
                }
                if (stream.Length == _offsets[i])
                {
                    continue;
                }
                stream.Seek(_offsets[i], SeekOrigin.Begin);
                var bytes = new byte[stream.Length - _offsets[i]];
                stream.ReadExactly(bytes);
                // Only whole lines: the writer may be in the middle of one.
                var end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
                if (end == 0)
                {
                    continue;
                }
                _offsets[i] += end;
                var log = KeyLog.Parse(new StringReader(Encoding.UTF8.GetString(bytes, 0, end)), _paths[i]);
                _chunks.Add(new KeyLogDecryptors(log));
                added = true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Rotated or removed meanwhile: keep what we had; the next miss tries again.
            }
        }
        if (added)
        {
            Reloads++;
        }
        return added;
    }
}
