using PcapTls.Decryption;
using PcapTls.Tls;

namespace PcapTls.Analysis;

/// <summary>Finds a connection's TLS 1.3 secrets in key log files and opens its records with them.</summary>
public sealed class KeyLogDecryptors : IHandshakeDecryptorFactory
{
    private readonly KeyLog keyLog;

    public KeyLogDecryptors(KeyLog keyLog) => this.keyLog = keyLog;

    /// <summary>Throws <see cref="KeyLogException"/> (one-line message) when a file cannot be read.</summary>
    public static KeyLogDecryptors Load(params string[] paths) => new(KeyLog.Load(paths));

    /// <summary>Key log files merged with key logs carried inside the capture (pcapng Decryption Secrets Blocks).</summary>
    public static KeyLogDecryptors Load(IReadOnlyList<string> paths, IReadOnlyList<(string Name, string Text)> embedded) => new(KeyLog.Load(paths, embedded));

    /// <summary>Where the secrets came from, said in the note when there is more than one source or the source is
    /// inside the capture (a lone --keylog file is implied, as before).</summary>
    private string Origin(ReadOnlySpan<byte> clientRandom) =>
        keyLog.TryGetSource(clientRandom, out var source) && (keyLog.SourceCount > 1 || source.Contains(Capture.CaptureFileReader.DecryptionSecretsBlockName, StringComparison.Ordinal)) ? $" (from {source})" : "";

    public IReadOnlyList<KeyLogProblem> Problems => keyLog.Problems;

    public int Count => keyLog.Count;

    public ITlsRecordDecryptor? TryCreate(ClientHelloInfo clientHello, ServerHelloInfo serverHello, int clientSide, out string? note)
    {
        if (!keyLog.TryGetSecrets(clientHello.Random, out var secrets))
        {
            note = keyLog.Count > 0 ? "the key log has no secrets for this connection's client random" : null;
            return null;
        }
        var created = Create(secrets, serverHello, clientSide, refresh: null, out note);
        var origin = Origin(clientHello.Random);
        if (origin.Length > 0 && note is not null && note.StartsWith("key log matched", StringComparison.Ordinal))
        {
            note = "key log matched" + origin + note["key log matched".Length..];
        }
        return created;
    }

    /// <summary>This log's secrets for a client random, if any.</summary>
    public bool TryGetSecrets(ReadOnlySpan<byte> clientRandom, out Tls13Secrets secrets) => keyLog.TryGetSecrets(clientRandom, out secrets);

    /// <summary>
    /// A decryptor for a connection's secrets. <paramref name="refresh"/>, when given, is asked for the
    /// connection's secrets again when a record does not open (a key log still being written gains the later
    /// secrets after the decryptor was made); the ones that were missing are added and the record is tried again.
    /// </summary>
    public static ITlsRecordDecryptor? Create(Tls13Secrets secrets, ServerHelloInfo serverHello, int clientSide, Func<Tls13Secrets?>? refresh, out string? note)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (!Tls13HandshakeDecryptor.TryCreate(serverHello.CipherSuite, secrets, out var decryptor))
        {
            note = $"key log matched, but cipher suite {TlsNames.CipherSuite(serverHello.CipherSuite)} cannot be decrypted";
            return null;
        }
        var sides = new List<string>();
        if (secrets.ServerHandshakeTrafficSecret is not null)
        {
            sides.Add("server handshake");
        }
        if (secrets.ClientHandshakeTrafficSecret is not null)
        {
            sides.Add("client handshake");
        }
        if (secrets.ServerTrafficSecret0 is not null || secrets.ClientTrafficSecret0 is not null)
        {
            sides.Add("application");
        }
        note = $"key log matched: decrypted with the {string.Join(", ", sides)} traffic secrets";
        return new Adapter(decryptor, clientSide, refresh);
    }

    public bool MatchesTls12(ClientHelloInfo clientHello) => keyLog.HasTls12Secret(clientHello.Random);

    private sealed class Adapter(Tls13HandshakeDecryptor decryptor, int clientSide, Func<Tls13Secrets?>? refresh) : ITlsRecordDecryptor
    {
        public bool TryDecrypt(int side, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, out byte[] plaintext, out TlsContentType innerType)
        {
            var direction = side == clientSide ? TrafficDirection.Client : TrafficDirection.Server;
            var ok = decryptor.TryDecrypt(direction, header, payload, out plaintext, out var inner);
            if (!ok && refresh?.Invoke() is { } later && decryptor.AddMissingSecrets(later))
            {
                ok = decryptor.TryDecrypt(direction, header, payload, out plaintext, out inner);
            }
            innerType = (TlsContentType)inner;
            return ok;
        }
    }
}
