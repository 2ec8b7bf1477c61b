namespace PcapTls.Tls;

/// <summary>TLS record content types (RFC 8446 section 5.1); unknown values keep their number.</summary>
public enum TlsContentType : byte
{
    ChangeCipherSpec = 20,
    Alert = 21,
    Handshake = 22,
    ApplicationData = 23,
    Heartbeat = 24,
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
    bool IsSslv2);

/// <summary>A Certificate message: the DER certificates in the order sent.</summary>
/// <param name="RequestContext">TLS 1.3 certificate_request_context (null before TLS 1.3).</param>
public sealed record CertificateMessage(IReadOnlyList<byte[]> Certificates, byte[]? RequestContext);

/// <summary>A CertificateRequest: what client certificates the server asks for.</summary>
/// <param name="CertificateAuthorities">DER-encoded distinguished names from certificate_authorities.</param>
public sealed record CertificateRequestInfo(
    IReadOnlyList<byte> CertificateTypes,
    IReadOnlyList<ushort> SignatureAlgorithms,
    IReadOnlyList<byte[]> CertificateAuthorities);

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
}

public readonly record struct TlsAnomaly(TlsAnomalyKind Kind, long PacketNumber, string Detail);
