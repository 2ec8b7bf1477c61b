namespace PcapTls.Validation;

/// <summary>
/// sun.security.provider.certpath.AlgorithmChecker.check for one certificate of a server's chain, with the constraints
/// X509TrustManagerImpl hands it in TLS 1.2 and 1.3: SSLAlgorithmConstraints over the client's own
/// signature_algorithms_cert list and jdk.tls.disabledAlgorithms (not jdk.certpath.disabledAlgorithms, which the
/// checker applies itself, as certPathDefaultConstraints). In Java's order: the signature algorithm against the list
/// and the TLS property; the certpath property (curves, then every condition); the key against the TLS property; the
/// signature algorithm with the issuer's key (the anchor's for the top certificate). The message is the
/// CertPathValidatorException's; null when the certificate passes.
/// </summary>
internal static class JavaAlgorithmChecker
{
    private const string SignatureFailed = "Algorithm constraints check failed on signature algorithm: ";
    private const string CertificateScope = "CertificateSignature";

    public static string? Check(CertificateInfo cert, CertificateInfo? issuer, bool anchorIsJdkCa, DateTimeOffset at, JavaContext context)
    {
        var security = context.Security;
        var sig = cert.SignatureAlgorithm;
        if (!SignatureSchemes.CertificateAlgorithms(security, context.TlsVersion).Contains(SchemeAlgorithm(sig)) || !security.Tls.PermitsName(sig))
        {
            return SignatureFailed + sig;
        }
        var key = JavaKey.Of(cert);
        var use = new CertificateUse(context.Purpose == KeyPurpose.ClientAuth ? "tls client" : "tls server", anchorIsJdkCa, at, cert.JavaSubject);
        if (security.CertPath.CheckCertificate(sig, key, use) is { } failure)
        {
            return failure;
        }
        if (!security.Tls.PermitsKey(key, at))
        {
            return $"Algorithm constraints check failed on key {key.Algorithm} with size of {key.Size}bits";
        }
        if (issuer is not null && !security.Tls.PermitsKey(JavaKey.Of(issuer), at))
        {
            return SignatureFailed + sig;
        }
        return null;
    }

    /// <summary>SupportedSignatureAlgorithmConstraints compares without the MGF part ("...andMGF1").</summary>
    private static string SchemeAlgorithm(string sig)
    {
        var and = sig.IndexOf("and", StringComparison.Ordinal);
        return and > 0 ? sig[..and] : sig;
    }

    /// <summary>sun.security.ssl.SignatureScheme (JDK 17): name, algorithm, key algorithm, named group, and whether
    /// TLS 1.3 may use it (the others are TLS 1.2 and below only).</summary>
    private static class SignatureSchemes
    {
        private sealed record Scheme(string Name, string Algorithm, string KeyAlgorithm, string? Group, bool Tls13);

        private static readonly Scheme[] All =
        [
            new("ecdsa_secp256r1_sha256", "SHA256withECDSA", "EC", "secp256r1", true),
            new("ecdsa_secp384r1_sha384", "SHA384withECDSA", "EC", "secp384r1", true),
            new("ecdsa_secp521r1_sha512", "SHA512withECDSA", "EC", "secp521r1", true),
            new("ed25519", "Ed25519", "EdDSA", null, true),
            new("ed448", "Ed448", "EdDSA", null, true),
            new("rsa_pss_rsae_sha256", "RSASSA-PSS", "RSA", null, true),
            new("rsa_pss_rsae_sha384", "RSASSA-PSS", "RSA", null, true),
            new("rsa_pss_rsae_sha512", "RSASSA-PSS", "RSA", null, true),
            new("rsa_pss_pss_sha256", "RSASSA-PSS", "RSASSA-PSS", null, true),
            new("rsa_pss_pss_sha384", "RSASSA-PSS", "RSASSA-PSS", null, true),
            new("rsa_pss_pss_sha512", "RSASSA-PSS", "RSASSA-PSS", null, true),
            new("rsa_pkcs1_sha256", "SHA256withRSA", "RSA", null, true),
            new("rsa_pkcs1_sha384", "SHA384withRSA", "RSA", null, true),
            new("rsa_pkcs1_sha512", "SHA512withRSA", "RSA", null, true),
            new("dsa_sha256", "SHA256withDSA", "DSA", null, false),
            new("ecdsa_sha224", "SHA224withECDSA", "EC", null, false),
            new("rsa_sha224", "SHA224withRSA", "RSA", null, false),
            new("dsa_sha224", "SHA224withDSA", "DSA", null, false),
            new("ecdsa_sha1", "SHA1withECDSA", "EC", null, true),
            new("rsa_pkcs1_sha1", "SHA1withRSA", "RSA", null, true),
            new("dsa_sha1", "SHA1withDSA", "DSA", null, false),
            new("rsa_md5", "MD5withRSA", "RSA", null, false),
        ];

        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<JavaSecurity, HashSet<string>[]> Cache = [];

        /// <summary>The algorithms of the schemes the client lists for certificates (SignatureScheme.isPermitted with
        /// the CERTIFICATE scope, both disabled-algorithm properties' bare names, the scheme's curve).</summary>
        public static HashSet<string> CertificateAlgorithms(JavaSecurity security, ushort tlsVersion)
        {
            var both = Cache.GetValue(security, s => [Build(s, false), Build(s, true)]);
            return both[tlsVersion >= 0x0304 ? 1 : 0];
        }

        private static HashSet<string> Build(JavaSecurity s, bool tls13)
        {
            bool Permits(string name) => s.Tls.PermitsInScope(name, CertificateScope) && s.Tls.PermitsName(name) && s.CertPath.PermitsName(name);
            return All.Where(x => (!tls13 || x.Tls13) && Permits(x.Name) && Permits(x.KeyAlgorithm) && Permits(x.Algorithm) && (x.Group is null || Permits(x.Group)))
                .Select(x => x.Algorithm).ToHashSet(StringComparer.OrdinalIgnoreCase);
        }
    }
}

/// <summary>What the Java checks depend on besides the certificates: the security properties, the negotiated TLS version (wire value) and the purpose.</summary>
internal sealed record JavaContext(JavaSecurity Security, ushort TlsVersion, KeyPurpose Purpose);
