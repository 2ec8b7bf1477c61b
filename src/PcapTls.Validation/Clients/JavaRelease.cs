namespace PcapTls.Validation;

/// <summary>
/// The JSSE behaviours that changed between JDK 17 updates, as two proven releases. 17.0.15 made the corpus
/// captures: the exception's message is the validator's text as is, and the TLS 1.3 client sends
/// certificate_unknown for every certificate failure. 17.0.21 (read from its own source, sun.security.ssl.Alert
/// .createSSLException and CertificateMessage.getCertificateAlert, and proven by the differential test): the
/// message starts with the alert's name in parentheses, "(certificate_unknown) PKIX path building failed: ...", and
/// TLS 1.3 sends the same alert per CertPathValidatorException reason as TLS 1.2 (bad_certificate for a refused
/// MD5/SHA-1 signature). Updates between the two are not proven here.
/// </summary>
public sealed record JavaRelease(string Version, bool AlertNameInMessage, bool Tls13AlertByReason)
{
    /// <summary>jdk.tls.maxCertificateChainLength's default (sun.security.ssl.SSLConfiguration).</summary>
    public const int DefaultMaxCertificateChainLength = 10;

    public static readonly JavaRelease Java17u15 = new("17.0.15", AlertNameInMessage: false, Tls13AlertByReason: false);
    public static readonly JavaRelease Java17u21 = new("17.0.21", AlertNameInMessage: true, Tls13AlertByReason: true);

    /// <summary>The release the bundled captures were made with.</summary>
    public static JavaRelease Default => Java17u15;

    /// <summary>The release whose behaviour a JDK version string ("17.0.21.1", "17.0.15+6") has; null when it is not a JDK 17.</summary>
    public static JavaRelease? ForVersion(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var parts = version.Split('.', '+', '-', '_');
        if (parts.Length < 3 || parts[0] != "17" || !int.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var update))
        {
            return null;
        }
        return update >= 16 ? Java17u21 : Java17u15;
    }
}
