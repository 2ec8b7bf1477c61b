namespace PcapTls.Validation;

/// <summary>Why the client refused the chain, at the granularity that decides its message and alert.</summary>
internal enum ClientFailure
{
    None,
    EmptyAnchors,
    /// <summary>Java: SunCertPathBuilder found no path. OpenSSL: no issuer (errors 2/18/19/20).</summary>
    NoPath,
    Expired,
    NotYetValid,
    Signature,
    NotCa,
    PathLength,
    KeyUsage,
    /// <summary>Java's EndEntityChecker: the server certificate's key usage lacks what the key exchange needs.</summary>
    EndEntityKeyUsage,
    NameConstraints,
    CriticalExtension,
    /// <summary>Java: more certificates than jdk.tls.maxCertificateChainLength.</summary>
    ChainTooLong,
    Algorithm,
    ExtendedKeyUsage,
    HostName,
    EmptyChain,
    Unparsable,
}

/// <summary>TLS alert descriptions (RFC 8446 section 6 wire values).</summary>
internal static class TlsAlert
{
    public const byte HandshakeFailure = 40;
    public const byte BadCertificate = 42;
    public const byte UnsupportedCertificate = 43;
    public const byte CertificateExpired = 45;
    public const byte CertificateUnknown = 46;
    public const byte UnknownCa = 48;
    public const byte DecryptError = 51;
    public const byte InternalError = 80;
}

/// <summary>OpenSSL's X509_V_ERR_* numbers and texts (OpenSSL 3.0 X509_verify_cert_error_string).</summary>
internal static class OpenSslVerifyError
{
    public const int UnableToGetIssuerCert = 2;
    public const int CertSignatureFailure = 7;
    public const int CertNotYetValid = 9;
    public const int CertHasExpired = 10;
    public const int DepthZeroSelfSigned = 18;
    public const int SelfSignedInChain = 19;
    public const int UnableToGetIssuerCertLocally = 20;
    public const int InvalidCa = 24;
    public const int PathLengthExceeded = 25;
    public const int InvalidPurpose = 26;
    public const int HostnameMismatch = 62;
    public const int IpAddressMismatch = 64;
    public const int EeKeyTooSmall = 66;
    public const int CaKeyTooSmall = 67;
    public const int CaMdTooWeak = 68;

    public static string Text(int error) => error switch
    {
        UnableToGetIssuerCert => "unable to get issuer certificate",
        CertSignatureFailure => "certificate signature failure",
        CertNotYetValid => "certificate is not yet valid",
        CertHasExpired => "certificate has expired",
        DepthZeroSelfSigned => "self-signed certificate",
        SelfSignedInChain => "self-signed certificate in certificate chain",
        UnableToGetIssuerCertLocally => "unable to get local issuer certificate",
        InvalidCa => "invalid CA certificate",
        PathLengthExceeded => "path length constraint exceeded",
        InvalidPurpose => "unsupported certificate purpose",
        HostnameMismatch => "hostname mismatch",
        IpAddressMismatch => "IP address mismatch",
        EeKeyTooSmall => "EE certificate key too weak",
        CaKeyTooSmall => "CA certificate key too weak",
        CaMdTooWeak => "CA signature digest algorithm too weak",
        _ => $"error {error}",
    };

    /// <summary>ssl_verify_alarm_type() in OpenSSL's ssl/statem/statem_lib.c.</summary>
    public static byte Alert(int error) => error switch
    {
        UnableToGetIssuerCert or DepthZeroSelfSigned or SelfSignedInChain or UnableToGetIssuerCertLocally or InvalidCa or PathLengthExceeded => TlsAlert.UnknownCa,
        CertSignatureFailure => TlsAlert.DecryptError,
        CertNotYetValid or HostnameMismatch or IpAddressMismatch or EeKeyTooSmall or CaKeyTooSmall or CaMdTooWeak => TlsAlert.BadCertificate,
        CertHasExpired => TlsAlert.CertificateExpired,
        InvalidPurpose => TlsAlert.UnsupportedCertificate,
        _ => TlsAlert.CertificateUnknown,
    };
}

/// <summary>curl's own texts (lib/vtls/openssl.c in 7.88), as its command line prints them.</summary>
internal static class CurlMessages
{
    public static string VerifyFailed(string openSslText) => $"curl: (60) SSL certificate problem: {openSslText}";

