using System.Text.Json;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using PcapTls.Cli;
using PcapTls.Validation;

namespace PcapTls.Cli.Tests;

/// <summary>`pcaptls verify` and `pcaptls truststore list|compare`, run in-process over chains made here.</summary>
[TestClass]
public sealed class VerifyCommandTests
{
    private const string Host = "backend.example.test";
    private static readonly SecureRandom Random = new();
    private static string _dir = null!;
    private static string _chain = null!;
    private static string _chainWithRoot = null!;
    private static string _rootPem = null!;
    private static string _otherPem = null!;
    private static string _rootSha = null!;

    [ClassInitialize]
    public static void Init(TestContext _)
    {
        _dir = Directory.CreateTempSubdirectory("pcaptls-verify-").FullName;
        var (root, rootKeys) = Issue("CN=Verify Root", null, null, true);
        var (other, _) = Issue("CN=Other Root", null, null, true);
        var (intermediate, intKeys) = Issue("CN=Verify Intermediate", root, rootKeys, true);
        var (leaf, _) = Issue("CN=" + Host, intermediate, intKeys, false);
        _rootSha = CertificateInfo.Parse(root.GetEncoded()).Sha256Hex;
        _rootPem = Write("root.pem", Pem(root));
        _otherPem = Write("other.pem", Pem(other));
        _chain = Write("chain.pem", Pem(leaf) + Pem(intermediate));
        _chainWithRoot = Write("chain-root.pem", Pem(leaf) + Pem(intermediate) + Pem(root));
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(_dir, true);

    private static string Write(string name, string text)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    private static string Pem(X509Certificate c) => CertificateInfo.Parse(c.GetEncoded()).ToPem();

    private static (X509Certificate, AsymmetricCipherKeyPair) Issue(string subject, X509Certificate? issuer, AsymmetricCipherKeyPair? issuerKeys, bool ca)
    {
        var g = new ECKeyPairGenerator();
        g.Init(new ECKeyGenerationParameters(Org.BouncyCastle.Asn1.Sec.SecObjectIdentifiers.SecP256r1, Random));
        var keys = g.GenerateKeyPair();
        var gen = new X509V3CertificateGenerator();
        gen.SetSerialNumber(BigInteger.ValueOf(Random.NextInt() & 0x7fffffff));
        gen.SetSubjectDN(new X509Name(subject));
        gen.SetIssuerDN(issuer?.SubjectDN ?? new X509Name(subject));
        gen.SetNotBefore(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        gen.SetNotAfter(new DateTime(2045, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        gen.SetPublicKey(keys.Public);
        gen.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(ca));
        if (!ca)
        {
            gen.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.DnsName, Host)));
        }
        var cert = gen.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", (issuerKeys ?? keys).Private, Random));
        return (cert, keys);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [TestMethod]
    public void TrustedChainExitsZero()
    {
        var (code, output, _) = Run("verify", _chain, "--truststore", _rootPem, "--host", Host, "--at", "2026-01-01T00:00:00Z");
        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, "Verdict: TRUSTED");
        StringAssert.Contains(output, "Path: backend.example.test <- Verify Intermediate <- Verify Root");
    }

    [TestMethod]
    public void UntrustedChainExitsOneWithJavaMessageAndCause()
    {
        var (code, output, _) = Run("verify", _chain, "--truststore", _otherPem, "--host", Host, "--at", "2026-01-01T00:00:00Z");
        Assert.AreEqual(1, code);
        StringAssert.Contains(output, "Client would say: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target");
        StringAssert.Contains(output, "Client alert: 46 (certificate_unknown)");
        StringAssert.Contains(output, "[truststore-missing-anchor]");
        StringAssert.Contains(output, "issuer CN=Verify Root not found");
    }

