namespace PcapTls.Decryption;

/// <summary>Who sent a record. The caller knows it from the ClientHello; the decryptor cannot guess it.</summary>
public enum TrafficDirection
{
    Client,
    Server,
}

/// <summary>The traffic secret a direction's records are currently opened with (RFC 8446 section 7.1).</summary>
public enum Tls13KeyStage
{
    /// <summary>No record of this direction has been opened yet.</summary>
    None,

    /// <summary>client_early_traffic_secret: 0-RTT data.</summary>
    Early,

    /// <summary>[sender]_handshake_traffic_secret: EncryptedExtensions .. Finished.</summary>
    Handshake,

    /// <summary>[sender]_application_traffic_secret_0: everything after the sender's Finished, including alerts.</summary>
    Application,
}

/// <summary>
/// Opens the protected records of one TLS 1.3 connection with the secrets of a key log. Each direction walks
/// the stages early → handshake → application: records are opened with the current stage's keys, and when
/// those fail, with a later stage's keys from sequence number 0 (the sender switched keys after its Finished).
/// Any secret may be missing; a direction with only SERVER_HANDSHAKE_TRAFFIC_SECRET reads the server's flight.
/// Not thread-safe: one instance per connection, records fed in wire order per direction.
/// </summary>
public sealed class Tls13HandshakeDecryptor
{
    private readonly DirectionState _client;
    private readonly DirectionState _server;

    private Tls13HandshakeDecryptor(Tls13CipherSuiteParameters suite, DirectionState client, DirectionState server)
    {
        Suite = suite;
        _client = client;
        _server = server;
    }

    public Tls13CipherSuiteParameters Suite { get; }

