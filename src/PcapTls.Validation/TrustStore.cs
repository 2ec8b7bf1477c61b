using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace PcapTls.Validation;

public enum TrustStoreFormat
{
    Jks,
    Pkcs12,
    PemBundle,
    Der,
    Directory,
    SystemRoots,
    InMemory,
}

/// <summary>What kind of keystore entry held the certificate (as keytool -list names them).</summary>
public enum TrustStoreEntryType
{
    /// <summary>A trustedCertEntry: what a truststore is meant to hold.</summary>
    TrustedCertificate,
    /// <summary>A PrivateKeyEntry: Java still trusts its first certificate, OpenSSL-made PKCS12 keeps keys this way.</summary>
    PrivateKey,
    /// <summary>A certificate in a PKCS12 bag without Java's trusted-certificate attribute: invisible to Java.</summary>
    CertificateWithoutTrustAttribute,
    /// <summary>A certificate read from a PEM/DER file or directory.</summary>
    Certificate,
}

public sealed record TrustStoreEntry(string Alias, TrustStoreEntryType Type, CertificateInfo Certificate)
{
    /// <summary>Java's TrustManagerFactory trusts trustedCertEntries and the first certificate of key entries.</summary>
    public bool VisibleToJava => Type != TrustStoreEntryType.CertificateWithoutTrustAttribute;
}

public enum TrustStoreErrorKind
{
    NotFound,
    /// <summary>The password given is wrong, or none was given and the defaults did not open it (the message says which).</summary>
    WrongPassword,
    UnknownFormat,
    OnlyPrivateKeys,
    Unreadable,
}

/// <summary>A truststore that cannot be used; the message is one line meant for the user.</summary>
public sealed class TrustStoreException(TrustStoreErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public TrustStoreErrorKind Kind { get; } = kind;
}

/// <summary>
/// The certificates a client trusts. Loaded from JKS, PKCS12 (keytool's or OpenSSL's), a PEM bundle, a DER file, a
/// directory of PEM/DER files, or the system roots. Keeps every entry with its alias and type so it can be listed like
/// keytool -list and compared with a chain.
/// </summary>
public sealed partial class TrustStore
{
    /// <summary>Passwords tried when none is given: keytool's and the JDK cacerts' default, and none.</summary>
    private static readonly string[] DefaultPasswords = ["changeit", ""];
    private const uint JksMagic = 0xFEEDFEED;
    private const uint JceksMagic = 0xCECECECE;
    private const string JavaTrustedKeyUsageOid = "2.16.840.1.113894.746875.1.1";
    private const int Pkcs12Version = 3;

    private static readonly string[] SystemBundlePaths =
    [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
    ];

    private static readonly Lazy<TrustStore?> SystemRootsLazy = new(() =>
    {
        try
        {
            return SystemRoots();
        }
        catch (TrustStoreException)
        {
            return null;
        }
    });

    private readonly Lazy<string> _fingerprint;

