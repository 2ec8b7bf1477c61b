namespace PcapTls.Tls;

/// <summary>
/// Bounds on what one connection's decoder buffers. Exceeding one raises an anomaly and stops decoding that side:
/// a hostile or corrupt stream can cost at most these many bytes, never more.
/// </summary>
public sealed record TlsLimits
{
    /// <summary>TLSCiphertext.length may be 2^14 + 2048 in TLS 1.2 (RFC 5246 section 6.2.3); 1.3 allows less.</summary>
    public const int DefaultMaxRecordLength = 16384 + 2048;

    /// <summary>A handshake message may span many records; certificate chains of a few hundred KB exist.</summary>
    public const int DefaultMaxHandshakeMessageLength = 1 << 20;

    public const int DefaultMaxCertificates = 64;

    /// <summary>One certificate: bounded by the message limit; certificates with big extensions (hundreds of SANs,
    /// embedded logos) exceed 64 KiB in real chains.</summary>
    public const int DefaultMaxCertificateLength = 512 * 1024;

    /// <summary>Handshake message bytes reassembled on one connection, both sides together (renegotiations
    /// included): well above any real handshake, a bound on the work a hostile connection can cause.</summary>
    public const int DefaultMaxHandshakeBytesPerConnection = 16 << 20;

    /// <summary>Plaintext (SMTP, IMAP, ...) scanned for a STARTTLS switch before giving up on a side.</summary>
    public const int DefaultMaxPlaintextPreamble = 64 * 1024;

    public static TlsLimits Default { get; } = new();

    public int MaxRecordLength { get; init; } = DefaultMaxRecordLength;

    public int MaxHandshakeMessageLength { get; init; } = DefaultMaxHandshakeMessageLength;

    public int MaxCertificates { get; init; } = DefaultMaxCertificates;

    public int MaxCertificateLength { get; init; } = DefaultMaxCertificateLength;

    public int MaxPlaintextPreamble { get; init; } = DefaultMaxPlaintextPreamble;

    public long MaxHandshakeBytesPerConnection { get; init; } = DefaultMaxHandshakeBytesPerConnection;
}
