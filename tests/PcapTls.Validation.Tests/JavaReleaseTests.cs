using PcapTls.Validation;
using static PcapTls.Validation.Tests.TestPki;

namespace PcapTls.Validation.Tests;

/// <summary>
/// The JDK 17 releases' differences (the differential test proves them against the installed JDK; these pin the
/// model where no Java is installed): the alert name before the message, TLS 1.3 alerts by reason, the whole cause
/// chain, and the checks Java makes beyond the path (name constraints, critical extensions, key usage, chain length).
/// </summary>
[TestClass]
public sealed class JavaReleaseTests
{
    private static readonly TestCert RootCa = Root();
    private static readonly TestCert Intermediate = TestPki.Intermediate(RootCa);

    private static ChainVerdict Validate21(TestCert[] chain, ushort tls = 0x0303, string host = "backend.example.test") =>
        ChainValidator.Validate(new ValidationRequest(chain.Select(c => c.Der).ToList(), Store(RootCa), host, Now)
        {
            TlsVersion = tls,
            Java = JavaRelease.Java17u21,
        });

    [TestMethod]
    [DataRow("17.0.21.1", "17.0.21")]
    [DataRow("17.0.21", "17.0.21")]
    [DataRow("17.0.16+8", "17.0.21")]
    [DataRow("17.0.15", "17.0.15")]
    [DataRow("17.0.2", "17.0.15")]
    public void AJdk17VersionMapsToTheReleaseWhoseBehaviourItHas(string version, string release) =>
        Assert.AreEqual(release, JavaRelease.ForVersion(version)!.Version);

    [TestMethod]
    [DataRow("21.0.5")]
    [DataRow("1.8.0_402")]
    [DataRow("17")]
    public void AnotherJdkHasNoRelease(string version) => Assert.IsNull(JavaRelease.ForVersion(version));

    [TestMethod]
    public void AnExpiredLeafGivesTheAlertNameFirstAndTheSameAlertInTls13()
    {
        var leaf = Leaf(Intermediate, tweak: s => s with { NotBefore = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), NotAfter = new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
        var v = Validate21([leaf, Intermediate], 0x0304);
        Assert.AreEqual("(certificate_expired) PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed", v.ClientMessage);
        Assert.AreEqual((byte)45, v.PredictedAlert);
        CollectionAssert.AreEqual(new[]
        {
            "javax.net.ssl.SSLHandshakeException: (certificate_expired) PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed",
            "sun.security.validator.ValidatorException: PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed",
            "java.security.cert.CertPathValidatorException: validity check failed",
            "java.security.cert.CertificateExpiredException: NotAfter: Fri Jan 01 00:00:00 UTC 2021",
        }, v.JavaCauseChain.ToArray());
        // The release that made the corpus: the validator's text as is, certificate_unknown in TLS 1.3.
        var old = Validate([leaf, Intermediate], Store(RootCa), tls: 0x0304);
        Assert.AreEqual("PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed", old.ClientMessage);
        Assert.AreEqual((byte)46, old.PredictedAlert);
    }

    [TestMethod]
    public void AMd5SignatureIsBadCertificateInTls13AndUnsupportedInTls12()
    {
        var rsaRoot = Root("RSA Root", RsaKey(2048));
        var weak = Issue(new CertSpec("CN=MD5 Intermediate") { Ca = true, KeyUsage = Org.BouncyCastle.Asn1.X509.KeyUsage.KeyCertSign, Digest = "MD5" }, rsaRoot, RsaKey(2048));
        var leaf = Leaf(weak);
        ChainVerdict Run(ushort tls) => ChainValidator.Validate(new ValidationRequest([leaf.Der, weak.Der], Store(rsaRoot), "backend.example.test", Now)
        {
            TlsVersion = tls,
            Java = JavaRelease.Java17u21,
        });
        Assert.AreEqual((byte)43, Run(0x0303).PredictedAlert);
        Assert.AreEqual((byte)42, Run(0x0304).PredictedAlert);
        StringAssert.StartsWith(Run(0x0304).ClientMessage, "(bad_certificate) PKIX path validation failed: java.security.cert.CertPathValidatorException: Algorithm constraints check failed on signature algorithm: MD5withRSA");
    }

    [TestMethod]
    public void AKeyUsageWithoutDigitalSignatureIsRefusedByTheEndEntityChecker()
    {
        var leaf = Leaf(Intermediate, tweak: s => s with { KeyUsage = Org.BouncyCastle.Asn1.X509.KeyUsage.KeyEncipherment });
        var v = Validate21([leaf, Intermediate]);
        Assert.IsFalse(v.Trusted);
        Assert.AreEqual("(certificate_unknown) KeyUsage does not allow digital signatures", v.ClientMessage);
        Assert.AreEqual("sun.security.validator.ValidatorException: KeyUsage does not allow digital signatures", v.JavaCauseChain[^1]);
    }

    [TestMethod]
    public void MoreThanTenCertificatesAreRefusedWhileTheMessageIsParsed()
    {
        var chain = new List<TestCert> { RootCa };
        for (var i = 0; i < 11; i++)
        {
            chain.Insert(0, TestPki.Intermediate(chain[0], $"Long {i}"));
        }
        chain.Insert(0, Leaf(chain[0]));
        chain.RemoveAt(chain.Count - 1);
        var v = Validate21([.. chain]);
        Assert.AreEqual("The certificate chain length (11) exceeds the maximum allowed length (10)", v.ClientMessage);
        Assert.AreEqual((byte)40, v.PredictedAlert);
        Assert.AreEqual(CauseCode.JavaHandshakeLimit, v.Findings[0].Code);
    }

    [TestMethod]
    public void JavaDatesAreWrittenAsDateToStringInUtc() =>
        Assert.AreEqual("Sun Jan 01 00:00:00 UTC 2040", JavaExceptionChain.JavaDate(new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero)));
}
