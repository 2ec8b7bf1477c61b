using PcapTls.Decryption;

namespace PcapTls.Analysis;

/// <summary>
/// A key log that gains lines while the capture runs (live --keylog: the server writes a connection's secrets as
/// it derives them, and may write them after the connection's packets were seen). The pipeline holds a TLS 1.3
/// connection it could not read whole until the secrets it lacked arrive (see <see cref="SecretsWaitLimits"/>).
/// </summary>
public interface IGrowingKeyLog : IHandshakeDecryptorFactory
{
    /// <summary>Reads the lines appended since the last read; true when any were.</summary>
    bool ReadAppended();

    /// <summary>The TLS 1.3 secrets known now for a ClientHello random; null when none.</summary>
    Tls13Secrets? Secrets(ReadOnlySpan<byte> clientRandom);
}
