namespace PcapTls.Tls;

/// <summary>TLS record content types (RFC 8446 section 5.1); unknown values keep their number.</summary>
public enum TlsContentType : byte
{
    ChangeCipherSpec = 20,
    Alert = 21,
    Handshake = 22,
    ApplicationData = 23,
    Heartbeat = 24,

    /// <summary>Not a TLS wire value: marks an SSLv2-format record (2-byte header with the high bit set) in
    /// <see cref="ITlsEventSink.OnRecord"/>, which has no content type.</summary>
    Sslv2 = 128,
}

/// <summary>Handshake message types (IANA TLS HandshakeType registry).</summary>
public enum TlsHandshakeType : byte
{
    HelloRequest = 0,
    ClientHello = 1,
    ServerHello = 2,
    HelloVerifyRequest = 3,
    NewSessionTicket = 4,
    EndOfEarlyData = 5,
    EncryptedExtensions = 8,
    Certificate = 11,
    ServerKeyExchange = 12,
    CertificateRequest = 13,
    ServerHelloDone = 14,
    CertificateVerify = 15,
    ClientKeyExchange = 16,
    Finished = 20,
    CertificateUrl = 21,
    CertificateStatus = 22,
    KeyUpdate = 24,
    MessageHash = 254,
}

public enum TlsAlertLevel : byte
{
    Warning = 1,
    Fatal = 2,
}

/// <summary>An alert. For an encrypted alert without keys, Level and Description are null (only its size is known).</summary>
public readonly record struct TlsAlert(TlsAlertLevel? Level, byte? Description, bool Encrypted);

/// <summary>A ClientHello (TLS or SSLv2 format).</summary>
/// <param name="LegacyVersion">client_version on the wire (0x0303 for TLS 1.2 and 1.3 hellos).</param>
/// <param name="SupportedVersions">The supported_versions extension, empty when absent.</param>
/// <param name="ServerName">The SNI host name, null when absent.</param>
public sealed record ClientHelloInfo(
    ushort LegacyVersion,
    IReadOnlyList<ushort> SupportedVersions,
    string? ServerName,
    IReadOnlyList<string> Alpn,
    IReadOnlyList<ushort> CipherSuites,
    IReadOnlyList<ushort> SignatureAlgorithms,
    IReadOnlyList<ushort> ExtensionTypes,
    byte[] Random,
    byte[] SessionId,
    bool IsSslv2Format)
{
    /// <summary>supported_groups (named groups offered), empty when absent.</summary>
    public IReadOnlyList<ushort> SupportedGroups { get; init; } = [];

    /// <summary>Groups of the key_share entries (TLS 1.3), empty when the extension is absent.</summary>
    public IReadOnlyList<ushort> KeyShareGroups { get; init; } = [];

    /// <summary>True when the key_share extension is present (even with no entries, as after some retries).</summary>
    public bool HasKeyShare => ExtensionTypes.Contains((ushort)51);

    /// <summary>legacy_compression_methods as sent (a TLS 1.3 hello must offer exactly [0]).</summary>
    public IReadOnlyList<byte> CompressionMethods { get; init; } = [];

    /// <summary>SSLv2-format hello only: every 3-byte cipher spec offered (0x00XXYY are TLS suites, also listed
    /// in <see cref="CipherSuites"/>; others such as 0x010080 are SSLv2 kinds).</summary>
    public IReadOnlyList<int> Sslv2CipherSpecs { get; init; } = [];

    /// <summary>The highest version offered (from supported_versions when present).</summary>
    public ushort MaxVersion => SupportedVersions.Count > 0 ? SupportedVersions.Where(v => (v & 0x0F0F) != 0x0A0A).DefaultIfEmpty(LegacyVersion).Max() : LegacyVersion;
}

/// <summary>A ServerHello (or HelloRetryRequest, or SSLv2 server hello).</summary>
/// <param name="NegotiatedVersion">From supported_versions when present (TLS 1.3), else the legacy version.</param>
public sealed record ServerHelloInfo(
    ushort LegacyVersion,
    ushort NegotiatedVersion,
    ushort CipherSuite,
    byte[] Random,
    byte[] SessionId,
    bool IsHelloRetryRequest,
    string? Alpn,
    IReadOnlyList<ushort> ExtensionTypes,
    bool IsSslv2)
{
    /// <summary>The key_share group chosen (ServerHello) or requested (HelloRetryRequest), null when absent.</summary>
    public ushort? KeyShareGroup { get; init; }

    public byte CompressionMethod { get; init; }

    /// <summary>SSLv2 server hello only: the 3-byte cipher specs the server accepts (CipherSuite is 0 then).</summary>
    public IReadOnlyList<int> Sslv2CipherSpecs { get; init; } = [];
}

/// <summary>A Certificate message: the DER certificates in the order sent.</summary>
/// <param name="RequestContext">TLS 1.3 certificate_request_context (null before TLS 1.3).</param>
public sealed record CertificateMessage(IReadOnlyList<byte[]> Certificates, byte[]? RequestContext)
{
    /// <summary>TLS 1.3 only: the extension types of each CertificateEntry (e.g. 5 status_request for a stapled
    /// OCSP response, 18 signed_certificate_timestamp), parallel to Certificates; empty before TLS 1.3.</summary>
    public IReadOnlyList<IReadOnlyList<ushort>> EntryExtensionTypes { get; init; } = [];
}

/// <summary>A CertificateRequest: what client certificates the server asks for.</summary>
/// <param name="CertificateAuthorities">DER-encoded distinguished names from certificate_authorities.</param>
public sealed record CertificateRequestInfo(
    IReadOnlyList<byte> CertificateTypes,
    IReadOnlyList<ushort> SignatureAlgorithms,
    IReadOnlyList<byte[]> CertificateAuthorities)
{
    /// <summary>TLS 1.3 certificate_request_context (null before TLS 1.3).</summary>
    public byte[]? RequestContext { get; init; }

    /// <summary>TLS 1.3: the extension types present; empty before TLS 1.3.</summary>
    public IReadOnlyList<ushort> ExtensionTypes { get; init; } = [];
}

public enum TlsAnomalyKind
{
    RecordTooLarge,
    HandshakeMessageTooLarge,
    MalformedRecord,
    MalformedHandshake,
    UnknownContentType,
    TooManyCertificates,
    GapInStream,
    TruncatedAtEnd,

    /// <summary>One certificate in a Certificate message is larger than <see cref="TlsLimits.MaxCertificateLength"/>.</summary>
    CertificateTooLarge,

    /// <summary>A STARTTLS-looking plaintext preamble went on past <see cref="TlsLimits.MaxPlaintextPreamble"/>.</summary>
    PreambleTooLong,

    /// <summary>A record or message that the negotiated state does not allow (e.g. plaintext handshake bytes
    /// left over when protected records start).</summary>
    UnexpectedMessage,

    /// <summary>The connection's handshake messages went past <see cref="TlsLimits.MaxHandshakeBytesPerConnection"/>.</summary>
    HandshakeBytesPerConnectionExceeded,
}

public readonly record struct TlsAnomaly(TlsAnomalyKind Kind, long PacketNumber, string Detail);
