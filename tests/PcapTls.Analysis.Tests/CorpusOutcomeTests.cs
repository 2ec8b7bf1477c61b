using PcapTls.Validation;

namespace PcapTls.Analysis.Tests;

/// <summary>
/// The analyzer's answer on every capture of the corpus equals what the manifest expects: the outcome and the
/// set of cause codes, for each client, TLS version, link type and file format.
/// </summary>
[TestClass]
public sealed class CorpusOutcomeTests
{
    public static IEnumerable<object[]> Captures => CorpusManifest.All;

    [TestMethod]
    public void ManifestIsPresent()
    {
        Assert.IsTrue(CorpusManifest.Entries.Count >= 40, $"captures/manifest.json lists {CorpusManifest.Entries.Count} captures");
    }

    [TestMethod]
    [DynamicData(nameof(Captures))]
    public void OutcomeAndCausesMatchTheManifest(string file)
    {
        var entry = CorpusManifest.Get(file);
        var report = CorpusRun.Analyze(entry, withKeys: true);
        var handshake = CorpusRun.SingleHandshake(report, entry);
        Assert.AreEqual(entry.ExpectedOutcome, handshake.Outcome.ToCode(), Describe(handshake));
        CollectionAssert.AreEquivalent(entry.ExpectedCauses.ToList(), handshake.Causes.Select(c => c.Code.ToCode()).Distinct().ToList(), Describe(handshake));
    }

    /// <summary>With the server's key log, the alert a TLS 1.3 client sent (encrypted for Java) decrypts to the
    /// description the real client sent (46 certificate_unknown, 80 internal_error, ...).</summary>
    [TestMethod]
    [DynamicData(nameof(Captures))]
    public void ClientAlertIsTheOneTheClientSent(string file)
    {
        var entry = CorpusManifest.Get(file);
        if (entry.ClientAlert is not { } sent || entry.KeyLog is null || entry.Variant == "snaplen96")
        {
            return;
        }
        var handshake = CorpusRun.SingleHandshake(CorpusRun.Analyze(entry, withKeys: true), entry);
        var alert = handshake.Alerts.FirstOrDefault(a => a.From == Peer.Client && a.Code is not null && a.Code != 0);
        Assert.IsNotNull(alert, Describe(handshake));
        Assert.AreEqual(sent, alert.Code, Describe(handshake));
        if (entry.TlsVersion == "1.3" && entry.Client == "java")
        {
            Assert.IsTrue(alert.Encrypted, "Java's TLS 1.3 alert travels encrypted and was decrypted with the key log");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Captures))]
    public void WithoutKeysTls13FailuresAreToldApartFromSuccesses(string file)
    {
        var entry = CorpusManifest.Get(file);
        if (entry.ExpectedOutcomeWithoutKeys is null)
        {
            return;
        }
        var report = CorpusRun.Analyze(entry, withKeys: false);
        var handshake = CorpusRun.SingleHandshake(report, entry);
        Assert.AreEqual(entry.ExpectedOutcomeWithoutKeys, handshake.Outcome.ToCode(), Describe(handshake));
        CollectionAssert.AreEquivalent(entry.ExpectedCausesWithoutKeys!.ToList(), handshake.Causes.Select(c => c.Code.ToCode()).Distinct().ToList(), Describe(handshake));
    }

    internal static string Describe(HandshakeReport h)
        => $"{h.Outcome.ToCode()} ({h.OutcomeDetail}); causes: {string.Join(" / ", h.Causes.Select(c => $"{c.Code.ToCode()}: {c.Summary} [{c.Evidence}]"))}; ladder: {string.Join(" | ", h.Ladder.Select(s => $"#{s.Packet} {s.From.ToCode()} {s.What}"))}";
}

internal static class CorpusRun
{
    public static AnalysisReport Analyze(CorpusEntry entry, bool withKeys)
    {
        var options = new AnalysisOptions
        {
            TrustStore = entry.TrustStorePem is { } pem ? LoadTrustStore(Testing.RepoPaths.Capture(pem)) : null,
            Host = entry.Host,
            Profile = entry.Client switch { "java" => ClientProfile.Java, "curl" => ClientProfile.Curl, _ => ClientProfile.OpenSsl },
            AllowPartialChain = entry.Client == "curl",
            Decryptors = withKeys && entry.KeyLog is { } k ? KeyLogDecryptors.Load(Testing.RepoPaths.Capture(k)) : null,
        };
        return CaptureAnalyzer.AnalyzeFile(entry.Path, options);
    }

    public static HandshakeReport SingleHandshake(AnalysisReport report, CorpusEntry entry)
    {
        Assert.AreEqual(1, report.Handshakes.Count, $"{entry.File}: expected one handshake, found {report.Handshakes.Count}");
        return report.Handshakes[0];
    }

    private static TrustStore LoadTrustStore(string path)
    {
        var text = File.Exists(path) ? File.ReadAllText(path) : "";
        return text.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal)
            ? TrustStore.Load(path)
            : TrustStore.FromCertificates(path, []);
    }
}
