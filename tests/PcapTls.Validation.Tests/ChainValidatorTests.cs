using Org.BouncyCastle.Asn1.X509;
using PcapTls.Validation;
using static PcapTls.Validation.Tests.TestPki;

namespace PcapTls.Validation.Tests;

[TestClass]
public sealed class ChainValidatorTests
{
    private const string NoPath = "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target";
    private const string ValidityFailed = "PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed";

    private static TestCert _root = null!;
    private static TestCert _intermediate = null!;
    private static TestCert _leaf = null!;

    [ClassInitialize]
    public static void Init(TestContext _)
    {
        _root = Root();
        _intermediate = Intermediate(_root);
        _leaf = Leaf(_intermediate);
    }

    [TestMethod]
    public void FullChainIsTrustedByBothProfiles()
    {
        foreach (var profile in new[] { ClientProfile.Java, ClientProfile.OpenSsl })
        {
            var v = Validate([_leaf, _intermediate], Store(_root), profile: profile);
            Assert.IsTrue(v.Trusted, profile.ToString());
            Assert.IsEmpty(v.Findings);
            Assert.IsNull(v.ClientMessage);
            Assert.IsNull(v.PredictedAlert);
            CollectionAssert.AreEqual(new[] { _leaf.Info.Sha256Hex, _intermediate.Info.Sha256Hex, _root.Info.Sha256Hex }, v.Path!.Select(c => c.Sha256Hex).ToArray());
            Assert.IsEmpty(v.Quality.Issues);
        }
    }

    [TestMethod]
    public void MissingRootIsTruststoreMissingAnchorWithJavaBuildMessage()
    {
        var v = Validate([_leaf, _intermediate], Store(Root("Unrelated Root")));
        Assert.IsFalse(v.Trusted);
        Assert.AreEqual(NoPath, v.ClientMessage);
        Assert.AreEqual((byte)46, v.PredictedAlert);
        Assert.AreEqual(CauseCode.TruststoreMissingAnchor, v.Findings[0].Code);
        Assert.AreEqual(Certainty.Medium, v.Findings[0].Certainty);
        StringAssert.Contains(v.Findings[0].Evidence, "CN=Test Root CA,O=PcapTls Tests");
        Assert.IsNull(v.Path);
    }

    [TestMethod]
    public void OpenSslSaysUnableToGetLocalIssuerWithUnknownCaAlert()
    {
        var v = Validate([_leaf, _intermediate], Store(Root("Unrelated Root")), profile: ClientProfile.OpenSsl);
        Assert.AreEqual("unable to get local issuer certificate", v.ClientMessage);
        Assert.AreEqual((byte)48, v.PredictedAlert);
        Assert.AreEqual(20, v.OpenSslErrorNumber);
    }

    [TestMethod]
    public void RootSentButUntrustedIsNeededInTrustStoreWithHighCertainty()
    {
        var v = Validate([_leaf, _intermediate, _root], Store(Root("Unrelated Root")));
        Assert.AreEqual(CauseCode.TruststoreMissingAnchor, v.Findings[0].Code);
        Assert.AreEqual(Certainty.High, v.Findings[0].Certainty);
        Assert.AreEqual(_root.Info.Sha256Hex, v.NeededInTrustStore.Single().Sha256Hex);
        Assert.IsTrue(v.Quality.AnchorIncluded);
        var openssl = Validate([_leaf, _intermediate, _root], Store(Root("Unrelated Root")), profile: ClientProfile.OpenSsl);
        Assert.AreEqual("self-signed certificate in certificate chain", openssl.ClientMessage);
        Assert.AreEqual((byte)48, openssl.PredictedAlert);
    }

