namespace PcapTls.Validation;

/// <summary>Signature algorithm names as Java prints them, and the digest inside each (for disabled-algorithm checks).</summary>
internal static class SignatureAlgorithms
{
    private static readonly Dictionary<string, string> Names = new()
    {
        ["1.2.840.113549.1.1.2"] = "MD2withRSA",
        ["1.2.840.113549.1.1.4"] = "MD5withRSA",
        ["1.2.840.113549.1.1.5"] = "SHA1withRSA",
        ["1.2.840.113549.1.1.14"] = "SHA224withRSA",
        ["1.2.840.113549.1.1.11"] = "SHA256withRSA",
        ["1.2.840.113549.1.1.12"] = "SHA384withRSA",
        ["1.2.840.113549.1.1.13"] = "SHA512withRSA",
        ["1.2.840.113549.1.1.10"] = "RSASSA-PSS",
        ["1.2.840.10045.4.1"] = "SHA1withECDSA",
        ["1.2.840.10045.4.3.1"] = "SHA224withECDSA",
        ["1.2.840.10045.4.3.2"] = "SHA256withECDSA",
        ["1.2.840.10045.4.3.3"] = "SHA384withECDSA",
        ["1.2.840.10045.4.3.4"] = "SHA512withECDSA",
        ["1.2.840.10040.4.3"] = "SHA1withDSA",
        ["2.16.840.1.101.3.4.3.1"] = "SHA224withDSA",
        ["2.16.840.1.101.3.4.3.2"] = "SHA256withDSA",
        ["1.3.101.112"] = "Ed25519",
        ["1.3.101.113"] = "Ed448",
    };

    public static string JavaName(string oid, string bcName) => Names.TryGetValue(oid, out var n) ? n : bcName;

    /// <summary>The digest part: MD2, MD5, SHA1, SHA256, ... or "" when unknown or built in (EdDSA, PSS).</summary>
    public static string Digest(string javaName)
    {
        var i = javaName.IndexOf("with", StringComparison.OrdinalIgnoreCase);
        return i > 0 ? javaName[..i].ToUpperInvariant() : "";
    }
}

/// <summary>
/// Java 17's default jdk.certpath.disabledAlgorithms: "MD2, MD5, SHA1 jdkCA &amp; usage TLSServer, RSA keySize &lt; 1024,
/// DSA keySize &lt; 1024, EC keySize &lt; 224". Never applied to the trust anchor itself. SHA-1 is only refused when the
/// chain ends at a CA of the JDK's own cacerts (jdkCA), which a private truststore is not.
/// And OpenSSL 3 at Debian's default security level 2: RSA/DSA keys &lt; 2048, EC &lt; 224, MD5/SHA-1 signatures refused.
/// </summary>
internal static class AlgorithmPolicy
{
    public const int JavaMinRsaBits = 1024;
    public const int JavaMinDsaBits = 1024;
    public const int JavaMinEcBits = 224;
    public const int OpenSslMinRsaBits = 2048;
    public const int OpenSslMinEcBits = 224;

    /// <summary>Why the certificate's signature algorithm is refused, or null.</summary>
    public static string? RefusedSignature(CertificateInfo cert, ClientProfile profile, bool anchoredAtJdkCa)
    {
        var digest = SignatureAlgorithms.Digest(cert.SignatureAlgorithm);
        return (profile, digest) switch
        {
            (_, "MD2" or "MD5") => $"signature algorithm {cert.SignatureAlgorithm} is disabled",
            (ClientProfile.Java, "SHA1") when anchoredAtJdkCa => $"signature algorithm {cert.SignatureAlgorithm} is disabled for TLS server chains ending at a JDK CA",
            (not ClientProfile.Java, "SHA1") => $"signature algorithm {cert.SignatureAlgorithm} is too weak at security level 2",
            _ => null,
        };
    }

    /// <summary>Why the certificate's public key is refused, or null.</summary>
    public static string? RefusedKey(CertificateInfo cert, ClientProfile profile)
    {
        var (rsa, dsa, ec) = profile == ClientProfile.Java
            ? (JavaMinRsaBits, JavaMinDsaBits, JavaMinEcBits)
            : (OpenSslMinRsaBits, OpenSslMinRsaBits, OpenSslMinEcBits);
        return cert.PublicKeyAlgorithm switch
        {
            "RSA" when cert.PublicKeySize < rsa => $"RSA key of {cert.PublicKeySize} bits is below {rsa}",
            "DSA" when cert.PublicKeySize < dsa => $"DSA key of {cert.PublicKeySize} bits is below {dsa}",
            "EC" when cert.PublicKeySize < ec => $"EC key of {cert.PublicKeySize} bits is below {ec}",
            _ => null,
        };
    }

    /// <summary>Weak by today's public-web standards (SSL Labs style), whatever the client accepts.</summary>
    public static string? Weakness(CertificateInfo cert)
    {
        var digest = SignatureAlgorithms.Digest(cert.SignatureAlgorithm);
        if (!cert.IsSelfSigned && digest is "MD2" or "MD5" or "SHA1")
        {
            return $"{cert.DisplayName}: weak signature {cert.SignatureAlgorithm}";
        }
        return cert.PublicKeyAlgorithm switch
        {
            "RSA" or "DSA" when cert.PublicKeySize < 2048 => $"{cert.DisplayName}: weak key {cert.PublicKeyAlgorithm} {cert.PublicKeySize} bits",
            "EC" when cert.PublicKeySize < 224 => $"{cert.DisplayName}: weak key EC {cert.PublicKeySize} bits",
            _ => null,
        };
    }
}
