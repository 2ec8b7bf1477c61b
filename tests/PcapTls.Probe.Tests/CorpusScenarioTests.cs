using System.Text.Json;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Probe.Tests;

/// <summary>
/// The acceptance check of issue 5: for every corpus scenario whose cause lies in the server's chain or the
/// truststore, an <c>openssl s_server</c> configured as <c>tools/make-captures</c> configures it is probed with the
/// Java client's truststore and host, and the probe must report the causes the manifest expects of the Java
/// client's capture of the same scenario.
/// </summary>
[TestClass]
public sealed class CorpusScenarioTests
{
    private const string Password = "changeit";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    // Fixed, inside the corpus certificates' 2024-2045 window and between the expired (2020-2021) and
    // not-yet-valid (2040-2041) leaves, so the verdicts never depend on the day the tests run.
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    public TestContext TestContext { get; set; } = null!;

    /// <summary>How tools/make-captures sets up one scenario (server certificate, chain, client truststore and host)
    /// and the Java client's expected causes as tools/make-captures.d/manifest.py declares them.</summary>
    internal sealed record Scenario(string Name, string Certificate, bool SendsIntermediate, string TrustStore, string Host, string[] JavaCauses);

    internal static readonly Scenario[] Scenarios =
    [
        new("ok", "backend", true, "root", "backend.pcaptls.test", []),
        new("untrusted-root", "backend", true, "unrelated-root", "backend.pcaptls.test", ["truststore-missing-anchor"]),
        new("impostor-root", "backend", true, "impostor-root", "backend.pcaptls.test", ["truststore-missing-anchor"]),
        new("leaf-only", "backend", false, "root", "backend.pcaptls.test", ["incomplete-chain"]),
        new("wrong-host", "other", true, "root", "backend.pcaptls.test", ["hostname-mismatch"]),
        new("cn-only", "cn-only", true, "root", "backend.pcaptls.test", []),
        new("ip-literal", "backend", true, "root", "127.0.0.1", ["hostname-mismatch"]),
        new("expired", "expired", true, "root", "backend.pcaptls.test", ["certificate-expired"]),
        new("not-yet-valid", "not-yet-valid", true, "root", "backend.pcaptls.test", ["certificate-not-yet-valid"]),
        new("intermediate-only", "backend", true, "intermediate-only", "backend.pcaptls.test", []),
        new("empty-truststore", "backend", true, "empty", "backend.pcaptls.test", ["truststore-empty"]),
    ];

    public static IEnumerable<object[]> Cases =>
        from s in Scenarios
        from v in new[] { "1.2", "1.3" }
        select new object[] { s.Name, v };

    private static string Pki(string file) => RepoPaths.Capture(Path.Combine("pki", file));

    private static string ManifestPath => RepoPaths.Capture("manifest.json");

    /// <summary>The manifest's entry for the Java client's base capture of a scenario, or null when the corpus
    /// has no manifest (yet).</summary>
    private static JsonElement? ManifestEntry(string scenario, string tlsVersion)
    {
        if (!File.Exists(ManifestPath))
        {
            return null;
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(ManifestPath));
        foreach (var e in doc.RootElement.GetProperty("captures").EnumerateArray())
        {
            if (e.GetProperty("client").GetString() == "java" && e.GetProperty("variant").GetString() == "base"
                && e.GetProperty("scenario").GetString() == scenario && e.GetProperty("tlsVersion").GetString() == tlsVersion)
            {
                return e.Clone();
            }
        }
        Assert.Fail($"{ManifestPath} has no java/base entry for {scenario} TLS {tlsVersion}");
        return null;
    }