    [TestMethod]
    public void LeafOnlyIsIncompleteChain()
    {
        var v = Validate([_leaf], Store(_root));
        Assert.AreEqual(NoPath, v.ClientMessage);
        Assert.AreEqual((byte)46, v.PredictedAlert);
        Assert.AreEqual(CauseCode.IncompleteChain, v.Findings[0].Code);
        Assert.AreEqual(Certainty.Medium, v.Findings[0].Certainty);
        Assert.IsTrue(v.Quality.Incomplete);
        Assert.IsTrue(v.Explanation.Root!.IssuerNotFound);
    }

    [TestMethod]
    public void LeafOnlyWithAiaCaIssuersIsIncompleteChainWithHighCertainty()
    {
        var leaf = Leaf(_intermediate, tweak: s => s with { CaIssuersUrl = "http://ca.example.test/intermediate.crt" });
        var v = Validate([leaf], Store(_root));
        Assert.AreEqual(CauseCode.IncompleteChain, v.Findings[0].Code);
        Assert.AreEqual(Certainty.High, v.Findings[0].Certainty);
        StringAssert.Contains(v.Findings[0].Evidence, "http://ca.example.test/intermediate.crt");
    }

    [TestMethod]
    public void LeafIssuedByMissingRootNamedRootIsLowCertaintyMissingAnchor()
    {
        var leaf = Leaf(_root);
        var v = Validate([leaf], Store(Root("Unrelated Root")));
        Assert.AreEqual(CauseCode.TruststoreMissingAnchor, v.Findings[0].Code);
        Assert.AreEqual(Certainty.Low, v.Findings[0].Certainty);
    }

    [TestMethod]
    public void SameNameDifferentKeyRootIsCaughtAsImpostor()
    {
        var impostor = Root(); // same subject "CN=Test Root CA,O=PcapTls Tests", another key
        Assert.AreEqual(_root.Info.Subject, impostor.Info.Subject);
        var v = Validate([_leaf, _intermediate], Store(impostor));
        // Measured with Java 17 (captures/tls12/java/impostor-root.pcap): the name match sends JSSE to the validator,
        // whose anchor selector then drops the impostor because the AKI is not its key id.
        Assert.AreEqual("PKIX path validation failed: java.security.cert.CertPathValidatorException: Path does not chain with any of the trust anchors", v.ClientMessage);
        Assert.AreEqual((byte)46, v.PredictedAlert);
        Assert.AreEqual(CauseCode.TruststoreMissingAnchor, v.Findings[0].Code);
        Assert.AreEqual(Certainty.High, v.Findings[0].Certainty);
        StringAssert.Contains(v.Findings[0].Summary, "different key");
        var attempt = v.Explanation.Root!.Attempts.Single().Continuation!.Attempts.Single();
        Assert.IsTrue(attempt.Trusted);
        Assert.AreEqual(IssuerRejection.SignatureMismatch, attempt.Rejection);
        StringAssert.Contains(v.Explanation.Render(), "does not verify the signature");
        var row = v.Comparison.Rows[1];
        Assert.AreEqual(TrustStoreMatch.IssuerNameOnly, row.Match);
    }

    [TestMethod]
    public void ImpostorWithoutKeyIdsFailsTheSignatureCheckInJava()
    {
        var root = Issue(new CertSpec("CN=NoKeyId Root") { Ca = true, KeyIds = false }, null);
        var leaf = Issue(new CertSpec("CN=backend.example.test") { Ca = false, Dns = ["backend.example.test"], KeyIds = false }, root);
        var impostor = Issue(new CertSpec("CN=NoKeyId Root") { Ca = true, KeyIds = false }, null);
        var v = Validate([leaf], Store(impostor));
        Assert.AreEqual("PKIX path validation failed: java.security.cert.CertPathValidatorException: signature check failed", v.ClientMessage);
        Assert.AreEqual((byte)42, v.PredictedAlert);
        Assert.AreEqual(CauseCode.TruststoreMissingAnchor, v.Findings[0].Code);
        Assert.AreEqual("certificate signature failure", Validate([leaf], Store(impostor), profile: ClientProfile.OpenSsl).ClientMessage);
    }

