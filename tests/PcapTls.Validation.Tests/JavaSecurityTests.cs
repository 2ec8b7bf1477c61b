using PcapTls.Validation;

namespace PcapTls.Validation.Tests;

/// <summary>--java-security without a JVM: the java.util.Properties reading, DisabledAlgorithmConstraints' syntax and
/// conditions, and the predictions they change (the differential test proves the same files against real Java).</summary>
[TestClass]
public sealed class JavaSecurityTests
{
    private static ChainVerdict Validate(TestCert[] chain, TestCert root, JavaSecurity security, DateTimeOffset? at = null) =>
        ChainValidator.Validate(new ValidationRequest(chain.Select(c => c.Der).ToList(), TestPki.Store(root), "backend.example.test", at ?? TestPki.Now)
        { JavaSecurity = security, Java = JavaRelease.Java17u21 });

    [TestMethod]
    public void PropertiesAreReadAsJavaUtilPropertiesReadsThem()
    {
        var s = JavaSecurity.FromText(
            "# comment\n! also a comment\n  jdk.certpath.disabledAlgorithms = MD2, \\\n      MD5\njdk.tls.disabledAlgorithms:SSLv3\n"
            + "jdk.security.caDistrustPolicies=\njdk.tls.disabledAlgorithms=TLSv1, \\u0052C4\n", "override.security");
        Assert.AreEqual("MD2, MD5", s.CertPath.Value);
        Assert.AreEqual("TLSv1, RC4", s.Tls.Value, "a later definition wins and \\uXXXX is decoded");
        CollectionAssert.AreEqual(new[] { "jdk.security.caDistrustPolicies" }, s.NotModelled.ToArray());
        Assert.IsFalse(s.CertPath.PermitsName("MD5withRSA"));
        Assert.IsTrue(s.CertPath.PermitsName("SHA1withRSA"), "the override replaced the default's SHA1 entries");
    }

