using System.Diagnostics;
using PcapTls.Reporting.Wording;
using PcapTls.Support.Apigee;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Support.Tests;

/// <summary>
/// The management API's truststore listing against a real chain (the corpus's openssl-made PKI: backend.pcaptls.test
/// issued by the intermediate, issued by the root). Trust is proven by fingerprint or key only: certificates with the
/// chain's very names but other keys (captures/pki/impostor-*.pem, made by openssl with their own keys) are look-alikes.
/// </summary>
[TestClass]
public sealed class TruststoreListingComparisonTests
{
    private const string Host = "backend.pcaptls.test";
    private static readonly DateTimeOffset At = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public TestContext TestContext { get; set; } = null!;

    private static CertificateInfo Pki(string name) => CertificateInfo.Parse(CertificateFile.PemBlocks(File.ReadAllBytes(RepoPaths.Capture($"pki/{name}.pem")))[0].Der);

    private static byte[][] Chain(params string[] names) => [.. names.Select(n => Pki(n).Der)];

    /// <summary>A listing folder as the management API's calls give it: certs.json, NAME.json and, when exported, NAME.pem.</summary>
    private string Listing(params (string Entry, CertificateInfo Cert, bool Exported)[] entries)
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("pcaptls-listing-").FullName, "myCompanyTruststore");
        Directory.CreateDirectory(dir);
        TestContext.Properties["dir"] = Path.GetDirectoryName(dir);
        File.WriteAllText(Path.Combine(dir, "certs.json"), "[" + string.Join(",", entries.Select(e => $"\"{e.Entry}\"")) + "]");
        foreach (var (entry, cert, exported) in entries)
        {
            File.WriteAllText(Path.Combine(dir, entry + ".json"), SampleCorpus.CertJson(entry, cert));
            if (exported)
            {
                File.WriteAllText(Path.Combine(dir, entry + ".pem"), cert.ToPem());
            }
        }
        return dir;
    }

    [TestCleanup]
    public void Cleanup()
    {
        if (TestContext.Properties.TryGetValue("dir", out var value) && value is string dir && Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static ListingComparison Compare(string listing, params string[] chain) =>
        TruststoreListingComparer.Compare(1, Chain(chain), TruststoreListing.Load(listing), Host, At, 0x0303);

    [TestMethod]
    public void TheRealRootExportedIsTheIssuerByKeyAndProvesTrust()
    {
        var c = Compare(Listing(("root", Pki("root"), true)), "backend", "intermediate");
        var m = c.Matches.Single();
        Assert.AreEqual(ListingMatch.IssuerProven, m.Match);
        Assert.AreEqual(1, m.ChainIndex, "the root signed the intermediate, [1]");
        Assert.IsTrue(m.IsProven);
        Assert.IsTrue(c.ProvenByKey, c.ExportedVerdict?.ClientMessage);
        Assert.AreEqual("issuer-by-key", m.Match.ListingMatchCode());
    }

    [TestMethod]
    public void ARootWithTheRealRootsNameButAnotherKeyIsALookAlike()
    {
        var impostor = Pki("impostor-root");
        Assert.AreEqual(Pki("root").Subject, impostor.Subject, "the corpus's impostor has the real root's exact subject");
        Assert.AreNotEqual(Pki("root").SpkiSha256Hex, impostor.SpkiSha256Hex);

        var c = Compare(Listing(("pcaptls-test-root-ca", impostor, true)), "backend", "intermediate");
        var m = c.Matches.Single();
        Assert.AreEqual(ListingMatch.IssuerLookAlike, m.Match);
        Assert.IsFalse(m.IsProven);
        Assert.IsFalse(c.ProvenByKey);
        Assert.IsFalse(c.ExportedVerdict!.Trusted);
        StringAssert.Contains(SupportWording.ListingMatchText(m, "s", "i"), "look-alike");
    }

    [TestMethod]
    public void AnIntermediateWithTheSentIntermediatesNamesButAnotherKeyIsALookAlike()
    {
        // impostor-intermediate: subject = the intermediate's, issuer = the (impostor) root's name = the real root's name.
        var impostor = Pki("impostor-intermediate");
        var real = Pki("intermediate");
        Assert.AreEqual(real.Subject, impostor.Subject);
        Assert.AreEqual(real.Issuer, impostor.Issuer);

        var c = Compare(Listing(("intermediate", impostor, true)), "backend", "intermediate");
        var m = c.Matches.Single();
        Assert.AreEqual(ListingMatch.LookAlike, m.Match);
        Assert.AreEqual(1, m.ChainIndex);
        Assert.IsFalse(c.ProvenByKey);
        Assert.AreEqual("look-alike", m.Match.ListingMatchCode());
    }

    [TestMethod]
    public void ARootSentByTheServerAndALookAlikeInTheTruststore()
    {
        var c = Compare(Listing(("root", Pki("impostor-root"), true)), "backend", "intermediate", "root");
        var m = c.Matches.Single();
        Assert.AreEqual(ListingMatch.LookAlike, m.Match);
        Assert.AreEqual(2, m.ChainIndex, "the sent root, [2], has the same names and another key");
        Assert.IsFalse(c.ProvenByKey);
    }

    [TestMethod]
    public void TheSentIntermediateExportedIsTheSameCertificateAndJavaAnchorsOnIt()
    {
        var c = Compare(Listing(("intermediate", Pki("intermediate"), true)), "backend", "intermediate");
        Assert.AreEqual(ListingMatch.SameCertificateProven, c.Matches.Single().Match);
        Assert.IsTrue(c.ProvenByKey, "Java takes any trusted certificate as an anchor");
    }

    [TestMethod]
    public void JsonNamesNeverProveTrustAndCannotTellTheRealRootFromItsLookAlike()
    {
        var real = Compare(Listing(("root", Pki("root"), false)), "backend", "intermediate");
        Cleanup();
        var fake = Compare(Listing(("root", Pki("impostor-root"), false)), "backend", "intermediate");
        foreach (var c in new[] { real, fake })
        {
            var m = c.Matches.Single();
            Assert.AreEqual(ListingMatch.IssuerNameOnly, m.Match);
            Assert.IsFalse(m.IsProven);
            Assert.IsNull(c.ExportedVerdict);
            Assert.IsFalse(c.ProvenByKey);
            Assert.AreEqual("root", c.JsonOnlyEntries.Single().Name, "the export call is offered for it");
        }
    }

    [TestMethod]
    public void JsonWithASentCertificatesNamesAndSerialIsStillNotProof()
    {
        var c = Compare(Listing(("intermediate", Pki("intermediate"), false)), "backend", "intermediate");
        var m = c.Matches.Single();
        Assert.AreEqual(ListingMatch.NamesAndSerialOnly, m.Match);
        Assert.IsFalse(m.IsProven);
        Assert.IsFalse(c.ProvenByKey);
    }

    [TestMethod]
    public void AnUnrelatedRootMatchesNothing()
    {
        var c = Compare(Listing(("unrelated", Pki("unrelated-root"), true)), "backend", "intermediate");
        Assert.AreEqual(0, c.Matches.Count);
        Assert.IsFalse(c.ProvenByKey);
    }

    [TestMethod]
    public void ARootReissuedWithTheSameKeyIsProvenByTheKey()
    {
        // openssl re-issues the root: same subject and key, another serial and validity, so another fingerprint.
        var openssl = Requires.Tool("openssl");
        var dir = Directory.CreateTempSubdirectory("pcaptls-reissue-").FullName;
        try
        {
            var req = Path.Combine(dir, "root.csr");
            var pem = Path.Combine(dir, "root2.pem");
            var key = RepoPaths.Capture("pki/keys/root.key");
            Run(openssl, "x509", "-x509toreq", "-in", RepoPaths.Capture("pki/root.pem"), "-signkey", key, "-out", req);
            Run(openssl, "x509", "-req", "-in", req, "-signkey", key, "-days", "7300", "-set_serial", "4242", "-copy_extensions", "copy", "-out", pem);
            var reissued = CertificateInfo.Parse(CertificateFile.PemBlocks(File.ReadAllBytes(pem))[0].Der);
            Assert.AreNotEqual(Pki("root").Sha256Hex, reissued.Sha256Hex);
            Assert.AreEqual(Pki("root").SpkiSha256Hex, reissued.SpkiSha256Hex);

            var c = Compare(Listing(("root", reissued, true)), "backend", "intermediate", "root");
            var m = c.Matches.Single();
            Assert.AreEqual(ListingMatch.SameKeyProven, m.Match);
            Assert.AreEqual(2, m.ChainIndex);
            Assert.IsTrue(m.IsProven);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void AJsonThatDescribesAnotherCertificateThanItsPemIsAProblem()
    {
        var dir = Listing(("root", Pki("root"), true));
        File.WriteAllText(Path.Combine(dir, "root.json"), SampleCorpus.CertJson("root", Pki("impostor-root")));
        var listing = TruststoreListing.Load(dir);
        StringAssert.Contains(listing.Problems.Single().Problem, "another certificate");
    }

    [TestMethod]
    public void AListingThatIsNotUtf8IsReadWithTheBadBytesReplacedAndSaidSo()
    {
        var dir = Listing();
        // "Soci\xe9t\xe9" as a Latin-1 editor saves it: not UTF-8.
        var json = System.Text.Encoding.Latin1.GetBytes("{\"certName\":\"root\",\"certInfo\":[{\"subject\":\"CN=Soci\u00e9t\u00e9 Root\",\"serialNumber\":\"1\"}]}");
        File.WriteAllBytes(Path.Combine(dir, "root.json"), json);
        var listing = TruststoreListing.Load(dir);
        Assert.AreEqual("CN=Soci\uFFFDt\uFFFD Root", listing.Entries.Single().Infos.Single().Subject);
        StringAssert.Contains(listing.Problems.Single().Problem, "not UTF-8");
    }

    private static void Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.AreEqual(0, p.ExitCode, $"{exe} {string.Join(' ', args)}: {err.Result}");
    }
}