    [TestMethod]
    public void JavaSecurityFileChangesThePredictionAndABadOneIsExitThree()
    {
        var strict = Write("strict.security", "jdk.certpath.disabledAlgorithms=MD2, MD5, EC keySize < 384\n");
        var (code, output, _) = Run("verify", _chain, "--truststore", _rootPem, "--host", Host, "--at", "2026-01-01T00:00:00Z", "--java-security", strict);
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(output, "Algorithm constraints check failed on keysize limits: EC 256 bit key used with certificate: CN=Verify Intermediate");

        var bad = Write("bad.security", "jdk.certpath.disabledAlgorithms=EC keysize < 384\n");
        var (badCode, badOut, badErr) = Run("verify", _chain, "--truststore", _rootPem, "--java-security", bad);
        Assert.AreEqual((int)ExitCode.InputError, badCode, badOut);
        StringAssert.Contains(badErr, "jdk.certpath.disabledAlgorithms: Error in security property. Constraint unknown: keysize < 384");
        Assert.AreEqual(1, badErr.Trim().Split('\n').Length, badErr);
        var (missingCode, _, _) = Run("verify", _chain, "--truststore", _rootPem, "--java-security", Path.Combine(_dir, "none.security"));
        Assert.AreEqual((int)ExitCode.InputError, missingCode);
    }

    [TestMethod]
    public void JavaReleaseChoosesTheMessagesAndTheCauseChainIsShown()
    {
        var (code, output, _) = Run("verify", _chain, "--truststore", _otherPem, "--host", Host, "--at", "2026-01-01T00:00:00Z", "--tls", "1.3", "--java-release", "17.0.21");
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(output, "Client would say: (certificate_unknown) PKIX path building failed: ");
        StringAssert.Contains(output, "Java exception (JDK 17.0.21): javax.net.ssl.SSLHandshakeException: (certificate_unknown) PKIX path building failed: ");
        StringAssert.Contains(output, "  Caused by: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target");

        var (defaultCode, defaultOut, _) = Run("verify", _chain, "--truststore", _otherPem, "--host", Host, "--format", "json");
        Assert.AreEqual(1, defaultCode);
        using var doc = JsonDocument.Parse(defaultOut);
        Assert.AreEqual("17.0.15", doc.RootElement.GetProperty("javaRelease").GetString());
        var chain = doc.RootElement.GetProperty("javaCauseChain");
        Assert.AreEqual(3, chain.GetArrayLength());
        Assert.AreEqual("javax.net.ssl.SSLHandshakeException: " + doc.RootElement.GetProperty("clientMessage").GetString(), chain[0].GetString());

        var (bad, _, err) = Run("verify", _chain, "--truststore", _otherPem, "--java-release", "21.0.5");
        Assert.AreEqual((int)ExitCode.Usage, bad, err);
        StringAssert.Contains(err, "--java-release: '21.0.5' is not a JDK 17 version");
    }

    [TestMethod]
    public void OpenSslClientAndJsonFormat()
    {
        var (code, output, _) = Run("verify", _chain, "--truststore", _otherPem, "--host", Host, "--client", "openssl", "--format", "json");
        Assert.AreEqual(1, code);
        using var doc = JsonDocument.Parse(output);
        Assert.IsFalse(doc.RootElement.GetProperty("trusted").GetBoolean());
        Assert.AreEqual("unable to get local issuer certificate", doc.RootElement.GetProperty("clientMessage").GetString());
        Assert.AreEqual(48, doc.RootElement.GetProperty("alert").GetInt32());
        Assert.AreEqual("truststore-missing-anchor", doc.RootElement.GetProperty("causes")[0].GetProperty("code").GetString());
        Assert.AreEqual(2, doc.RootElement.GetProperty("chain").GetArrayLength());
    }

