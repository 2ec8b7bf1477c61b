using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>
/// What a Java (JSSE) client does with a large Certificate message. Its record layer refuses a handshake message
/// whose announced length exceeds jdk.tls.maxHandshakeMessageSize, and its Certificate parser a chain longer than
/// jdk.tls.maxCertificateChainLength (jdk.tls.client.maxInboundCertificateChainLength in newer JDKs), each with an
/// SSLProtocolException. Defaults and texts from the JDK's sun.security.ssl.SSLConfiguration,
/// SSLSocketInputRecord / SSLEngineInputRecord and CertificateMessage.
/// </summary>
internal static class JavaLimits
{
    /// <summary>jdk.tls.maxHandshakeMessageSize's default (2^15).</summary>
    public const int DefaultMaxHandshakeMessageSize = 32768;

    /// <summary>jdk.tls.maxCertificateChainLength's default for the chain a client receives.</summary>
    public const int DefaultMaxCertificateChainLength = 10;

    /// <summary>The cause when the server's Certificate message passes a default limit; null when it does not.</summary>
    public static Cause? Check(HandshakeObservation o)
    {
        var length = o.ServerCertificateLength;
        var count = o.ServerCertificate?.Certificates.Count ?? 0;
        var where = o.ServerCertificatePacket != 0 ? $"Certificate {EvidenceText.Packet(o.ServerCertificatePacket)}" : "the server's Certificate (never completed in the capture)";
        if (length > DefaultMaxHandshakeMessageSize)
        {
            return new Cause(CauseCode.JavaHandshakeLimit,
                $"The server's Certificate message ({length} bytes) is larger than a Java client accepts by default ({DefaultMaxHandshakeMessageSize})",
                $"{where}: a handshake message of {length} bytes; a Java client throws javax.net.ssl.SSLProtocolException: \"The size of the handshake message ({length}) exceeds the maximum allowed size ({DefaultMaxHandshakeMessageSize})\"",
                $"Send a shorter chain from the server (fewer or smaller certificates), or start the Java client with -Djdk.tls.maxHandshakeMessageSize={NextPowerOfTwo(length)}.");
        }
        if (count > DefaultMaxCertificateChainLength)
        {
            return new Cause(CauseCode.JavaHandshakeLimit,
                $"The server's chain has {count} certificates, more than a Java client accepts by default ({DefaultMaxCertificateChainLength})",
                $"{where}: {count} certificates; a Java client throws javax.net.ssl.SSLProtocolException: \"The certificate chain length ({count}) exceeds the maximum allowed length ({DefaultMaxCertificateChainLength})\"",
                $"Send only the leaf and the intermediates from the server, or start the Java client with -Djdk.tls.maxCertificateChainLength={count}.");
        }
        return null;
    }

    private static int NextPowerOfTwo(int n)
    {
        var p = 1;
        while (p < n && p < (1 << 30))
        {
            p <<= 1;
        }
        return p;
    }
}