    [TestMethod]
    public void SameNameDifferentKeyIntermediateInTrustStoreIsRejectedBySignature()
    {
        var fakeIntermediate = Intermediate(Root("Other Root"));
        var v = Validate([_leaf], Store(fakeIntermediate));
        Assert.IsFalse(v.Trusted);
        Assert.AreEqual(CauseCode.TruststoreMissingAnchor, v.Findings[0].Code);
        Assert.AreEqual(TrustStoreMatch.IssuerNameOnly, v.Comparison.Rows[0].Match);
        var sameNameRow = Validate([_leaf, _intermediate], Store(fakeIntermediate)).Comparison.Rows[1];
        Assert.AreEqual(TrustStoreMatch.SameSubjectDifferentKey, sameNameRow.Match);
    }

    [TestMethod]
    public void IntermediateAsAnchorSatisfiesJavaButNotOpenSslWithoutPartialChain()
    {
        var store = Store(_intermediate);
        Assert.IsTrue(Validate([_leaf, _intermediate], store).Trusted);
        Assert.IsTrue(Validate([_leaf], store).Trusted, "Java: any trusted certificate is an anchor");
        var openssl = Validate([_leaf, _intermediate], store, profile: ClientProfile.OpenSsl);
        Assert.IsFalse(openssl.Trusted);
        Assert.AreEqual("unable to get issuer certificate", openssl.ClientMessage);
        Assert.AreEqual(CauseCode.TruststoreMissingAnchor, openssl.Findings[0].Code);
        Assert.IsTrue(Validate([_leaf, _intermediate], store, profile: ClientProfile.OpenSsl, partial: true).Trusted);
    }

    [TestMethod]
    public void OutOfOrderChainWithExtraAndDuplicateCertificatesIsTrusted()
    {
        var stranger = Root("Stranger Root");
        var v = Validate([_leaf, stranger, _intermediate, _intermediate], Store(_root));
        Assert.IsTrue(v.Trusted);
        Assert.IsTrue(v.Quality.WrongOrder);
        Assert.AreEqual(stranger.Info.Sha256Hex, v.Quality.Extra.Single().Sha256Hex);
        Assert.AreEqual(1, v.Quality.Duplicates.Count);
        Assert.AreEqual(3, v.Path!.Count);
    }

    [TestMethod]
    public void CrossSignedPathIsFoundThroughTheSecondIssuer()
    {
        var oldRoot = Root("Old Root");
        var newRoot = Root("New Root");
        var keys = EcKey();
        var viaOld = Intermediate(oldRoot, "Cross CA", keys);
        var viaNew = Intermediate(newRoot, "Cross CA", keys);
        var leaf = Leaf(viaOld);
        var v = Validate([leaf, viaOld, viaNew], Store(newRoot));
        Assert.IsTrue(v.Trusted);
        CollectionAssert.AreEqual(new[] { leaf.Info.Sha256Hex, viaNew.Info.Sha256Hex, newRoot.Info.Sha256Hex }, v.Path!.Select(c => c.Sha256Hex).ToArray());
        var tried = v.Explanation.Root!.Attempts;
        Assert.AreEqual(IssuerRejection.NoPathAbove, tried[0].Rejection, "the old-root branch is tried first and dead-ends");
        Assert.IsTrue(tried[1].Accepted);
    }