    private TrustStore(string source, TrustStoreFormat format, IReadOnlyList<TrustStoreEntry> entries, IReadOnlyList<string> warnings)
    {
        Source = source;
        Format = format;
        Entries = entries;
        Warnings = warnings;
        _fingerprint = new Lazy<string>(() =>
        {
            var ids = entries.Where(e => e.VisibleToJava).Select(e => "j" + e.Certificate.Sha256Hex)
                .Concat(entries.Where(e => !e.VisibleToJava).Select(e => "h" + e.Certificate.Sha256Hex))
                .Order(StringComparer.Ordinal);
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(string.Join(",", ids))))[..32];
        });
    }

    public string Source { get; }
    public TrustStoreFormat Format { get; }
    public IReadOnlyList<TrustStoreEntry> Entries { get; }
    public IReadOnlyList<string> Warnings { get; }
    /// <summary>How many entries a Java client would use as anchors (0 for an OpenSSL-made PKCS12 without the trust attribute).</summary>
    public int JavaVisibleCount => Entries.Count(e => e.VisibleToJava);
    /// <summary>A stable id of the content (not the path), for caching verdicts.</summary>
    public string Fingerprint => _fingerprint.Value;

    /// <summary>The system roots if they can be read, else null (used to tell a missing root from a missing intermediate).</summary>
    internal static TrustStore? SystemRootsOrNull => SystemRootsLazy.Value;

    /// <summary>The anchors for a profile: Java ignores PKCS12 certificates without the trust attribute.</summary>
    internal IEnumerable<CertificateInfo> AnchorsFor(ClientProfile profile)
        => Entries.Where(e => profile != ClientProfile.Java || e.VisibleToJava).Select(e => e.Certificate).Where(c => c.IsParsed);

    public static TrustStore FromCertificates(string description, IEnumerable<CertificateInfo> certs)
    {
        var entries = Dedupe(certs.Select((c, i) => new TrustStoreEntry(AliasFor(c, i), TrustStoreEntryType.Certificate, c)));
        return new TrustStore(description, TrustStoreFormat.InMemory, entries, []);
    }

    /// <summary>The operating system's CA bundle (Debian's /etc/ssl/certs/ca-certificates.crt, or the RHEL/SUSE/Alpine equivalent).</summary>
    public static TrustStore SystemRoots()
    {
        foreach (var p in SystemBundlePaths)
        {
            if (File.Exists(p))
            {
                var store = LoadPem(p, File.ReadAllBytes(p));
                return new TrustStore(p, TrustStoreFormat.SystemRoots, store.Entries, store.Warnings);
            }
        }
        throw new TrustStoreException(TrustStoreErrorKind.NotFound, "no system CA bundle found (looked in " + string.Join(", ", SystemBundlePaths) + ")");
    }

    /// <summary>
    /// Loads a truststore, detecting the format from the content. Throws <see cref="TrustStoreException"/> with a one-line
    /// message for a missing file, a wrong password, an unknown format, or a keystore holding only private keys.
    /// </summary>
    public static TrustStore Load(string path, string? password = null)
    {
        if (Directory.Exists(path))
        {
            return LoadDirectory(path);
        }
        if (!File.Exists(path))
        {
            throw new TrustStoreException(TrustStoreErrorKind.NotFound, $"{path}: no such file or directory");
        }
        byte[] content;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > CertificateFile.MaxFileBytes)
            {
                throw new TrustStoreException(TrustStoreErrorKind.UnknownFormat, $"{path}: {length} bytes is too large for a truststore (limit {CertificateFile.MaxFileBytes})");
            }
            content = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new TrustStoreException(TrustStoreErrorKind.Unreadable, $"{path}: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new TrustStoreException(TrustStoreErrorKind.Unreadable, $"{path}: permission denied", e);
        }
        return Load(path, content, password);
    }

    /// <summary>Loads a truststore from bytes; <paramref name="source"/> names it in messages.</summary>
    public static TrustStore Load(string source, byte[] content, string? password = null)
    {
        if (content.Length == 0)
        {
            throw new TrustStoreException(TrustStoreErrorKind.UnknownFormat, $"{source}: the file is empty");
        }
        if (content.Length >= 4)
        {
            var magic = (uint)(content[0] << 24 | content[1] << 16 | content[2] << 8 | content[3]);
            if (magic == JksMagic)
            {
                return LoadJks(source, content, password);
            }
            if (magic == JceksMagic)
            {
                throw new TrustStoreException(TrustStoreErrorKind.UnknownFormat, $"{source}: a JCEKS keystore is not supported; convert it with: keytool -importkeystore -srcstoretype JCEKS -srckeystore {source} -deststoretype PKCS12 -destkeystore truststore.p12");
            }
        }
        if (IsPkcs12(content))
        {
            return LoadPkcs12(source, content, password);
        }
        var blocks = CertificateFile.PemBlocks(content);
        if (blocks.Count > 0)
        {
            return LoadPem(source, content);
        }
        if (content[0] == 0x30)
        {
            var single = CertificateInfo.Parse(content);
            if (single.IsParsed)
            {
                return new TrustStore(source, TrustStoreFormat.Der, [new TrustStoreEntry(AliasFor(single, 0), TrustStoreEntryType.Certificate, single)], []);
            }
        }
        throw new TrustStoreException(TrustStoreErrorKind.UnknownFormat,
            $"{source}: unknown truststore format (expected JKS, PKCS12, a PEM bundle, a DER certificate or a directory of them)");
    }

    private static TrustStore LoadPem(string source, byte[] content)
    {
        var blocks = CertificateFile.PemBlocks(content);
        var certs = new List<TrustStoreEntry>();
        var warnings = new List<string>();
        var keys = 0;
        foreach (var (label, der) in blocks)
        {
            if (label.EndsWith("CERTIFICATE", StringComparison.Ordinal))
            {
                var c = CertificateInfo.Parse(der);
                if (c.IsParsed)
                {
                    certs.Add(new TrustStoreEntry(AliasFor(c, certs.Count), TrustStoreEntryType.Certificate, c));
                }
                else
                {
                    warnings.Add($"PEM block {certs.Count + 1} is not a valid certificate ({c.ParseError}); skipped");
                }
            }
            else if (label.Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                keys++;
            }
        }
        if (certs.Count == 0)
        {
            if (keys > 0)
            {
                throw new TrustStoreException(TrustStoreErrorKind.OnlyPrivateKeys, $"{source}: holds only private keys ({keys}) and no certificate: that is a key file, not a truststore");
            }
            throw new TrustStoreException(TrustStoreErrorKind.UnknownFormat, $"{source}: a PEM file without any CERTIFICATE block");
        }
        if (keys > 0)
        {
            warnings.Add($"{keys} private key(s) in the file were ignored: a truststore needs only certificates");
        }
        return new TrustStore(source, TrustStoreFormat.PemBundle, Dedupe(certs), warnings);
    }

    private static TrustStore LoadDirectory(string path)
    {
        var entries = new List<TrustStoreEntry>();
        var warnings = new List<string>();
        foreach (var file in Directory.EnumerateFiles(path).Order(StringComparer.Ordinal))
        {
            byte[] content;
            try
            {
                if (new FileInfo(file).Length > CertificateFile.MaxFileBytes)
                {
                    warnings.Add($"{Path.GetFileName(file)}: too large, skipped");
                    continue;
                }
                content = File.ReadAllBytes(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                warnings.Add($"{Path.GetFileName(file)}: unreadable ({e.Message}), skipped");
                continue;
            }
            var certs = CertificateFile.Read(content);
            if (certs.Count == 0)
            {
                warnings.Add($"{Path.GetFileName(file)}: no certificate, skipped");
                continue;
            }
            for (var i = 0; i < certs.Count; i++)
            {
                entries.Add(new TrustStoreEntry(certs.Count == 1 ? Path.GetFileName(file) : $"{Path.GetFileName(file)}#{i + 1}", TrustStoreEntryType.Certificate, certs[i]));
            }
        }
        if (entries.Count == 0)
        {
            warnings.Add("the directory holds no certificate");
        }
        return new TrustStore(path, TrustStoreFormat.Directory, Dedupe(entries), warnings);
    }

    private static TrustStore LoadJks(string source, byte[] content, string? password)
    {
        JksStore? store = null;
        Exception? last = null;
        foreach (var pw in password is not null ? [password] : DefaultPasswords)
        {
            try
            {
                var candidate = new JksStore();
                using var ms = new MemoryStream(content);
                candidate.Load(ms, pw.ToCharArray());
                store = candidate;
                break;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException or CryptoException)
            {
                last = e;
            }
        }
        if (store is null)
        {
            if (last is IOException && (last.Message.Contains("password", StringComparison.OrdinalIgnoreCase) || last.Message.Contains("tampered", StringComparison.OrdinalIgnoreCase)))
            {
                throw password is null
                    ? new TrustStoreException(TrustStoreErrorKind.WrongPassword, $"{source}: the JKS truststore needs a password (the default 'changeit' did not open it)", last)
                    : new TrustStoreException(TrustStoreErrorKind.WrongPassword, $"{source}: wrong password for the JKS truststore (keystore integrity check failed)", last);
            }
            throw new TrustStoreException(TrustStoreErrorKind.Unreadable, $"{source}: not a readable JKS keystore ({last?.Message})", last);
        }
        var entries = new List<TrustStoreEntry>();
        var keyOnly = 0;
        foreach (var alias in store.Aliases.Order(StringComparer.Ordinal))
        {
            if (store.IsCertificateEntry(alias))
            {
                entries.Add(new TrustStoreEntry(alias, TrustStoreEntryType.TrustedCertificate, CertificateInfo.Parse(store.GetCertificate(alias).GetEncoded())));
            }
            else if (store.IsKeyEntry(alias))
            {
                var chain = store.GetCertificateChain(alias);
                if (chain is { Length: > 0 })
                {
                    entries.Add(new TrustStoreEntry(alias, TrustStoreEntryType.PrivateKey, CertificateInfo.Parse(chain[0].GetEncoded())));
                }
                else
                {
                    keyOnly++;
                }
            }
        }
        return Finish(source, TrustStoreFormat.Jks, entries, keyOnly, []);
    }

    private static TrustStore Finish(string source, TrustStoreFormat format, List<TrustStoreEntry> entries, int keysWithoutCertificate, List<string> warnings)
    {
        if (entries.Count > 0 && entries.All(e => e.Type == TrustStoreEntryType.PrivateKey) || entries.Count == 0 && keysWithoutCertificate > 0)
        {
            var n = entries.Count + keysWithoutCertificate;
            throw new TrustStoreException(TrustStoreErrorKind.OnlyPrivateKeys,
                $"{source}: holds only private-key entries ({n}) and no trusted certificate: that is a keystore (an identity), not a truststore; export the CA certificate and import it with keytool -importcert");
        }
        if (entries.Count > 0 && entries.Any(e => e.Type == TrustStoreEntryType.PrivateKey))
        {
            warnings.Add($"{entries.Count(e => e.Type == TrustStoreEntryType.PrivateKey)} private-key entr(ies): Java trusts their first certificate too");
        }
        if (entries.Count == 0)
        {
            warnings.Add("the truststore has no entries: Java fails with 'the trustAnchors parameter must be non-empty'");
        }
        return new TrustStore(source, format, Dedupe(entries), warnings);
    }

    private static List<TrustStoreEntry> Dedupe(IEnumerable<TrustStoreEntry> entries)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<TrustStoreEntry>();
        // A trusted entry wins over an invisible one for the same certificate.
        foreach (var e in entries.OrderBy(e => e.Type == TrustStoreEntryType.CertificateWithoutTrustAttribute ? 1 : 0))
        {
            if (seen.Add(e.Certificate.Sha256Hex))
            {
                result.Add(e);
            }
        }
        return result;
    }

    private static string AliasFor(CertificateInfo c, int index)
        => c.CommonName is { Length: > 0 } cn ? cn.ToLowerInvariant().Replace(' ', '-') : $"cert-{index + 1}";
}