    [TestMethod]
    [DataRow("jdk.certpath.disabledAlgorithms=RSA keysize < 1024", "Constraint unknown: keysize < 1024")]
    [DataRow("jdk.certpath.disabledAlgorithms=RSA keySize ~ 1024", "~ is not a legal Operator")]
    [DataRow("jdk.certpath.disabledAlgorithms=SHA1 jdkCA & jdkCA", "Only one jdkCA entry allowed")]
    [DataRow("jdk.certpath.disabledAlgorithms=SHA1 denyAfter 2019-02-30", "Invalid denyAfter date")]
    [DataRow("jdk.tls.disabledAlgorithms=SSL_*", "Wildcard pattern must start with \"TLS_\"")]
    [DataRow("jdk.tls.disabledAlgorithms=RSA usage HandshakeSignature TLSServer", "Can't mix TLS protocol specific constraints")]
    [DataRow("jdk.tls.disabledAlgorithms=\\u00zz", "malformed \\uxxxx escape")]
    public void WhatJavaRefusesIsRefusedInOneLine(string text, string expected)
    {
        var e = Assert.ThrowsExactly<JavaSecurityException>(() => JavaSecurity.FromText(text + "\n", "bad.security"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("bad.security: ", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [TestMethod]
    public void ABinaryOrOversizedFileIsRefused()
    {
        var dir = Directory.CreateTempSubdirectory("pcaptls-javasec-").FullName;
        try
        {
            var binary = Path.Combine(dir, "binary.security");
            File.WriteAllBytes(binary, [0x6a, 0x64, 0x6b, 0x00, 0x3d]);
            Assert.Contains("binary content", Assert.ThrowsExactly<JavaSecurityException>(() => JavaSecurity.Load(binary)).Message);
            var big = Path.Combine(dir, "big.security");
            File.WriteAllText(big, new string('#', JavaPropertiesFile.MaxFileBytes + 1));
            Assert.Contains("MaxFileBytes", Assert.ThrowsExactly<JavaSecurityException>(() => JavaSecurity.Load(big)).Message);
            Assert.Contains("no such", Assert.ThrowsExactly<JavaSecurityException>(() => JavaSecurity.Load(Path.Combine(dir, "none"))).Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void UsageAndKeySizeConditionsNameTheCertificate()
    {
        var root = TestPki.Root();
        var inter = TestPki.Intermediate(root, "Strict Intermediate");
        var sha1Leaf = TestPki.Leaf(inter, tweak: s => s with { Digest = "SHA1" });
        var strict = JavaSecurity.FromText("jdk.certpath.disabledAlgorithms=MD2, MD5, SHA1 usage TLSServer, EC keySize < 384\n", "strict.security");

        Assert.IsTrue(Validate([TestPki.Leaf(inter), inter], root, JavaSecurity.Jdk17).Trusted);
        Assert.IsTrue(Validate([sha1Leaf, inter], root, JavaSecurity.Jdk17).Trusted, "the JDK's default refuses SHA-1 only below a JDK CA");

        var ec = Validate([TestPki.Leaf(inter), inter], root, strict);
        Assert.AreEqual(ClientFailure.Algorithm, ec.Failure);
        StringAssert.EndsWith(ec.ClientMessage, "Algorithm constraints check failed on keysize limits: EC 256 bit key used with certificate: CN=Strict Intermediate, O=PcapTls Tests");
        Assert.AreEqual(TlsAlert.UnsupportedCertificate, ec.PredictedAlert);

        var sha1 = Validate([sha1Leaf, inter], root, JavaSecurity.FromText("jdk.certpath.disabledAlgorithms=SHA1 usage TLSServer\n", "sha1.security"));
        StringAssert.EndsWith(sha1.ClientMessage, "Usage constraint TLSServer check failed: SHA1 used with certificate: CN=backend.example.test");
        Assert.AreEqual(4, sha1.JavaCauseChain.Count, "handshake, validator, the master validator's rethrow and the checker's own exception");
        Assert.IsTrue(sha1.Explanation.Notes.Any(n => n.Contains("sha1.security", StringComparison.Ordinal)), "the verdict says which file it applied");
    }

    [TestMethod]
    public void DenyAfterQuotesTheValidationDateAndAnAmpersandChainNeedsEveryCondition()
    {
        var root = TestPki.Root();
        var inter = TestPki.Intermediate(root);
        var chain = new[] { TestPki.Leaf(inter), inter };
        var at = new DateTimeOffset(2026, 6, 1, 12, 0, 0, 250, TimeSpan.Zero);
        var deny = Validate(chain, root, JavaSecurity.FromText("jdk.certpath.disabledAlgorithms=SHA256 usage TLSServer & denyAfter 2020-01-01\n", "deny.security"), at);
        StringAssert.EndsWith(deny.ClientMessage,
            "denyAfter constraint check failed: SHA256 used with Constraint date: 2020-01-01; params date: 2026-06-01T12:00:00.250Z used with certificate: CN=Test Intermediate CA, O=PcapTls Tests");
        Assert.IsTrue(Validate(chain, root, JavaSecurity.FromText("jdk.certpath.disabledAlgorithms=SHA256 denyAfter 2030-01-01\n", "later.security"), at).Trusted,
            "before the date the algorithm is allowed");
        Assert.IsTrue(Validate(chain, root, JavaSecurity.FromText("jdk.certpath.disabledAlgorithms=SHA256 denyAfter 2020-01-01 & usage TLSClient\n", "client.security"), at).Trusted,
            "the usage after '&' does not match a TLS server's chain");
        Assert.IsTrue(Validate(chain, root, JavaSecurity.FromText("jdk.certpath.disabledAlgorithms=SHA256 jdkCA & usage TLSServer\n", "jdkca.security"), at).Trusted,
            "jdkCA: a private root is not one of the JDK's cacerts");
    }

    [TestMethod]
    public void CurvesAreRefusedByAnyOfTheirNamesAndTlsKeyLimitsApplyToCertificates()
    {
        var root = TestPki.Root();
        var inter = TestPki.Intermediate(root);
        var chain = new[] { TestPki.Leaf(inter), inter };
        var alias = Validate(chain, root, JavaSecurity.FromText("jdk.certpath.disabledAlgorithms=NIST P-256\n", "alias.security"));
        StringAssert.EndsWith(alias.ClientMessage, "Algorithm constraints check failed on disabled algorithm: NIST P-256");
        var tls = Validate(chain, root, JavaSecurity.FromText("jdk.tls.disabledAlgorithms=EC keySize < 384\n", "tls.security"));
        StringAssert.EndsWith(tls.ClientMessage, "Algorithm constraints check failed on key EC with size of 256bits");
        var scheme = Validate(chain, root, JavaSecurity.FromText("jdk.tls.disabledAlgorithms=ecdsa_secp256r1_sha256\n", "scheme.security"));
        StringAssert.EndsWith(scheme.ClientMessage, "Algorithm constraints check failed on signature algorithm: SHA256withECDSA",
            "the client no longer lists the scheme for certificates");
    }

    [TestMethod]
    public void JavaHashSetOrderFollowsStringHashCode()
    {
        // "Aa" and "BB" have the same String.hashCode (2112): one bucket, insertion order.
        Assert.AreEqual(JavaStringHashSet.JavaHashCode("Aa"), JavaStringHashSet.JavaHashCode("BB"));
        Assert.AreEqual(2112, JavaStringHashSet.JavaHashCode("Aa"));
        var set = new JavaStringHashSet { "BB", "Aa" };
        CollectionAssert.AreEqual(new[] { "BB", "Aa" }, set.ToList());
        var many = new JavaStringHashSet();
        foreach (var s in Enumerable.Range(0, 40).Select(i => "alg" + i))
        {
            many.Add(s);
        }
        Assert.AreEqual(40, many.Count());
    }
}
