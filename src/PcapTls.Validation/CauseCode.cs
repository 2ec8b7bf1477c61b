namespace PcapTls.Validation;

/// <summary>Which client's rules the verdict follows.</summary>
public enum ClientProfile
{
    /// <summary>JSSE with its default PKIX trust manager and HTTPS endpoint identification (Java 17).</summary>
    Java,
    /// <summary>OpenSSL 3 (s_client, curl): anchors must be self-signed, OpenSSL's verify error texts.</summary>
    OpenSsl,
    /// <summary>curl 7.88 on OpenSSL 3: OpenSSL's verify with partial chains allowed (a trusted intermediate is
    /// enough), and curl's own host name check after the handshake (no alert: it closes with close_notify).</summary>
    Curl,
}

/// <summary>What the leaf is being used for (checked against its extended key usage).</summary>
public enum KeyPurpose
{
    ServerAuth,
    ClientAuth,
}

/// <summary>How sure the tool is of a finding.</summary>
public enum Certainty
{
    /// <summary>A guess from weak signals (e.g. a name that looks like a root).</summary>
    Low,
    /// <summary>Likely, but another explanation fits the same evidence.</summary>
    Medium,
    /// <summary>Proven by the certificates themselves (a signature, a date, a name).</summary>
    High,
}

/// <summary>The product's closed set of cause codes. <see cref="CauseCodes.ToCode"/> gives the kebab-case string.</summary>
public enum CauseCode
{
    TruststoreMissingAnchor,
    HostnameMismatch,
    IncompleteChain,
    CertificateExpired,
    CertificateNotYetValid,
    SignatureInvalid,
    WeakAlgorithm,
    TruststoreEmpty,
    ClientCertificateMissing,
    ClientCertificateRejected,
    ServerRejectedHello,
    NotTls,
    NoServerResponse,
    CertificateNotVisible,
    CaptureIncomplete,
    ClientRejectedCertificate,

    /// <summary>The server's Certificate message is larger than a Java client accepts by default
    /// (jdk.tls.maxHandshakeMessageSize) or its chain longer (jdk.tls.maxCertificateChainLength).</summary>
    JavaHandshakeLimit,

    /// <summary>An HTTP CONNECT or SOCKS proxy refused the tunnel (407, 403, 5xx, a SOCKS reply code).</summary>
    ProxyRefused,

    /// <summary>The server refused the switch to TLS (STARTTLS, SSLRequest, ... answered with an error).</summary>
    UpgradeRefused,
}

public static class CauseCodes
{
    private static readonly Dictionary<CauseCode, string> ToText = Enum.GetValues<CauseCode>().ToDictionary(c => c, Kebab);
    private static readonly Dictionary<string, CauseCode> FromText = ToText.ToDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>The stable kebab-case code shown in reports and accepted on the command line (TruststoreMissingAnchor -> truststore-missing-anchor).</summary>
    public static string ToCode(this CauseCode c) => ToText.TryGetValue(c, out var s) ? s : ((int)c).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static bool TryParse(string? s, out CauseCode c)
    {
        if (s is not null && FromText.TryGetValue(s.Trim(), out c))
        {
            return true;
        }
        c = default;
        return false;
    }

    private static string Kebab(CauseCode c)
    {
        var name = c.ToString();
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                sb.Append('-');
            }
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
