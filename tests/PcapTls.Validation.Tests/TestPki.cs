using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;
using PcapTls.Validation;

namespace PcapTls.Validation.Tests;

/// <summary>A certificate made in a test, with its key pair (so it can issue others).</summary>
internal sealed record TestCert(X509Certificate Cert, AsymmetricCipherKeyPair Keys, string SignatureAlgorithm)
{
    public byte[] Der => Cert.GetEncoded();
    public CertificateInfo Info => CertificateInfo.Parse(Der);
    public string Pem => Info.ToPem();
}

/// <summary>Options for one certificate; the defaults give a valid 2024..2045 certificate.</summary>
internal sealed record CertSpec(string Subject)
{
    public static readonly DateTime DefaultFrom = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    public static readonly DateTime DefaultTo = new(2045, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    public DateTime NotBefore { get; init; } = DefaultFrom;
    public DateTime NotAfter { get; init; } = DefaultTo;
    /// <summary>null: no basic constraints extension.</summary>
    public bool? Ca { get; init; }
    public int? PathLength { get; init; }
    public int? KeyUsage { get; init; }
    public KeyPurposeID[]? Eku { get; init; }
    public string[] Dns { get; init; } = [];
    public string[] Ips { get; init; } = [];
    public string? CaIssuersUrl { get; init; }
    public bool KeyIds { get; init; } = true;
    /// <summary>Digest for the signature ("SHA256", "SHA1", "MD5"); the key type of the issuer picks RSA or ECDSA.</summary>
    public string Digest { get; init; } = "SHA256";
}

/// <summary>Issues test certificates with BouncyCastle (EC P-256 keys by default: fast to make).</summary>
internal static class TestPki
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly SecureRandom Random = new();
    private static long _serial = 1000;

    public static AsymmetricCipherKeyPair EcKey()
    {
        var g = new ECKeyPairGenerator();
        g.Init(new ECKeyGenerationParameters(Org.BouncyCastle.Asn1.Sec.SecObjectIdentifiers.SecP256r1, Random));
        return g.GenerateKeyPair();
    }

    public static AsymmetricCipherKeyPair RsaKey(int bits)
    {
        var g = new RsaKeyPairGenerator();
        g.Init(new RsaKeyGenerationParameters(BigInteger.ValueOf(65537), Random, bits, 25));
        return g.GenerateKeyPair();
    }

    public static TestCert Root(string cn = "Test Root CA", AsymmetricCipherKeyPair? keys = null, DateTime? notAfter = null, string digest = "SHA256")
        => Issue(new CertSpec($"CN={cn},O=PcapTls Tests") { Ca = true, KeyUsage = Org.BouncyCastle.Asn1.X509.KeyUsage.KeyCertSign | Org.BouncyCastle.Asn1.X509.KeyUsage.CrlSign, NotAfter = notAfter ?? CertSpec.DefaultTo, Digest = digest }, null, keys);

    public static TestCert Intermediate(TestCert issuer, string cn = "Test Intermediate CA", AsymmetricCipherKeyPair? keys = null, int? pathLength = null, DateTime? notAfter = null)
        => Issue(new CertSpec($"CN={cn},O=PcapTls Tests") { Ca = true, PathLength = pathLength, KeyUsage = Org.BouncyCastle.Asn1.X509.KeyUsage.KeyCertSign | Org.BouncyCastle.Asn1.X509.KeyUsage.CrlSign, NotAfter = notAfter ?? CertSpec.DefaultTo }, issuer, keys);

    public static TestCert Leaf(TestCert issuer, string host = "backend.example.test", Func<CertSpec, CertSpec>? tweak = null)
    {
        var spec = new CertSpec($"CN={host}") { Ca = false, Dns = [host], Eku = [KeyPurposeID.id_kp_serverAuth], KeyUsage = Org.BouncyCastle.Asn1.X509.KeyUsage.DigitalSignature };
        return Issue(tweak is null ? spec : tweak(spec), issuer);
    }

    /// <summary>Issues a certificate; <paramref name="issuer"/> null = self-signed.</summary>
    public static TestCert Issue(CertSpec spec, TestCert? issuer, AsymmetricCipherKeyPair? keys = null)
    {
        keys ??= EcKey();
        var subject = new X509Name(true, spec.Subject); // reverse: "CN=x,O=y" is written O first, like openssl -subj /O=y/CN=x
        var signerKeys = issuer?.Keys ?? keys;
        var gen = new X509V3CertificateGenerator();
        gen.SetSerialNumber(BigInteger.ValueOf(Interlocked.Increment(ref _serial)));
        gen.SetSubjectDN(subject);
        gen.SetIssuerDN(issuer?.Cert.SubjectDN ?? subject);
        gen.SetNotBefore(spec.NotBefore);
        gen.SetNotAfter(spec.NotAfter);
        gen.SetPublicKey(keys.Public);
        if (spec.Ca is { } ca)
        {
            gen.AddExtension(X509Extensions.BasicConstraints, true, ca && spec.PathLength is { } p ? new BasicConstraints(p) : new BasicConstraints(ca));
        }
        if (spec.KeyUsage is { } ku)
        {
            gen.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(ku));
        }
        if (spec.Eku is { } eku)
        {
            gen.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(eku));
        }
        if (spec.KeyIds)
        {
            gen.AddExtension(X509Extensions.SubjectKeyIdentifier, false, X509ExtensionUtilities.CreateSubjectKeyIdentifier(keys.Public));
            gen.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, X509ExtensionUtilities.CreateAuthorityKeyIdentifier(signerKeys.Public));
        }
        var names = spec.Dns.Select(d => new GeneralName(GeneralName.DnsName, d))
            .Concat(spec.Ips.Select(i => new GeneralName(GeneralName.IPAddress, i))).ToArray();
        if (names.Length > 0)
        {
            gen.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames(names));
        }
        if (spec.CaIssuersUrl is { } url)
        {
            gen.AddExtension(X509Extensions.AuthorityInfoAccess, false,
                new AuthorityInformationAccess(new AccessDescription(AccessDescription.IdADCAIssuers, new GeneralName(GeneralName.UniformResourceIdentifier, url))));
        }
        var alg = spec.Digest + "WITH" + (signerKeys.Private is RsaKeyParameters ? "RSA" : "ECDSA");
        var cert = gen.Generate(new Asn1SignatureFactory(alg, signerKeys.Private, Random));
        return new TestCert(cert, keys, alg);
    }

    public static TrustStore Store(params TestCert[] certs) => TrustStore.FromCertificates("test truststore", certs.Select(c => c.Info));

    public static ChainVerdict Validate(TestCert[] chain, TrustStore store, string? host = "backend.example.test", DateTimeOffset? at = null,
        ClientProfile profile = ClientProfile.Java, ushort? tls = null, KeyPurpose purpose = KeyPurpose.ServerAuth, bool partial = false)
        => ChainValidator.Validate(new ValidationRequest(chain.Select(c => c.Der).ToList(), store, host, at ?? Now, profile, purpose) { TlsVersion = tls, AllowPartialChain = partial });
}
