namespace PcapTls.Decryption;

/// <summary>The TLS 1.3 secrets a key log holds for one connection (one client random). Any of them may be
/// missing: a client that aborts the handshake logs only SERVER_HANDSHAKE_TRAFFIC_SECRET.</summary>
public sealed record Tls13Secrets
{
    public byte[]? ClientEarlyTrafficSecret { get; init; }
    public byte[]? ClientHandshakeTrafficSecret { get; init; }
    public byte[]? ServerHandshakeTrafficSecret { get; init; }
    public byte[]? ClientTrafficSecret0 { get; init; }
    public byte[]? ServerTrafficSecret0 { get; init; }
    public byte[]? ExporterSecret { get; init; }
    public byte[]? EarlyExporterSecret { get; init; }

    /// <summary>True when at least one secret can open records (exporter secrets cannot).</summary>
    public bool HasTrafficSecret =>
        ClientEarlyTrafficSecret is not null || ClientHandshakeTrafficSecret is not null || ServerHandshakeTrafficSecret is not null
        || ClientTrafficSecret0 is not null || ServerTrafficSecret0 is not null;

    /// <summary>These secrets, with each one this lacks taken from <paramref name="other"/> (a key log is written
    /// line by line while the handshake runs, so one connection's secrets can arrive in several reads).</summary>
    public Tls13Secrets Union(Tls13Secrets other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new Tls13Secrets
        {
            ClientEarlyTrafficSecret = ClientEarlyTrafficSecret ?? other.ClientEarlyTrafficSecret,
            ClientHandshakeTrafficSecret = ClientHandshakeTrafficSecret ?? other.ClientHandshakeTrafficSecret,
            ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret ?? other.ServerHandshakeTrafficSecret,
            ClientTrafficSecret0 = ClientTrafficSecret0 ?? other.ClientTrafficSecret0,
            ServerTrafficSecret0 = ServerTrafficSecret0 ?? other.ServerTrafficSecret0,
            ExporterSecret = ExporterSecret ?? other.ExporterSecret,
            EarlyExporterSecret = EarlyExporterSecret ?? other.EarlyExporterSecret,
        };
    }
}