    [TestMethod]
    public void PastedSClientOutputIsAccepted()
    {
        var pasted = "CONNECTED(00000003)\ndepth=1 CN = Verify Intermediate\n---\nCertificate chain\n 0 s:CN = backend.example.test\n   i:CN = Verify Intermediate\n"
            + File.ReadAllText(_chain).Replace("-----END CERTIFICATE-----\n-----BEGIN", "-----END CERTIFICATE-----\n 1 s:CN = Verify Intermediate\n-----BEGIN", StringComparison.Ordinal)
            + "---\nServer certificate\nsubject=CN = backend.example.test\n";
        var file = Write("s_client.txt", pasted);
        var (code, output, _) = Run("verify", file, "--truststore", _rootPem, "--host", Host);
        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, "Chain sent (2 certificates)");
    }

    [TestMethod]
    public void ExportNeededWritesTheMissingRoot()
    {
        var export = Path.Combine(_dir, "needed.pem");
        var (code, _, err) = Run("verify", _chainWithRoot, "--truststore", _otherPem, "--host", Host, "--export-needed", export);
        Assert.AreEqual(1, code);
        StringAssert.Contains(err, "wrote 1 certificate");
        var needed = CertificateFile.Read(File.ReadAllBytes(export));
        Assert.AreEqual(_rootSha, needed.Single().Sha256Hex);
    }

    [TestMethod]
    public void InputAndUsageErrorsAreOneLineWithTheirExitCodes()
    {
        var (missing, _, err1) = Run("verify", Path.Combine(_dir, "nope.pem"), "--truststore", _rootPem, "--host", Host);
        Assert.AreEqual(3, missing);
        Assert.AreEqual(1, err1.TrimEnd().Split('\n').Length, err1);
        var notCert = Write("not-a-cert.txt", "hello");
        var (bad, _, err2) = Run("verify", notCert, "--truststore", _rootPem, "--host", Host);
        Assert.AreEqual(3, bad);
        StringAssert.Contains(err2, "no certificate found");
        var (badStore, _, err3) = Run("verify", _chain, "--truststore", notCert, "--host", Host);
        Assert.AreEqual(3, badStore);
        StringAssert.Contains(err3, "unknown truststore format");
        Assert.AreEqual(2, Run("verify", _chain, "--truststore", _rootPem, "--client", "netscape").Code);
        Assert.AreEqual(2, Run("verify", _chain, "--truststore", _rootPem, "--at", "yesterday").Code);
    }

    [TestMethod]
    public void CaptureGivenAsChainVerifiesEachServerChain()
    {
        var capture = Path.Combine(PcapTls.Testing.RepoPaths.Captures, "tls12", "java", "leaf-only.pcap");
        var trust = Path.Combine(PcapTls.Testing.RepoPaths.Captures, "truststores", "root.pem");
        if (!File.Exists(capture) || !File.Exists(trust))
        {
            Assert.Inconclusive("skipped: the capture corpus (captures/) is not there; run tools/make-captures");
        }
        var (code, output, _) = Run("verify", capture, "--truststore", trust);
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(output, ", SNI backend.pcaptls.test");
        StringAssert.Contains(output, "[incomplete-chain]");
    }

    [TestMethod]
    public void Tls13CaptureChainsAreVerifiedWithTheKeyLog()
    {
        var capture = Path.Combine(PcapTls.Testing.RepoPaths.Captures, "tls13", "java", "leaf-only.pcap");
        var trust = Path.Combine(PcapTls.Testing.RepoPaths.Captures, "truststores", "root.pem");
        if (!File.Exists(capture) || !File.Exists(capture + ".keys"))
        {
            Assert.Inconclusive("skipped: the capture corpus (captures/) is not there; run tools/make-captures");
        }
        // Without the key log the TLS 1.3 Certificate is encrypted: no chain to verify.
        var (without, outWithout, _) = Run("verify", capture, "--truststore", trust);
        Assert.AreNotEqual(1, without, outWithout);
        Assert.DoesNotContain("[incomplete-chain]", outWithout);
        var (code, output, err) = Run("verify", capture, "--truststore", trust, "--keylog", capture + ".keys");
        Assert.AreEqual(1, code, output + err);
        StringAssert.Contains(output, "[incomplete-chain]");
        // A key log with a certificate file instead of a capture is a usage error.
        Assert.AreEqual(2, Run("verify", _chain, "--truststore", _rootPem, "--keylog", capture + ".keys").Code);
    }

    [TestMethod]
    public void TruststoreListAndCompare()
    {
        var bundle = Write("bundle.pem", File.ReadAllText(_rootPem) + File.ReadAllText(_otherPem));
        var (code, output, _) = Run("truststore", "list", bundle);
        Assert.AreEqual(0, code);
        StringAssert.Contains(output, "Your keystore contains 2 entries");
        StringAssert.Contains(output, "Certificate fingerprint (SHA-256): " + string.Join(':', Enumerable.Range(0, 32).Select(i => _rootSha.Substring(i * 2, 2).ToUpperInvariant())));
        var (c2, compare, _) = Run("truststore", "compare", bundle, _chainWithRoot);
        Assert.AreEqual(0, c2);
        StringAssert.Contains(compare, "#3 CN=Verify Root: in the truststore as 'verify-root' (same SHA-256)");
        StringAssert.Contains(compare, "#2 CN=Verify Intermediate: not in the truststore; its issuer 'verify-root' is, and verifies its signature");
    }
}
