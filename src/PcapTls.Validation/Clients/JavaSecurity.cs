using System.Text;

namespace PcapTls.Validation;

/// <summary>
/// The security properties a JSSE client applies to a server's chain: the JDK 17 defaults of conf/security/java.security,
/// or those overlaid by an override file, as <c>-Djava.security.properties=FILE</c> does (the file's properties replace
/// the defaults of the same name, the others stay). Modelled: jdk.certpath.disabledAlgorithms,
/// jdk.tls.disabledAlgorithms and jdk.disabled.namedCurves; other jdk.* properties the file sets are listed in
/// <see cref="NotModelled"/> so the report can say the prediction ignores them.
/// </summary>
public sealed class JavaSecurity
{
    /// <summary>OpenJDK 17's conf/security/java.security (17.0.15 and 17.0.21 ship the same two values).</summary>
    public const string DefaultCertPathDisabledAlgorithms =
        "MD2, MD5, SHA1 jdkCA & usage TLSServer, RSA keySize < 1024, DSA keySize < 1024, EC keySize < 224, SHA1 usage SignedJAR & denyAfter 2019-01-01";

    public const string DefaultTlsDisabledAlgorithms =
        "SSLv3, TLSv1, TLSv1.1, DTLSv1.0, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL, ECDH, TLS_RSA_*, "
        + "rsa_pkcs1_sha1 usage HandshakeSignature, ecdsa_sha1 usage HandshakeSignature, dsa_sha1 usage HandshakeSignature";

    private static readonly HashSet<string> Modelled = new(StringComparer.Ordinal)
    {
        JavaDisabledAlgorithms.CertPathProperty, JavaDisabledAlgorithms.TlsProperty, JavaDisabledAlgorithms.NamedCurvesProperty,
    };

    public static JavaSecurity Jdk17 { get; } = new(null, new Dictionary<string, string>(StringComparer.Ordinal));

    private JavaSecurity(string? source, IReadOnlyDictionary<string, string> overrides)
    {
        Source = source;
        Overrides = overrides;
        var curves = overrides.GetValueOrDefault(JavaDisabledAlgorithms.NamedCurvesProperty);
        CertPath = Read(JavaDisabledAlgorithms.CertPathProperty, DefaultCertPathDisabledAlgorithms, curves);
        Tls = Read(JavaDisabledAlgorithms.TlsProperty, DefaultTlsDisabledAlgorithms, curves);
        NotModelled = [.. overrides.Keys.Where(k => k.StartsWith("jdk.", StringComparison.Ordinal) && !Modelled.Contains(k)).Order(StringComparer.Ordinal)];
    }

    private JavaDisabledAlgorithms Read(string property, string fallback, string? curves)
    {
        try
        {
            return JavaDisabledAlgorithms.Parse(property, Overrides.GetValueOrDefault(property) ?? fallback, curves);
        }
        catch (ArgumentException e)
        {
            throw new JavaSecurityException($"{Source ?? "java.security"}: {property}: {e.Message} (Java refuses the property too)");
        }
    }

    /// <summary>The override file; null for the JDK's defaults.</summary>
    public string? Source { get; }

    /// <summary>Every property the file sets, as java.util.Properties reads it.</summary>
    public IReadOnlyDictionary<string, string> Overrides { get; }

    public JavaDisabledAlgorithms CertPath { get; }

    public JavaDisabledAlgorithms Tls { get; }

    /// <summary>jdk.* properties the file sets that the prediction does not model (e.g. jdk.security.caDistrustPolicies).</summary>
    public IReadOnlyList<string> NotModelled { get; }

    /// <summary>Reads an override file. Throws <see cref="JavaSecurityException"/> (one line) when it cannot be read or Java would refuse it.</summary>
    public static JavaSecurity Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new JavaSecurityException($"{path}: no such java.security file");
            }
            if (info.Length > JavaPropertiesFile.MaxFileBytes)
            {
                throw new JavaSecurityException($"{path}: {info.Length} bytes is more than a java.security file holds (limit {JavaPropertiesFile.MaxFileBytes}, MaxFileBytes)");
            }
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JavaSecurityException($"{path}: {e.Message}");
        }
        if (Array.IndexOf(bytes, (byte)0) >= 0)
        {
            throw new JavaSecurityException($"{path}: binary content (a NUL byte): not a java.security properties file");
        }
        return FromText(Encoding.Latin1.GetString(bytes), path);
    }

    /// <summary>The properties in <paramref name="text"/> (java.security syntax) over the JDK 17 defaults.</summary>
    public static JavaSecurity FromText(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new JavaSecurity(source, JavaPropertiesFile.Parse(text, source));
    }
}