    private static string[] ExpectedCauses(Scenario s, string tlsVersion) =>
        ManifestEntry(s.Name, tlsVersion) is { } e
            ? e.GetProperty("expected").GetProperty("causes").EnumerateArray().Select(c => c.GetString()!).ToArray()
            : s.JavaCauses;

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task ProbeReportsTheCausesOfTheJavaCapture(string scenarioName, string tlsVersion)
    {
        var openssl = Requires.Tool("openssl");
        var s = Scenarios.Single(x => x.Name == scenarioName);
        if (!File.Exists(Pki(s.Certificate + ".pem")))
        {
            Assert.Inconclusive($"skipped: the corpus PKI ({Pki(s.Certificate + ".pem")}) is missing; run tools/make-captures");
        }
        string[] serverArgs =
        [
            tlsVersion == "1.2" ? "-tls1_2" : "-tls1_3",
            "-cert", Pki(s.Certificate + ".pem"), "-key", Pki(Path.Combine("keys", s.Certificate + ".key")),
            .. s.SendsIntermediate ? new[] { "-cert_chain", Pki("intermediate-chain.pem") } : [],
        ];
        using var server = new OpenSslServer(openssl, serverArgs);
        var store = TrustStore.Load(RepoPaths.Capture(Path.Combine("truststores", s.TrustStore + ".jks")), Password);
        var options = new ProbeOptions
        {
            HostName = s.Host,
            TrustStore = store,
            Versions = tlsVersion == "1.2" ? TlsVersionChoice.Tls12 : TlsVersionChoice.Tls13,
            Timeout = Timeout,
            At = At,
        };

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", server.Port), options, TestContext.CancellationToken);

        var serverOutput = server.Stop();
        TestContext.WriteLine(serverOutput);
        var report = new StringWriter();
        ProbeReport.WriteConsole(result, report);
        TestContext.WriteLine(report.ToString());
        Assert.IsNull(result.Probe.Error, result.Probe.Error);
        Assert.AreEqual("TLS " + tlsVersion, result.Probe.NegotiatedVersion);
        // The chain exactly as s_server sends it: the leaf, then the intermediate unless leaf-only.
        string[] sent = [s.Certificate + ".pem", .. s.SendsIntermediate ? new[] { "intermediate.pem" } : []];
        Assert.HasCount(sent.Length, result.Chain);
        for (var i = 0; i < sent.Length; i++)
        {
            var der = TestPki.Der(Pki(sent[i]));
            CollectionAssert.AreEqual(der, result.Chain[i].Der, "certificate #" + (i + 1));
            Assert.AreEqual(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(der)), result.Chain[i].Sha256Hex, "certificate #" + (i + 1));
        }
        // No IP literal in the SNI (RFC 6066), the host name otherwise.
        Assert.AreEqual(s.Host == "127.0.0.1" ? null : s.Host, result.Sni);
        var expected = ExpectedCauses(s, tlsVersion);
        CollectionAssert.AreEqual(expected, result.CauseCodes.Select(c => c.ToCode()).ToArray(),
            $"expected [{string.Join(", ", expected)}], got [{string.Join(", ", result.CauseCodes.Select(c => c.ToCode()))}]");
        Assert.AreEqual(expected.Length == 0 ? ProbeOutcome.Trusted : ProbeOutcome.NotTrusted, result.Outcome);
        Assert.DoesNotContain("CIPHER is", serverOutput, "s_server prints 'CIPHER is' only after a completed handshake");
    }

    [TestMethod]
    public void TheScenarioTableAgreesWithTheManifest()
    {
        if (!File.Exists(ManifestPath))
        {
            Assert.Inconclusive($"skipped: {ManifestPath} does not exist yet (tools/make-captures writes it)");
        }
        foreach (var s in Scenarios)
        {
            foreach (var v in new[] { "1.2", "1.3" })
            {
                var e = ManifestEntry(s.Name, v)!.Value;
                var what = $"{s.Name} TLS {v}";
                Assert.AreEqual(s.Host, e.GetProperty("host").GetString(), what);
                Assert.AreEqual($"truststores/{s.TrustStore}.jks", e.GetProperty("truststore").GetProperty("jks").GetString(), what);
                string[] chain = [$"pki/{s.Certificate}.pem", .. s.SendsIntermediate ? new[] { "pki/intermediate.pem" } : []];
                CollectionAssert.AreEqual(chain, e.GetProperty("serverChain").EnumerateArray().Select(x => x.GetString()).ToArray(), what);
                CollectionAssert.AreEqual(s.JavaCauses, e.GetProperty("expected").GetProperty("causes").EnumerateArray().Select(x => x.GetString()).ToArray(), what);
            }
        }
    }
}