    [TestMethod]
    public void ExpiredLeafInOrderGivesValidationMessageAndAlertPerTlsVersion()
    {
        var leaf = Leaf(_intermediate, tweak: s => s with { NotBefore = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), NotAfter = new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
        var v = Validate([leaf, _intermediate], Store(_root));
        Assert.AreEqual(ValidityFailed, v.ClientMessage);
        Assert.AreEqual((byte)45, v.PredictedAlert);
        Assert.AreEqual((byte)46, v.PredictAlert(0x0304));
        Assert.AreEqual((byte)46, Validate([leaf, _intermediate], Store(_root), tls: 0x0304).PredictedAlert);
        Assert.AreEqual(CauseCode.CertificateExpired, v.Findings[0].Code);
        var openssl = Validate([leaf, _intermediate], Store(_root), profile: ClientProfile.OpenSsl);
        Assert.AreEqual("certificate has expired", openssl.ClientMessage);
        Assert.AreEqual((byte)45, openssl.PredictedAlert);
    }

    [TestMethod]
    public void ValidityBoundariesAreInclusiveToTheSecond()
    {
        var from = new DateTime(2030, 3, 1, 10, 0, 0, DateTimeKind.Utc);
        var to = new DateTime(2030, 3, 2, 10, 0, 0, DateTimeKind.Utc);
        var leaf = Leaf(_intermediate, tweak: s => s with { NotBefore = from, NotAfter = to });
        var store = Store(_root);
        Assert.IsTrue(Validate([leaf, _intermediate], store, at: from).Trusted, "at NotBefore");
        Assert.IsTrue(Validate([leaf, _intermediate], store, at: to).Trusted, "at NotAfter");
        var before = Validate([leaf, _intermediate], store, at: new DateTimeOffset(from).AddSeconds(-1));
        Assert.AreEqual(CauseCode.CertificateNotYetValid, before.Findings[0].Code);
        Assert.AreEqual(ValidityFailed, before.ClientMessage);
        Assert.AreEqual((byte)42, before.PredictedAlert);
        var after = Validate([leaf, _intermediate], store, at: new DateTimeOffset(to).AddSeconds(1));
        Assert.AreEqual(CauseCode.CertificateExpired, after.Findings[0].Code);
        Assert.AreEqual("certificate is not yet valid", Validate([leaf, _intermediate], store, at: new DateTimeOffset(from).AddSeconds(-1), profile: ClientProfile.OpenSsl).ClientMessage);
    }

    [TestMethod]
    public void ExpiredIntermediateOutOfOrderFailsBuildingButExplainsExpiry()
    {
        var old = Intermediate(_root, notAfter: new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var leaf = Leaf(old);
        var inOrder = Validate([leaf, old], Store(_root));
        Assert.AreEqual(ValidityFailed, inOrder.ClientMessage);
        Assert.AreEqual(CauseCode.CertificateExpired, inOrder.Findings[0].Code);
        var outOfOrder = Validate([leaf, Root("Noise Root"), old], Store(_root));
        Assert.AreEqual(NoPath, outOfOrder.ClientMessage);
        Assert.AreEqual(CauseCode.CertificateExpired, outOfOrder.Findings[0].Code);
        StringAssert.Contains(outOfOrder.Findings[0].Evidence, "Test Intermediate CA");
        Assert.AreEqual(IssuerRejection.Expired, outOfOrder.Explanation.Root!.Attempts.Single().Rejection);
    }

    [TestMethod]
    public void EmptyTrustStoreIsInternalErrorForJava()
    {
        var v = Validate([_leaf, _intermediate], TrustStore.FromCertificates("empty", []));
        Assert.AreEqual(CauseCode.TruststoreEmpty, v.Findings.Single().Code);
        Assert.AreEqual("Unexpected error: java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty", v.ClientMessage);
        Assert.AreEqual((byte)80, v.PredictedAlert);
        Assert.AreEqual((byte)48, Validate([_leaf, _intermediate], TrustStore.FromCertificates("empty", []), profile: ClientProfile.OpenSsl).PredictedAlert);
    }

    [TestMethod]
    public void TrustedLeafIsAcceptedByJavaEvenWhenExpired()
    {
        var selfSigned = Issue(new CertSpec("CN=backend.example.test") { Dns = ["backend.example.test"], NotAfter = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc) }, null);
        Assert.IsTrue(Validate([selfSigned], Store(selfSigned)).Trusted);
        var openssl = Validate([selfSigned], Store(selfSigned), profile: ClientProfile.OpenSsl);
        Assert.AreEqual("certificate has expired", openssl.ClientMessage);
        var untrusted = Validate([selfSigned], Store(_root), profile: ClientProfile.OpenSsl, at: new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.AreEqual("self-signed certificate", untrusted.ClientMessage);
        Assert.AreEqual(_root.Info.Sha256Hex, Store(_root).Entries[0].Certificate.Sha256Hex);
        Assert.AreEqual(CauseCode.TruststoreMissingAnchor, untrusted.Findings[0].Code);
        Assert.AreEqual(selfSigned.Info.Sha256Hex, untrusted.NeededInTrustStore.Single().Sha256Hex);
    }

    [TestMethod]
    public void ReissuedRootWithSameSubjectAndKeyIsTrustedByJava()
    {
        var reissued = Root(keys: _root.Keys);
        Assert.AreNotEqual(_root.Info.Sha256Hex, reissued.Info.Sha256Hex);
        var v = Validate([_leaf, _intermediate, _root], Store(reissued));
        Assert.IsTrue(v.Trusted);
        Assert.AreEqual(TrustStoreMatch.SameSubjectAndKey, v.Comparison.Rows[2].Match);
    }

    [TestMethod]
    public void NotACaIntermediateIsRejected()
    {
        var notCa = Issue(new CertSpec("CN=Not A CA") { Ca = false }, _root);
        var leaf = Leaf(notCa);
        var v = Validate([leaf, notCa], Store(_root));
        Assert.AreEqual("PKIX path validation failed: java.security.cert.CertPathValidatorException: basic constraints check failed: this is not a CA certificate", v.ClientMessage);
        Assert.AreEqual(CauseCode.ClientRejectedCertificate, v.Findings[0].Code);
        Assert.AreEqual((byte)46, v.PredictedAlert);
        Assert.AreEqual("invalid CA certificate", Validate([leaf, notCa], Store(_root), profile: ClientProfile.OpenSsl).ClientMessage);
        var outOfOrder = Validate([leaf, Root("Noise"), notCa], Store(_root));
        Assert.AreEqual(IssuerRejection.NotCa, outOfOrder.Explanation.Root!.Attempts.Single().Rejection);
    }

    [TestMethod]
    public void PathLengthConstraintIsEnforced()
    {
        var i1 = Intermediate(_root, "Level 1 CA", pathLength: 0);
        var i2 = Intermediate(i1, "Level 2 CA");
        var leaf = Leaf(i2);
        var v = Validate([leaf, i2, i1], Store(_root));
        Assert.IsFalse(v.Trusted);
        Assert.AreEqual("PKIX path validation failed: java.security.cert.CertPathValidatorException: basic constraints check failed: pathLenConstraint violated - this cert must be the last cert in the certification path", v.ClientMessage);
        Assert.AreEqual("path length constraint exceeded", Validate([leaf, i2, i1], Store(_root), profile: ClientProfile.OpenSsl).ClientMessage);
        var tree = Validate([leaf, Root("Noise"), i2, i1], Store(_root)).Explanation.Root!;
        Assert.AreEqual(IssuerRejection.PathLengthExceeded, tree.Attempts.Single().Continuation!.Attempts.Single().Rejection);
        Assert.IsTrue(Validate([Leaf(i1), i1], Store(_root)).Trusted, "pathlen 0 still allows a leaf below it");
    }

    [TestMethod]
    public void ClientAuthOnlyLeafIsRejectedForServerAuth()
    {
        var leaf = Leaf(_intermediate, tweak: s => s with { Eku = [KeyPurposeID.id_kp_clientAuth] });
        var v = Validate([leaf, _intermediate], Store(_root));
        Assert.AreEqual("Extended key usage does not permit use for TLS server authentication", v.ClientMessage);
        Assert.AreEqual(CauseCode.ClientRejectedCertificate, v.Findings[0].Code);
        Assert.IsTrue(Validate([leaf, _intermediate], Store(_root), purpose: KeyPurpose.ClientAuth, host: null).Trusted);
        Assert.AreEqual("unsupported certificate purpose", Validate([leaf, _intermediate], Store(_root), profile: ClientProfile.OpenSsl).ClientMessage);
    }

    [TestMethod]
    public void Md5SignatureIsDisabledButNotOnTheAnchor()
    {
        var rsaRoot = Root("RSA Root", RsaKey(1024), digest: "MD5");
        var md5Leaf = Issue(new CertSpec("CN=backend.example.test") { Ca = false, Dns = ["backend.example.test"], Digest = "MD5" }, rsaRoot);
        var v = Validate([md5Leaf], Store(rsaRoot));
        Assert.AreEqual("MD5withRSA", md5Leaf.Info.SignatureAlgorithm);
        Assert.AreEqual("PKIX path validation failed: java.security.cert.CertPathValidatorException: Algorithm constraints check failed on signature algorithm: MD5withRSA", v.ClientMessage);
        Assert.AreEqual((byte)43, v.PredictedAlert);
        Assert.AreEqual(CauseCode.WeakAlgorithm, v.Findings[0].Code);
        var sha256Leaf = Leaf(rsaRoot);
        Assert.IsTrue(Validate([sha256Leaf], Store(rsaRoot)).Trusted, "the anchor's own MD5 self-signature and its 1024-bit key are not checked");
    }

    [TestMethod]
    public void SmallRsaKeyBelowTheAnchorIsDisabled()
    {
        var weak = Intermediate(_root, "Weak CA", RsaKey(768));
        var leaf = Leaf(weak);
        var v = Validate([leaf, weak], Store(_root));
        Assert.IsFalse(v.Trusted);
        Assert.AreEqual(CauseCode.WeakAlgorithm, v.Findings[0].Code);
        StringAssert.StartsWith(v.ClientMessage, "PKIX path validation failed: java.security.cert.CertPathValidatorException: Algorithm constraints check failed on keysize limits: RSA 768");
        var openssl = Validate([leaf, weak], Store(_root), profile: ClientProfile.OpenSsl);
        Assert.AreEqual("CA certificate key too weak", openssl.ClientMessage);
    }

    [TestMethod]
    public void Sha1IsAcceptedByJavaBelowAPrivateRootButNotByOpenSsl()
    {
        var sha1Leaf = Issue(new CertSpec("CN=backend.example.test") { Ca = false, Dns = ["backend.example.test"], Digest = "SHA1" }, _intermediate);
        Assert.IsTrue(Validate([sha1Leaf, _intermediate], Store(_root)).Trusted, "SHA1 is only disabled under jdkCA");
        var openssl = Validate([sha1Leaf, _intermediate], Store(_root), profile: ClientProfile.OpenSsl);
        Assert.AreEqual("CA signature digest algorithm too weak", openssl.ClientMessage);
        Assert.IsTrue(Validate([sha1Leaf, _intermediate], Store(_root)).Quality.Weak.Count > 0);
    }

    [TestMethod]
    public void UnparsableLeafIsAResultNotAnException()
    {
        var v = ChainValidator.Validate(new ValidationRequest([[0x30, 0x03, 0x02, 0x01]], Store(_root), "x", Now));
        Assert.IsFalse(v.Trusted);
        Assert.IsFalse(v.Sent[0].IsParsed);
        Assert.AreEqual(CauseCode.ClientRejectedCertificate, v.Findings[0].Code);
        var empty = ChainValidator.Validate(new ValidationRequest([], Store(_root), "x", Now));
        Assert.IsFalse(empty.Trusted);
    }

    [TestMethod]
    public void ManySameNamedCertificatesHitTheSearchLimit()
    {
        // Twelve CA certificates, same name and same key, each issued by the last: every one verifies every other,
        // so the number of paths is factorial. The search must stop at its limits and say so.
        var keys = EcKey();
        var loopRoot = Issue(new CertSpec("CN=Loop CA") { Ca = true }, null, keys);
        var copies = Enumerable.Range(0, 12).Select(_ => Issue(new CertSpec("CN=Loop CA") { Ca = true }, loopRoot, keys)).ToArray();
        var leaf = Leaf(loopRoot);
        var v = Validate([leaf, .. copies], Store(_root));
        Assert.IsFalse(v.Trusted);
        Assert.IsTrue(v.Explanation.Notes.Any(n => n.Contains($"stopped after {PathSearch.MaxNodes} candidates", StringComparison.Ordinal)));
        Assert.IsTrue(CountNodes(v.Explanation.Root!) <= PathSearch.MaxNodes + PathSearch.MaxDepth * 13);
    }

    private static int CountNodes(PathNode n) => 1 + n.Attempts.Where(a => a.Continuation is not null).Sum(a => CountNodes(a.Continuation!));

    [TestMethod]
    public void HostNameMismatchAfterAValidPath()
    {
        var v = Validate([_leaf, _intermediate], Store(_root), host: "other.example.test");
        Assert.IsFalse(v.Trusted);
        Assert.IsNotNull(v.Path, "the path itself is valid");
        Assert.AreEqual("No subject alternative DNS name matching other.example.test found.", v.ClientMessage);
        Assert.AreEqual((byte)46, v.PredictedAlert);
        Assert.AreEqual(CauseCode.HostnameMismatch, v.Findings.Single().Code);
        var openssl = Validate([_leaf, _intermediate], Store(_root), host: "other.example.test", profile: ClientProfile.OpenSsl);
        Assert.AreEqual("hostname mismatch", openssl.ClientMessage);
        Assert.AreEqual((byte)42, openssl.PredictedAlert);
    }

    [TestMethod]
    public void PathFailureComesBeforeTheHostNameButBothAreReported()
    {
        var v = Validate([_leaf], Store(_root), host: "other.example.test");
        Assert.AreEqual(NoPath, v.ClientMessage);
        CollectionAssert.AreEqual(new[] { CauseCode.IncompleteChain, CauseCode.HostnameMismatch }, v.Findings.Select(f => f.Code).ToArray());
    }

    [TestMethod]
    public void CurlAcceptsATrustedIntermediateAndChecksTheNameWithoutAnAlert()
    {
        Assert.IsTrue(Validate([_leaf, _intermediate], Store(_intermediate), profile: ClientProfile.Curl).Trusted, "curl sets partial-chain");
        var missing = Validate([_leaf, _intermediate], Store(Root("Unrelated Root")), profile: ClientProfile.Curl);
        Assert.AreEqual("curl: (60) SSL certificate problem: unable to get local issuer certificate", missing.ClientMessage);
        Assert.AreEqual((byte)48, missing.PredictedAlert);
        var name = Validate([_leaf, _intermediate], Store(_root), host: "other.example.test", profile: ClientProfile.Curl);
        Assert.AreEqual("curl: (60) SSL: no alternative certificate subject name matches target host name 'other.example.test'", name.ClientMessage);
        Assert.IsNull(name.PredictedAlert, "curl closes with close_notify after a name mismatch");
        Assert.AreEqual(CauseCode.HostnameMismatch, name.Findings.Single().Code);
    }

    [TestMethod]
    public void CauseCodesRoundTrip()
    {
        Assert.AreEqual("truststore-missing-anchor", CauseCode.TruststoreMissingAnchor.ToCode());
        Assert.AreEqual("not-tls", CauseCode.NotTls.ToCode());
        foreach (var c in Enum.GetValues<CauseCode>())
        {
            Assert.IsTrue(CauseCodes.TryParse(c.ToCode(), out var back));
            Assert.AreEqual(c, back);
        }
        Assert.IsFalse(CauseCodes.TryParse("no-such-cause", out _));
    }
}
