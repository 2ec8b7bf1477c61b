using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;

namespace PcapTls.Validation;

/// <summary>
/// One certificate as received or as found in a truststore. Wraps BouncyCastle's parser; a certificate that does not
/// parse is still an object (IsParsed=false, ParseError set) so a chain with a broken entry can be reported, not thrown.
/// </summary>
public sealed partial class CertificateInfo
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string AnyExtendedKeyUsageOid = "2.5.29.37.0";
    private const int KeyUsageDigitalSignature = 0;
    private const int KeyUsageKeyCertSign = 5;

    private readonly X509Certificate? _bc;
    private bool? _selfSigned;

    private CertificateInfo(byte[] der, X509Certificate? bc, string? error)
    {
        Der = der;
        _bc = bc;
        ParseError = error;
        Sha256Hex = Convert.ToHexStringLower(SHA256.HashData(der));
        if (bc is null)
        {
            return;
        }
        SubjectName = bc.SubjectDN;
        IssuerName = bc.IssuerDN;
        Subject = FormatName(bc.SubjectDN);
        JavaSubject = FormatJavaName(bc.SubjectDN);
        Issuer = FormatName(bc.IssuerDN);
        SerialHex = bc.SerialNumber.ToString(16).ToLowerInvariant();
        NotBefore = new DateTimeOffset(DateTime.SpecifyKind(bc.NotBefore, DateTimeKind.Utc));
        NotAfter = new DateTimeOffset(DateTime.SpecifyKind(bc.NotAfter, DateTimeKind.Utc));
        SpkiSha256Hex = Convert.ToHexStringLower(SHA256.HashData(bc.CertificateStructure.SubjectPublicKeyInfo.GetEncoded()));
        SignatureAlgorithmOid = bc.SigAlgOid;
        SignatureAlgorithm = SignatureAlgorithms.JavaName(bc.SigAlgOid, bc.SigAlgName);
        Version = bc.Version;
        ReadNames(bc);
        ReadConstraints(bc);
        ReadNameConstraints(bc);
        CriticalExtensionOids = bc.GetCriticalExtensionOids()?.Order(StringComparer.Ordinal).ToList() ?? [];
        ReadKey(bc);
    }

    /// <summary>Deepest ASN.1 nesting handed to BouncyCastle. Its parser recurses once per level (also into
    /// extension values), so a hostile certificate of nested SEQUENCEs would overflow the stack, which kills the
    /// process instead of throwing. Real certificates nest about 12 levels.</summary>
    public const int MaxAsn1Depth = 64;

    /// <summary>Parses one DER certificate. Never throws: a broken certificate comes back with IsParsed=false.</summary>
    public static CertificateInfo Parse(byte[] der)
    {
        ArgumentNullException.ThrowIfNull(der);
        if (Asn1Depth.Exceeds(der, MaxAsn1Depth))
        {
            return new CertificateInfo(der, null, $"ASN.1 nesting deeper than {MaxAsn1Depth} levels (MaxAsn1Depth); not parsed");
        }
        try
        {
            var bc = new X509CertificateParser().ReadCertificate(der);
            if (bc is null)
            {
                return new CertificateInfo(der, null, "no certificate in the bytes");
            }
            return new CertificateInfo(der, bc, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new CertificateInfo(der, null, OneLine(e.Message));
        }
    }

    public bool IsParsed => _bc is not null;
    public string? ParseError { get; }
    public byte[] Der { get; }
    /// <summary>Lowercase hex SHA-256 of the DER (what `keytool -list` and browsers call the fingerprint).</summary>
    public string Sha256Hex { get; }
    /// <summary>Lowercase hex SHA-256 of the SubjectPublicKeyInfo: two certificates with the same value hold the same key.</summary>
    public string SpkiSha256Hex { get; } = "";
    /// <summary>RFC 2253 order (most specific first), like Java's getName() and openssl -nameopt RFC2253.</summary>
    public string Subject { get; } = "";
    /// <summary>The subject as Java's X500Principal.toString() prints it in exception messages ("CN=x, O=y").</summary>
    public string JavaSubject { get; } = "";
    public string Issuer { get; } = "";
    public string SerialHex { get; } = "";
    public int Version { get; }
    public DateTimeOffset NotBefore { get; }
    public DateTimeOffset NotAfter { get; }
    public IReadOnlyList<string> DnsNames { get; private set; } = [];
    public IReadOnlyList<string> IpAddresses { get; private set; } = [];
    /// <summary>True when the SubjectAltName extension is present at all (of any kind).</summary>
    public bool HasSubjectAltName { get; private set; }
    /// <summary>The most specific CN of the subject (the one Java and OpenSSL fall back to), or null.</summary>
    public string? CommonName { get; private set; }
    public bool IsSelfIssued => _bc is not null && SubjectName!.Equivalent(IssuerName, true);

    /// <summary>Self-issued and its own key verifies its signature.</summary>
    public bool IsSelfSigned => _selfSigned ??= IsSelfIssued && IsSignedBy(this);

    /// <summary>Basic constraints cA flag; null when the extension is absent.</summary>
    public bool? IsCa { get; private set; }
    public int? PathLength { get; private set; }
    public string? SubjectKeyId { get; private set; }
    public string? AuthorityKeyId { get; private set; }
    /// <summary>Key usage bits (RFC 5280 order), null when the extension is absent.</summary>
    public IReadOnlyList<bool>? KeyUsage { get; private set; }
    /// <summary>Extended key usage OIDs, null when the extension is absent.</summary>
    public IReadOnlyList<string>? ExtendedKeyUsage { get; private set; }
    /// <summary>Java style name: SHA256withRSA, SHA384withECDSA, MD5withRSA, ...</summary>
    public string SignatureAlgorithm { get; } = "";
    public string SignatureAlgorithmOid { get; } = "";
    /// <summary>RSA, EC, DSA, Ed25519, Ed448, or the key's OID when unknown.</summary>
    public string PublicKeyAlgorithm { get; private set; } = "";
    /// <summary>Bits: RSA/DSA modulus, EC field size.</summary>
    public int PublicKeySize { get; private set; }
    /// <summary>The SubjectPublicKeyInfo's algorithm OID (RSA, RSASSA-PSS, EC, DSA, Ed25519 ...).</summary>
    public string PublicKeyOid { get; private set; } = "";
    /// <summary>An EC key's named curve OID; null for other keys and explicit curve parameters.</summary>
    public string? EcCurveOid { get; private set; }
    public IReadOnlyList<string> CaIssuersUrls { get; private set; } = [];
    public IReadOnlyList<string> OcspUrls { get; private set; } = [];

    internal X509Name? SubjectName { get; }
    internal X509Name? IssuerName { get; }
    /// <summary>BouncyCastle's key, made on first use: its RSA constructor runs a primality test on the modulus (~0.4 s per key), so RSA signatures are verified with the platform's RSA instead.</summary>
    internal AsymmetricKeyParameter? PublicKey => _publicKey.Value;

    private Lazy<AsymmetricKeyParameter?> _publicKey = new((AsymmetricKeyParameter?)null);

    /// <summary>A short label: the CN if there is one, else the whole subject.</summary>
    public string DisplayName => !IsParsed ? $"(unparsable certificate {Sha256Hex[..16]})" : CommonName ?? (Subject.Length > 0 ? Subject : "(empty subject)");

    public bool IsValidAt(DateTimeOffset at) => IsParsed && at >= NotBefore && at <= NotAfter;

    /// <summary>True when this certificate's subject is the other's issuer (canonical DN comparison).</summary>
    public bool IsNamedAsIssuerOf(CertificateInfo child)
        => IsParsed && child.IsParsed && SubjectName!.Equivalent(child.IssuerName, true);

    public bool HasSameSubject(CertificateInfo other)
        => IsParsed && other.IsParsed && SubjectName!.Equivalent(other.SubjectName, true);

    /// <summary>True when <paramref name="issuer"/>'s public key verifies this certificate's signature.</summary>
    public bool IsSignedBy(CertificateInfo issuer)
    {
        if (_bc is null || issuer._bc is null)
        {
            return false;
        }
        try
        {
            if (issuer.PublicKeyAlgorithm == "RSA" && RsaPkcs1Hash(SignatureAlgorithmOid) is { } hash)
            {
                using var rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(issuer._bc.CertificateStructure.SubjectPublicKeyInfo.GetDerEncoded(), out _);
                return rsa.VerifyData(_bc.GetTbsCertificate(), _bc.GetSignature(), hash, RSASignaturePadding.Pkcs1);
            }
            if (issuer.PublicKey is null)
            {
                return false;
            }
            _bc.Verify(issuer.PublicKey);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>Whether the extended key usage allows the purpose (no extension = any purpose).</summary>
    public bool AllowsPurpose(KeyPurpose purpose)
    {
        if (ExtendedKeyUsage is null)
        {
            return true;
        }
        var wanted = purpose == KeyPurpose.ServerAuth ? ServerAuthOid : ClientAuthOid;
        return ExtendedKeyUsage.Contains(wanted) || ExtendedKeyUsage.Contains(AnyExtendedKeyUsageOid);
    }

    /// <summary>Key usage absent, or keyCertSign set.</summary>
    public bool AllowsCertificateSigning => KeyUsage is null || (KeyUsage.Count > KeyUsageKeyCertSign && KeyUsage[KeyUsageKeyCertSign]);

    public bool AllowsDigitalSignature => KeyUsage is null || (KeyUsage.Count > KeyUsageDigitalSignature && KeyUsage[KeyUsageDigitalSignature]);

    public string ToPem()
    {
        var b64 = Convert.ToBase64String(Der);
        var sb = new System.Text.StringBuilder("-----BEGIN CERTIFICATE-----\n");
        for (var i = 0; i < b64.Length; i += 64)
        {
            sb.Append(b64, i, Math.Min(64, b64.Length - i)).Append('\n');
        }
        return sb.Append("-----END CERTIFICATE-----\n").ToString();
    }

    public override string ToString() => DisplayName;

    internal static string FormatName(X509Name name)
    {
        // Reverse = most specific RDN first, as RFC 2253 and Java's X500Principal.getName() print it.
        return name.ToString(true, X509Name.RFC2253Symbols);
    }

    private static readonly Dictionary<string, string> JavaKeywords = new(StringComparer.Ordinal)
    {
        ["2.5.4.3"] = "CN",
        ["2.5.4.6"] = "C",
        ["2.5.4.7"] = "L",
        ["2.5.4.8"] = "ST",
        ["2.5.4.10"] = "O",
        ["2.5.4.11"] = "OU",
        ["2.5.4.9"] = "STREET",
        ["0.9.2342.19200300.100.1.25"] = "DC",
        ["0.9.2342.19200300.100.1.1"] = "UID",
        ["1.2.840.113549.1.9.1"] = "EMAILADDRESS",
        ["2.5.4.5"] = "SERIALNUMBER",
        ["2.5.4.12"] = "T",
    };

    /// <summary>sun.security.x509.X500Name.toString(): most specific RDN first, ", " between them, RFC 1779 keywords
    /// ("OID.n" for others), a value with special characters in double quotes.</summary>
    internal static string FormatJavaName(X509Name name)
    {
        var oids = name.GetOidList();
        var values = name.GetValueList();
        var parts = new List<string>(oids.Count);
        for (var i = oids.Count - 1; i >= 0; i--)
        {
            var keyword = JavaKeywords.TryGetValue(oids[i].Id, out var k) ? k : "OID." + oids[i].Id;
            var v = values[i];
            var quote = v.Length > 0 && (v[0] == ' ' || v[^1] == ' ' || v.IndexOfAny([',', '+', '=', '<', '>', '#', ';', '"', '\\', '\n']) >= 0);
            parts.Add(keyword + "=" + (quote ? "\"" + v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : v));
        }
        return string.Join(", ", parts);
    }

    private static string OneLine(string s) => s.Replace('\r', ' ').Replace('\n', ' ').Trim();

    private static Asn1Object? Extension(X509Certificate bc, DerObjectIdentifier oid)
    {
        var value = bc.GetExtensionValue(oid);
        return value is null ? null : X509ExtensionUtilities.FromExtensionValue(value);
    }

    private void ReadNames(X509Certificate bc)
    {
        var cns = bc.SubjectDN.GetValueList(X509Name.CN);
        // The last CN in DER order is the most specific one: Java's HostnameChecker and OpenSSL both use it.
        CommonName = cns.Count > 0 ? cns[^1] : null;
        try
        {
            var san = Extension(bc, X509Extensions.SubjectAlternativeName);
            if (san is null)
            {
                return;
            }
            HasSubjectAltName = true;
            var dns = new List<string>();
            var ips = new List<string>();
            foreach (var gn in GeneralNames.GetInstance(san).GetNames())
            {
                if (gn.TagNo == GeneralName.DnsName)
                {
                    dns.Add(DerIA5String.GetInstance(gn.Name).GetString());
                }
                else if (gn.TagNo == GeneralName.IPAddress)
                {
                    var octets = Asn1OctetString.GetInstance(gn.Name).GetOctets();
                    ips.Add(octets.Length is 4 or 16 ? new IPAddress(octets).ToString() : Convert.ToHexStringLower(octets));
                }
            }
            DnsNames = dns;
            IpAddresses = ips;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A malformed SAN is treated as no name at all: no client would match against it either.
        }
    }

    private void ReadConstraints(X509Certificate bc)
    {
        try
        {
            if (Extension(bc, X509Extensions.BasicConstraints) is { } bcExt)
            {
                var constraints = BasicConstraints.GetInstance(bcExt);
                IsCa = constraints.IsCA();
                PathLength = constraints.IsCA() && constraints.PathLenConstraint is { } p ? p.IntValue : null;
            }
            if (Extension(bc, X509Extensions.SubjectKeyIdentifier) is { } ski)
            {
                SubjectKeyId = Convert.ToHexStringLower(SubjectKeyIdentifier.GetInstance(ski).GetKeyIdentifier());
            }
            if (Extension(bc, X509Extensions.AuthorityKeyIdentifier) is { } aki
                && AuthorityKeyIdentifier.GetInstance(aki).KeyIdentifier is { } akiId)
            {
                AuthorityKeyId = Convert.ToHexStringLower(akiId.GetOctets());
            }
            KeyUsage = bc.GetKeyUsage();
            ExtendedKeyUsage = bc.GetExtendedKeyUsage()?.Select(o => o.Id).ToList();
            if (Extension(bc, X509Extensions.AuthorityInfoAccess) is { } aia)
            {
                var ca = new List<string>();
                var ocsp = new List<string>();
                foreach (var ad in AuthorityInformationAccess.GetInstance(aia).GetAccessDescriptions())
                {
                    if (ad.AccessLocation.TagNo != GeneralName.UniformResourceIdentifier)
                    {
                        continue;
                    }
                    var url = DerIA5String.GetInstance(ad.AccessLocation.Name).GetString();
                    (ad.AccessMethod.Equals(AccessDescription.IdADCAIssuers) ? ca : ocsp).Add(url);
                }
                CaIssuersUrls = ca;
                OcspUrls = ocsp;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Malformed extensions leave the property at its "absent" value; the path check reports what follows from that.
        }
    }

    private static HashAlgorithmName? RsaPkcs1Hash(string signatureOid) => signatureOid switch
    {
        "1.2.840.113549.1.1.4" => HashAlgorithmName.MD5,
        "1.2.840.113549.1.1.5" => HashAlgorithmName.SHA1,
        "1.2.840.113549.1.1.11" => HashAlgorithmName.SHA256,
        "1.2.840.113549.1.1.12" => HashAlgorithmName.SHA384,
        "1.2.840.113549.1.1.13" => HashAlgorithmName.SHA512,
        _ => null,
    };

    private void ReadKey(X509Certificate bc)
    {
        _publicKey = new Lazy<AsymmetricKeyParameter?>(() =>
        {
            try
            {
                return bc.GetPublicKey();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return null;
            }
        });
        var spki = bc.CertificateStructure.SubjectPublicKeyInfo;
        var oid = spki.Algorithm.Algorithm.Id;
        PublicKeyOid = oid;
        EcCurveOid = oid == "1.2.840.10045.2.1" && spki.Algorithm.Parameters is DerObjectIdentifier curve ? curve.Id : null;
        try
        {
            (PublicKeyAlgorithm, PublicKeySize) = oid switch
            {
                "1.2.840.113549.1.1.1" or "1.2.840.113549.1.1.10" => ("RSA", RsaPublicKeyStructure.GetInstance(spki.ParsePublicKey()).Modulus.BitLength),
                "1.2.840.10045.2.1" => ("EC", EcFieldBits(spki)),
                "1.2.840.10040.4.1" => ("DSA", spki.Algorithm.Parameters is { } p ? DsaParameter.GetInstance(p).P.BitLength : 0),
                "1.3.101.112" => ("Ed25519", 255),
                "1.3.101.113" => ("Ed448", 448),
                _ => (oid, 0),
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            (PublicKeyAlgorithm, PublicKeySize) = (oid, 0);
        }
    }

    /// <summary>Field size of a named curve; for others, from the uncompressed point length (1 + 2 x field bytes).</summary>
    private static int EcFieldBits(SubjectPublicKeyInfo spki)
    {
        var curve = spki.Algorithm.Parameters is DerObjectIdentifier o ? o.Id : null;
        return curve switch
        {
            "1.2.840.10045.3.1.1" => 192,
            "1.3.132.0.33" => 224,
            "1.2.840.10045.3.1.7" or "1.3.132.0.10" or "1.3.36.3.3.2.8.1.1.7" => 256,
            "1.3.132.0.34" or "1.3.36.3.3.2.8.1.1.11" => 384,
            "1.3.132.0.35" => 521,
            "1.3.36.3.3.2.8.1.1.13" => 512,
            _ => (spki.PublicKey.GetOctets().Length - 1) / 2 * 8,
        };
    }

    /// <summary>One line for evidence: "CN=x (SHA-256 ab12cd34..., valid 2024-01-01..2025-01-01)".</summary>
    internal string Describe() => IsParsed
        ? $"{Subject} (SHA-256 {Sha256Hex[..16]}…, valid {NotBefore.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z..{NotAfter.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z)"
        : DisplayName;
}