    /// <summary>verifyhost(): any DNS or IP SAN means the SANs decide; else the last CN, compared even with an IP literal.</summary>
    public static string HostMismatch(CertificateInfo leaf, HostNameCheck host) => leaf.DnsNames.Count > 0 || leaf.IpAddresses.Count > 0
        ? $"curl: (60) SSL: no alternative certificate subject name matches target host name '{host.Host}'"
        : leaf.CommonName is { } cn
            ? $"curl: (60) SSL: certificate subject name '{cn}' does not match target host name '{host.Host}'"
            : "curl: (60) SSL: unable to obtain common name from peer certificate";
}

/// <summary>The texts and alerts of the real clients (measured with OpenJDK 17 and OpenSSL 3.0, see FACTS.md).</summary>
internal static class ClientMessages
{
    public const string JavaNoPath = "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target";
    public const string JavaNoTrustAnchor = "Path does not chain with any of the trust anchors";
    public const string JavaValidationPrefix = "PKIX path validation failed: java.security.cert.CertPathValidatorException: ";
    // Measured here with OpenJDK 17 and an empty JKS (and an OpenSSL-made PKCS12): the SSLException message.
    public const string JavaEmptyAnchors = "Unexpected error: java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty";
    public const ushort Tls13 = 0x0304;

    /// <summary>What JSSE's exception says: sun.security.ssl.Alert.createSSLException puts the alert's name first in
    /// the releases that do (<see cref="JavaRelease.AlertNameInMessage"/>); an SSLException thrown as is (the chain
    /// length check) keeps its text.</summary>
    public static string? JavaMessage(string? message, byte? alert, ClientFailure failure, JavaRelease release)
    {
        if (message is null || alert is not { } a || !release.AlertNameInMessage || failure == ClientFailure.ChainTooLong)
        {
            return message;
        }
        return $"({AlertName(a)}) {message}";
    }

    /// <summary>sun.security.ssl.Alert's descriptions.</summary>
    private static string AlertName(byte alert) => alert switch
    {
        TlsAlert.HandshakeFailure => "handshake_failure",
        TlsAlert.BadCertificate => "bad_certificate",
        TlsAlert.UnsupportedCertificate => "unsupported_certificate",
        TlsAlert.CertificateExpired => "certificate_expired",
        TlsAlert.CertificateUnknown => "certificate_unknown",
        TlsAlert.UnknownCa => "unknown_ca",
        TlsAlert.DecryptError => "decrypt_error",
        TlsAlert.InternalError => "internal_error",
        _ => alert.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static string JavaChainTooLong(int count, int max) => $"The certificate chain length ({count}) exceeds the maximum allowed length ({max})";

    public static byte? Alert(ClientProfile profile, ClientFailure failure, ushort tlsVersion, int? openSslError, JavaRelease? release = null, string? message = null)
    {
        if (failure == ClientFailure.None)
        {
            return null;
        }
        if (profile == ClientProfile.Curl && failure == ClientFailure.HostName)
        {
            // curl checks the name after the handshake and closes with close_notify: no fatal alert.
            return null;
        }
        if (profile != ClientProfile.Java)
        {
            return openSslError is { } e ? OpenSslVerifyError.Alert(e) : TlsAlert.CertificateUnknown;
        }
        if (failure == ClientFailure.EmptyAnchors)
        {
            return TlsAlert.InternalError;
        }
        if (failure is ClientFailure.EmptyChain or ClientFailure.Unparsable)
        {
            return TlsAlert.BadCertificate;
        }
        if (failure == ClientFailure.ChainTooLong)
        {
            // SSLSocketImpl.startHandshake: the SSLProtocolException from parsing the Certificate message is an
            // IOException, answered with handshake_failure.
            return TlsAlert.HandshakeFailure;
        }
        release ??= JavaRelease.Default;
        // CertificateMessage.getCertificateAlert maps the CertPathValidatorException reason to an alert; the TLS 1.3
        // consumer of the earlier release sent certificate_unknown for every failure (measured: expired chain).
        var tls13 = tlsVersion >= Tls13;
        if (tls13 && !release.Tls13AlertByReason)
        {
            return TlsAlert.CertificateUnknown;
        }
        return failure switch
        {
            ClientFailure.Expired => TlsAlert.CertificateExpired,
            ClientFailure.NotYetValid or ClientFailure.Signature => TlsAlert.BadCertificate,
            // "Per TLSv1.3 RFC we MUST abort the handshake with a bad_certificate alert" for an MD5 or SHA-1 signature.
            ClientFailure.Algorithm when tls13 && message is not null
                && (message.Contains("MD5WITH", StringComparison.OrdinalIgnoreCase) || message.Contains("SHA1WITH", StringComparison.OrdinalIgnoreCase)) => TlsAlert.BadCertificate,
            ClientFailure.Algorithm => TlsAlert.UnsupportedCertificate,
            _ => TlsAlert.CertificateUnknown,
        };
    }
}
