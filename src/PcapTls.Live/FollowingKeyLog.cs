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
        var random = clientHello.Random.ToArray();
        var secrets = AwaitSecrets(random, readFirst: false);
        if (secrets is null)
        {
            note = _chunks.Any(c => c.Count > 0) ? "the key log has no secrets for this connection's client random" : null;
            return null;
        }
        // The server writes a connection's lines as it derives the secrets: its handshake secret before the
        // ServerHello goes out, the client's handshake and both application secrets later. A record that does not
        // open asks again for the lines appended since, waiting for an active writer as above.
        return KeyLogDecryptors.Create(secrets, serverHello, clientSide,
            refresh: () => AwaitSecrets(random, readFirst: true), out note);
    }

    /// <summary>
    /// The secrets of a client random, united over every piece read so far (one connection's lines may be split
    /// between two reads). While a key log is being written to, waits up to <see cref="MaxWaitForWriterMilliseconds"/>
    /// for appended lines that add to what is known. <paramref name="readFirst"/>: read appended lines even when
    /// some secrets are known (a record did not open with them).
    /// </summary>
    private Tls13Secrets? AwaitSecrets(byte[] random, bool readFirst)
    {
        var before = Secrets(random);
        if (before is { ClientHandshakeTrafficSecret: not null, ServerHandshakeTrafficSecret: not null, ClientTrafficSecret0: not null, ServerTrafficSecret0: not null })
        {
            return before; // nothing more to come: a record that does not open is not waiting for a line
        }
        var secrets = before;
        if ((readFirst || secrets is null) && ReadAppended())
        {
            secrets = Secrets(random);
        }
        for (var waited = 0; Same(before, secrets) && waited < MaxWaitForWriterMilliseconds && RecentlyWritten(); waited += WaitStepMilliseconds)
        {
            Thread.Sleep(WaitStepMilliseconds);
            if (ReadAppended())
            {
                secrets = Secrets(random);
            }
        }
        return secrets;
    }

    private static bool Same(Tls13Secrets? a, Tls13Secrets? b) => a is null ? b is null : b is not null && a.Equals(b);

    private Tls13Secrets? Secrets(byte[] random)
    {
        Tls13Secrets? union = null;
        foreach (var chunk in _chunks)
        {
            if (chunk.TryGetSecrets(random, out var found) && found.HasTrafficSecret)
            {
                union = union is null ? found : union.Union(found);
            }
        }
        return union;
    }

    public bool MatchesTls12(ClientHelloInfo clientHello)
        => _chunks.Any(c => c.MatchesTls12(clientHello)) || (ReadAppended() && _chunks.Any(c => c.MatchesTls12(clientHello)));

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