    /// <summary>
    /// False when the cipher suite is not a TLS 1.3 suite or no logged traffic secret fits it (a secret whose
    /// length is not the suite's hash length is skipped).
    /// </summary>
    public static bool TryCreate(ushort cipherSuite, Tls13Secrets secrets, out Tls13HandshakeDecryptor decryptor)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        decryptor = null!;
        if (!Tls13CipherSuiteParameters.TryGet(cipherSuite, out var suite))
        {
            return false;
        }
        var client = new DirectionState(suite,
            (Tls13KeyStage.Early, secrets.ClientEarlyTrafficSecret),
            (Tls13KeyStage.Handshake, secrets.ClientHandshakeTrafficSecret),
            (Tls13KeyStage.Application, secrets.ClientTrafficSecret0));
        var server = new DirectionState(suite,
            (Tls13KeyStage.Handshake, secrets.ServerHandshakeTrafficSecret),
            (Tls13KeyStage.Application, secrets.ServerTrafficSecret0));
        if (!client.HasKeys && !server.HasKeys)
        {
            return false;
        }
        decryptor = new Tls13HandshakeDecryptor(suite, client, server);
        return true;
    }

    /// <summary>Looks the connection up in a key log by its ClientHello random; false when the log has no
    /// usable TLS 1.3 secret for it or the suite is not a TLS 1.3 suite.</summary>
    public static bool TryCreate(KeyLog keyLog, ReadOnlySpan<byte> clientRandom, ushort cipherSuite, out Tls13HandshakeDecryptor decryptor)
    {
        ArgumentNullException.ThrowIfNull(keyLog);
        decryptor = null!;
        return keyLog.TryGetSecrets(clientRandom, out var secrets) && TryCreate(cipherSuite, secrets, out decryptor);
    }

    /// <summary>
    /// Adds the traffic secrets this decryptor lacks (a live key log gains a connection's lines while its
    /// handshake runs: the client's handshake and application secrets are written after the server's). Stages a
    /// direction already has, or has moved past, are left as they are. True when any stage was added.
    /// </summary>
    public bool AddMissingSecrets(Tls13Secrets secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var added = _client.TryAdd(Tls13KeyStage.Early, secrets.ClientEarlyTrafficSecret);
        added |= _client.TryAdd(Tls13KeyStage.Handshake, secrets.ClientHandshakeTrafficSecret);
        added |= _client.TryAdd(Tls13KeyStage.Application, secrets.ClientTrafficSecret0);
        added |= _server.TryAdd(Tls13KeyStage.Handshake, secrets.ServerHandshakeTrafficSecret);
        added |= _server.TryAdd(Tls13KeyStage.Application, secrets.ServerTrafficSecret0);
        return added;
    }

    /// <summary>True when some logged secret can open this direction's records.</summary>
    public bool CanDecrypt(TrafficDirection direction) => State(direction).HasKeys;

    /// <summary>The stage whose keys opened the direction's last record.</summary>
    public Tls13KeyStage CurrentStage(TrafficDirection direction) => State(direction).CurrentStage;

    /// <summary>
    /// Opens one protected record (header = its 5 bytes, payload = the encrypted_record) sent in
    /// <paramref name="direction"/>; returns the content without padding and the inner content type
    /// (TLSInnerPlaintext.type: 21 alert, 22 handshake, 23 application data). False, with the state unchanged,
    /// when no available key opens it (wrong or missing secret, a record out of order, a malformed or
    /// over-long record, an outer type other than application_data such as the middlebox CCS). Never throws.
    /// </summary>
    public bool TryDecrypt(TrafficDirection direction, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, out byte[] plaintext, out byte innerContentType) =>
        State(direction).TryOpen(header, payload, out plaintext, out innerContentType);

    /// <summary>
    /// Counts a record of a direction that is already on application keys without opening it (bulk
    /// application data the diagnosis does not need), so a later alert still opens at the right sequence
    /// number. False, and nothing counted, before the direction's application keys are in use: earlier
    /// records must be opened to see where the handshake ends.
    /// </summary>
    public bool SkipApplicationRecord(TrafficDirection direction) => State(direction).TrySkipApplicationRecord();

    private DirectionState State(TrafficDirection direction) => direction == TrafficDirection.Client ? _client : _server;

    private sealed class DirectionState
    {
        private readonly List<(Tls13KeyStage Stage, Tls13RecordProtection Protection)> _stages = [];
        private int _current;

        private Tls13CipherSuiteParameters Suite { get; }

        public DirectionState(Tls13CipherSuiteParameters suite, params (Tls13KeyStage Stage, byte[]? Secret)[] secrets)
        {
            Suite = suite;
            foreach (var (stage, secret) in secrets)
            {
                if (secret is not null && Tls13RecordProtection.TryCreate(suite, secret, out var protection))
                {
                    _stages.Add((stage, protection));
                }
            }
        }

        public bool HasKeys => _stages.Count > 0;

        /// <summary>Adds a stage's keys in stage order; not when the stage is there already or the direction
        /// already opened a record with a later stage's keys (a sender never goes back).</summary>
        public bool TryAdd(Tls13KeyStage stage, byte[]? secret)
        {
            if (secret is null || stage < CurrentStage || _stages.Exists(s => s.Stage == stage)
                || !Tls13RecordProtection.TryCreate(Suite, secret, out var protection))
            {
                return false;
            }
            var at = _stages.FindIndex(s => s.Stage > stage);
            at = at < 0 ? _stages.Count : at;
            _stages.Insert(at, (stage, protection));
            if (CurrentStage != Tls13KeyStage.None && at <= _current)
            {
                _current++;
            }
            return true;
        }

        public Tls13KeyStage CurrentStage { get; private set; } = Tls13KeyStage.None;

        public bool TrySkipApplicationRecord()
        {
            if (CurrentStage != Tls13KeyStage.Application)
            {
                return false;
            }
            _stages[_current].Protection.SkipRecord();
            return true;
        }

        public bool TryOpen(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, out byte[] plaintext, out byte innerContentType)
        {
            // Stages are only ever tried forward: a sender never goes back to older keys.
            for (var i = _current; i < _stages.Count; i++)
            {
                var (stage, protection) = _stages[i];
                var before = protection.SequenceNumber;
                var opened = protection.TryOpen(header, payload, out plaintext, out innerContentType);
                if (opened || protection.SequenceNumber != before)
                {
                    // The tag verified (even if the inner plaintext was malformed): these are the keys in use.
                    _current = i;
                    CurrentStage = stage;
                    return opened;
                }
            }
            plaintext = [];
            innerContentType = 0;
            return false;
        }
    }
}
