using PcapTls.Analysis;
using PcapTls.Decryption;
using PcapTls.Tls;

namespace PcapTls.Live;

/// <summary>
/// --keylog for a live capture: the server (or client) appends to its key log while we capture, so a
/// connection's secrets are usually written after the file was first read. On a miss, the files are read
/// again if they grew, then the lookup is retried. Re-reading is rate-limited (a flood of connections the key
/// log will never know must not re-read a large file for each); a miss during the pause stays a miss and the
/// report says the key log had no secrets for it, as analyze would.
/// </summary>
public sealed class FollowingKeyLog : IHandshakeDecryptorFactory
{
    /// <summary>At most this many re-reads per second.</summary>
    public static readonly TimeSpan MinReloadInterval = TimeSpan.FromMilliseconds(100);

    private readonly string[] _paths;
    private readonly TimeProvider _time;
    private KeyLogDecryptors _current;
    private long[] _lengths;
    private long _lastReload = long.MinValue;

    public FollowingKeyLog(IReadOnlyList<string> paths, TimeProvider? time = null)
    {
        _paths = [.. paths];
        _time = time ?? TimeProvider.System;
        _lengths = Lengths();
        _current = KeyLogDecryptors.Load(_paths);
    }

    /// <summary>Times the files were read again.</summary>
    public int Reloads { get; private set; }

    /// <summary>Client randoms known now.</summary>
    public int Count => _current.Count;

    public ITlsRecordDecryptor? TryCreate(ClientHelloInfo clientHello, ServerHelloInfo serverHello, int clientSide, out string? note)
    {
        var decryptor = _current.TryCreate(clientHello, serverHello, clientSide, out note);
        if (decryptor is null && ReloadIfGrown())
        {
            decryptor = _current.TryCreate(clientHello, serverHello, clientSide, out note);
        }
        return decryptor;
    }

    public bool MatchesTls12(ClientHelloInfo clientHello)
        => _current.MatchesTls12(clientHello) || (ReloadIfGrown() && _current.MatchesTls12(clientHello));

    private bool ReloadIfGrown()
    {
        var now = _time.GetTimestamp();
        if (_lastReload != long.MinValue && _time.GetElapsedTime(_lastReload, now) < MinReloadInterval)
        {
            return false;
        }
        var lengths = Lengths();
        if (lengths.SequenceEqual(_lengths))
        {
            return false;
        }
        _lastReload = now;
        try
        {
            _current = KeyLogDecryptors.Load(_paths);
            _lengths = lengths;
            Reloads++;
            return true;
        }
        catch (KeyLogException)
        {
            // Rotated or removed meanwhile: keep what we had; the next miss tries again.
            return false;
        }
    }

    private long[] Lengths() => _paths.Select(p =>
    {
        try
        {
            return new FileInfo(p).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1L;
        }
    }).ToArray();
}
