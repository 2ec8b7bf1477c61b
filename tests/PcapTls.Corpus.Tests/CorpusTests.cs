using System.Security.Cryptography.X509Certificates;
using PcapTls.Testing;

namespace PcapTls.Corpus.Tests;

/// <summary>
/// Checks captures/ against captures/manifest.json: every capture is there and is what the manifest says,
/// every scenario x TLS version x client combination exists, and the expectations use the closed vocabulary.
/// </summary>
[TestClass]
public sealed class CorpusTests
{
    public static readonly string[] Scenarios =
    [
        "ok", "untrusted-root", "impostor-root", "leaf-only", "wrong-host", "cn-only", "cn-only-other", "ip-literal",
        "expired", "not-yet-valid", "intermediate-only", "empty-truststore", "mtls-no-client-cert",
        "mtls-untrusted-client-cert", "server-rejects-hello", "plain-http",
    ];

    public static readonly string[] Clients = ["java", "openssl", "curl"];

    public static readonly string[] Versions = ["1.2", "1.3"];

    /// <summary>Combinations left out on purpose (each with its reason in the manifest).</summary>
    private static readonly (string Version, string Scenario, string Client)[] DocumentedExclusions =
    [
        ("1.2", "empty-truststore", "curl"),
        ("1.3", "empty-truststore", "curl"),
    ];

    private static readonly string[] VariantBases =
    [
        "tls12/java/ok.pcap", "tls13/java/ok.pcap", "tls12/java/untrusted-root.pcap",
        "tls13/java/untrusted-root.pcap", "tls12/openssl/untrusted-root.pcap",
    ];

    private static readonly string[] Variants = ["pcapng", "nanosecond", "sll2", "sll", "ipv6", "gzip", "snaplen96"];

    private static readonly HashSet<string> Outcomes = ["completed", "failed", "incomplete", "not-tls"];

    private static readonly HashSet<string> Causes =
    [
        "truststore-missing-anchor", "hostname-mismatch", "incomplete-chain", "certificate-expired",
        "certificate-not-yet-valid", "truststore-empty", "client-certificate-missing", "client-certificate-rejected",
        "server-rejected-hello", "not-tls", "certificate-not-visible", "capture-incomplete",
    ];

    private static CorpusManifest Manifest => CorpusManifest.Load();

    [TestMethod]
    public void ManifestNamesItsGeneratorAndTools()
    {
        Assert.AreEqual(1, Manifest.Version);
        Assert.AreEqual("tools/make-captures", Manifest.GeneratedBy);
        foreach (var tool in new[] { "openssl", "java", "curl", "tcpdump" })
        {
            Assert.IsTrue(Manifest.Tools.TryGetValue(tool, out var version) && version.Length > 0, tool);
        }
        CollectionAssert.AllItemsAreUnique(Manifest.Captures.Select(c => c.File).ToList());
    }

    [TestMethod]
    public void EveryListedCaptureExists()
    {
        var missing = Manifest.Captures.Where(c => !File.Exists(RepoPaths.Capture(c.File))).Select(c => c.File).ToList();
        Assert.AreEqual(0, missing.Count, "missing: " + string.Join(", ", missing));
    }

    [TestMethod]
    public void EveryCaptureOnDiskIsListed()
    {
        var listed = Manifest.Captures.Select(c => c.File).ToHashSet();
        var onDisk = Directory.EnumerateFiles(RepoPaths.Captures, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepoPaths.Captures, f).Replace('\\', '/'))
            .Where(f => f.EndsWith(".pcap", StringComparison.Ordinal) || f.EndsWith(".pcapng", StringComparison.Ordinal)
                        || f.EndsWith(".pcap.gz", StringComparison.Ordinal))
            .Where(f => !listed.Contains(f))
            // captures/patterns/ has its own README and tests (PatternCaptureTests), not the generated manifest.
            .Where(f => !f.StartsWith("patterns/", StringComparison.Ordinal))
            // preambles/ has its own generator and test (PreambleCaptureTests).
            .Where(f => !f.StartsWith("preambles/", StringComparison.Ordinal))
            // tunnels/ (tools/make-tunnel-captures, TunnelCaptureTests) and arkime/ (copied, with tshark's view in
            // its own EXPECTED.json, ArkimeCaptureTests) likewise.
            .Where(f => !f.StartsWith("tunnels/", StringComparison.Ordinal) && !f.StartsWith("arkime/", StringComparison.Ordinal))
            // hostile/ (tools/make-hostile-captures) feeds the report tests (tests/PcapTls.Reporting.Tests).
            .Where(f => !f.StartsWith("hostile/", StringComparison.Ordinal))
            .ToList();
        Assert.AreEqual(0, onDisk.Count, "not in the manifest: " + string.Join(", ", onDisk));
    }

    [TestMethod]
    public void CorpusStaysUnderItsSizeBudget()
    {
        const long MaxCorpusBytes = 5L * 1024 * 1024;
        var total = Directory.EnumerateFiles(RepoPaths.Captures, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.IsLessThan(MaxCorpusBytes, total, $"captures/ holds {total} bytes");
    }

    [TestMethod]
    public void EveryCaptureHasTheFormatLinkTypeAndSnapLengthTheManifestStates()
    {
        foreach (var c in Manifest.Captures)
        {
            var header = CaptureFileHeader.Read(RepoPaths.Capture(c.File));
            Assert.IsNotNull(header, $"{c.File}: not a pcap, pcapng or gzip-compressed pcap");
            var h = header.Value;
            var expectedFormat = c.Format == "pcap.gz" ? "pcap" : c.Format;
            Assert.AreEqual(expectedFormat, h.Format, c.File);
            Assert.AreEqual(c.Format == "pcap.gz", h.Gzip, c.File);
            var linkType = c.LinkType switch
            {
                "ethernet" => 1u,
                "linux_sll" => 113u,
                "linux_sll2" => 276u,
                _ => throw new AssertFailedException($"{c.File}: unknown link type {c.LinkType}"),
            };
            Assert.AreEqual(linkType, h.LinkType, c.File);
            if (c.Variant == "snaplen96")
            {
                Assert.AreEqual(96u, h.SnapLength, c.File);
            }
            else
            {
                Assert.IsGreaterThanOrEqualTo(65535u, h.SnapLength, c.File);
            }
        }
    }

    [TestMethod]
    public void EveryScenarioVersionAndClientCombinationIsPresentUnlessDocumented()
    {
        var present = Manifest.Base.Select(c => (c.TlsVersion, c.Scenario, c.Client)).ToList();
        CollectionAssert.AllItemsAreUnique(present);
        var excluded = Manifest.Exclusions.Select(e => (e.TlsVersion, e.Scenario, e.Client)).ToHashSet();
        CollectionAssert.AreEquivalent(DocumentedExclusions, excluded.ToList());
        foreach (var e in Manifest.Exclusions)
        {
            Assert.IsFalse(string.IsNullOrWhiteSpace(e.Reason), $"{e}: no reason");
        }
        foreach (var v in Versions)
        {
            foreach (var s in Scenarios)
            {
                foreach (var cl in Clients)
                {
                    var combo = (v, s, cl);
                    Assert.AreNotEqual(excluded.Contains(combo), present.Contains(combo), $"TLS {v} {s} {cl}");
                }
            }
        }
        Assert.AreEqual(Versions.Length * Scenarios.Length * Clients.Length - DocumentedExclusions.Length, present.Count);
    }

    [TestMethod]
    public void BaseCapturesFollowTheLayout()
    {
        foreach (var c in Manifest.Base)
        {
            var dir = c.TlsVersion == "1.2" ? "tls12" : "tls13";
            Assert.AreEqual($"{dir}/{c.Client}/{c.Scenario}.pcap", c.File);
            Assert.AreEqual("pcap", c.Format, c.File);
            Assert.AreEqual("ethernet", c.LinkType, c.File);
        }
    }

    [TestMethod]
    public void EveryVariantOfTheVariantBasesIsPresent()
    {
        foreach (var b in VariantBases)
        {
            var baseEntry = Manifest.Captures.Single(c => c.File == b);
            foreach (var v in Variants)
            {
                var variant = Manifest.Captures.SingleOrDefault(c => c.Variant == v && c.Scenario == baseEntry.Scenario
                    && c.Client == baseEntry.Client && c.TlsVersion == baseEntry.TlsVersion);
                Assert.IsNotNull(variant, $"{b}: no {v} variant");
                Assert.AreEqual(baseEntry.Host, variant.Host, variant.File);
                Assert.AreEqual(baseEntry.ClientResult.AlertsSent.Count, variant.ClientResult.AlertsSent.Count, variant.File);
                if (v == "ipv6")
                {
                    StringAssert.StartsWith(variant.Server, "[::1]:");
                }
                else
                {
                    // The same connection as the base, so the same endpoints.
                    Assert.AreEqual(baseEntry.ClientEndpoint, variant.ClientEndpoint, variant.File);
                }
            }
        }
    }

    [TestMethod]
    public void TruststoreKeylogCertificateAndChainFilesExist()
    {
        foreach (var c in Manifest.Captures)
        {
            var files = new List<string?> { c.Keylog, c.ClientKeylog, c.ClientCertificate };
            files.AddRange(c.ServerChain);
            if (c.Truststore is { } t)
            {
                files.AddRange([t.Pem, t.Jks, t.Pkcs12]);
                Assert.AreEqual("changeit", t.Password, c.File);
            }
            foreach (var f in files.OfType<string>())
            {
                Assert.IsTrue(File.Exists(RepoPaths.Capture(f)), $"{c.File}: {f} is missing");
            }
            Assert.AreEqual(c.Keylog is null ? null : "server", c.KeylogSide, c.File);
            if (c.Keylog is not null)
            {
                Assert.AreEqual(c.File + ".keys", c.Keylog);
            }
        }
    }

    [TestMethod]
    public void TlsServersWriteAKeyLogForEveryConnection()
    {
        foreach (var c in Manifest.Captures.Where(c => c.Scenario != "plain-http"))
        {
            Assert.IsNotNull(c.Keylog, c.File);
            var text = File.ReadAllText(RepoPaths.Capture(c.Keylog));
            // TLS 1.3 servers log the handshake secrets once the ServerHello is out (a rejected hello never gets
            // that far); TLS 1.2 servers log the master secret (CLIENT_RANDOM) only for a finished handshake.
            if (c.TlsVersion == "1.3" && c.Scenario != "server-rejects-hello")
            {
                StringAssert.Contains(text, "SERVER_HANDSHAKE_TRAFFIC_SECRET ", c.File);
            }
            if (c.TlsVersion == "1.2" && c.ClientResult.ExitCode == 0)
            {
                StringAssert.Contains(text, "CLIENT_RANDOM ", c.File);
            }
        }
    }

    [TestMethod]
    public void ExpectationsUseTheClosedVocabulary()
    {
        foreach (var c in Manifest.Captures)
        {
            var expectations = new List<(string Name, Expectation E)> { ("expected", c.Expected) };
            if (c.ExpectedWithoutKeys is { } w)
            {
                expectations.Add(("expectedWithoutKeys", w));
            }
            foreach (var (name, e) in expectations)
            {
                Assert.Contains(e.Outcome, Outcomes, $"{c.File} {name}");
                foreach (var cause in e.Causes)
                {
                    Assert.Contains(cause, Causes, $"{c.File} {name}");
                }
                // A completed handshake may carry a cause (completed, but the chain is not visible or not trusted).
                Assert.IsTrue(e.Outcome == "completed" || e.Causes.Count > 0, $"{c.File} {name}");
                Assert.AreEqual(c.Variant == "snaplen96", e.Causes.Contains("capture-incomplete"), $"{c.File} {name}");
            }
            Assert.DoesNotContain("certificate-not-visible", c.Expected.Causes, c.File);
            Assert.AreEqual(c.TlsVersion == "1.3", c.ExpectedWithoutKeys is not null, c.File);
        }
    }

    [TestMethod]
    public void ExpectationsAgreeWithWhatTheClientDid()
    {
        foreach (var c in Manifest.Captures)
        {
            var outcome = c.Expected.Outcome;
            if (outcome == "incomplete")
            {
                continue; // snaplen96: the capture cannot show the result; the base capture carries it.
            }
            Assert.AreEqual(outcome == "completed", c.ClientResult.ExitCode == 0,
                $"{c.File}: expected {outcome}, client exit {c.ClientResult.ExitCode}: {c.ClientResult.Message}");
        }
    }

    [TestMethod]
    public void TlsOneThreeCertificateFailuresCannotBeExplainedWithoutKeys()
    {
        // In TLS 1.3 the server's chain, the CertificateRequest and the client's Certificate are encrypted.
        var certificateCauses = new[]
        {
            "truststore-missing-anchor", "hostname-mismatch", "incomplete-chain", "certificate-expired",
            "certificate-not-yet-valid", "truststore-empty", "client-certificate-missing", "client-certificate-rejected",
        };
        foreach (var c in Manifest.Captures.Where(c => c.TlsVersion == "1.3" && c.Variant != "snaplen96"))
        {
            var withoutKeys = c.ExpectedWithoutKeys!;
            if (c.Expected.Causes.Any(certificateCauses.Contains))
            {
                // curl's late name check: the handshake completed on the wire, then curl closed without data.
                var lateNameCheck = c.Client == "curl" && c.Expected.Causes.SequenceEqual(["hostname-mismatch"]);
                Assert.AreEqual(lateNameCheck ? "completed" : "failed", withoutKeys.Outcome, c.File);
                CollectionAssert.AreEqual(new[] { "certificate-not-visible" }, withoutKeys.Causes, c.File);
            }
            else
            {
                // Success, a rejected hello (plaintext alert before any encryption) and plain HTTP look the same.
                Assert.AreEqual(c.Expected.Outcome, withoutKeys.Outcome, c.File);
                CollectionAssert.AreEqual(c.Expected.Causes, withoutKeys.Causes, c.File);
            }
        }
    }

    [TestMethod]
    [DataRow("tls12/java/untrusted-root.pcap", "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target", 46)]
    [DataRow("tls13/java/untrusted-root.pcap", "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target", 46)]
    [DataRow("tls12/java/wrong-host.pcap", "No subject alternative DNS name matching backend.pcaptls.test found.", 46)]
    [DataRow("tls12/java/cn-only-other.pcap", "No name matching backend.pcaptls.test found", 46)]
    [DataRow("tls12/java/ip-literal.pcap", "No subject alternative names matching IP address 127.0.0.1 found", 46)]
    [DataRow("tls12/java/expired.pcap", "PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed", 45)]
    [DataRow("tls13/java/expired.pcap", "PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed", 46)]
    [DataRow("tls12/java/empty-truststore.pcap", "Unexpected error: java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty", 80)]
    [DataRow("tls12/openssl/untrusted-root.pcap", "verify error:num=20:unable to get local issuer certificate", 48)]
    [DataRow("tls12/openssl/intermediate-only.pcap", "verify error:num=2:unable to get issuer certificate", 48)]
    [DataRow("tls12/openssl/wrong-host.pcap", "verify error:num=62:hostname mismatch", 42)]
    [DataRow("tls12/curl/untrusted-root.pcap", "curl: (60) SSL certificate problem: unable to get local issuer certificate", 48)]
    public void RecordedClientFailuresAreTheKnownMessages(string file, string message, int alert)
    {
        var c = Manifest.Captures.Single(c => c.File == file);
        Assert.AreEqual(message, c.ClientResult.Message);
        Assert.AreEqual(alert, c.ClientResult.AlertSent);
        Assert.AreNotEqual(0, c.ClientResult.ExitCode);
    }

    [TestMethod]
    [DataRow("java", "completed")]
    [DataRow("openssl", "failed")]
    [DataRow("curl", "completed")]
    public void OnlyOpenSslRejectsATruststoreHoldingOnlyTheIntermediate(string client, string outcome)
    {
        foreach (var v in new[] { "tls12", "tls13" })
        {
            Assert.AreEqual(outcome, Manifest.Captures.Single(c => c.File == $"{v}/{client}/intermediate-only.pcap").Expected.Outcome);
        }
    }

    [TestMethod]
    public void CurlClosesWithCloseNotifyOnANameMismatch()
    {
        foreach (var c in Manifest.Base.Where(c => c.Client == "curl" && c.Expected.Causes.Contains("hostname-mismatch")))
        {
            Assert.IsNull(c.ClientResult.AlertSent, c.File);
            CollectionAssert.Contains(c.ClientResult.AlertsSent, 0, c.File);
            Assert.AreEqual(60, c.ClientResult.ExitCode, c.File);
        }
    }

    [TestMethod]
    public void PkiCertificatesAreTheOnesTheReadmeDescribes()
    {
        static X509Certificate2 Load(string name) => X509CertificateLoader.LoadCertificateFromFile(RepoPaths.Capture($"pki/{name}.pem"));

        using var root = Load("root");
        using var impostor = Load("impostor-root");
        using var intermediate = Load("intermediate");
        using var backend = Load("backend");
        using var cnOnly = Load("cn-only");
        using var expired = Load("expired");
        using var notYetValid = Load("not-yet-valid");
        using var unrelated = Load("unrelated-root");

        Assert.AreEqual("CN=PcapTls Test Root CA, O=PcapTls Test", root.Subject);
        Assert.AreEqual(root.Subject, root.Issuer);
        Assert.AreEqual(root.Subject, impostor.Subject);
        Assert.AreNotEqual(Convert.ToHexString(root.PublicKey.EncodedKeyValue.RawData),
            Convert.ToHexString(impostor.PublicKey.EncodedKeyValue.RawData));
        Assert.AreEqual("CN=PcapTls Test Intermediate CA, O=PcapTls Test", intermediate.Subject);
        Assert.AreEqual(root.Subject, intermediate.Issuer);
        Assert.AreEqual("CN=backend.pcaptls.test", backend.Subject);
        Assert.AreEqual(intermediate.Subject, backend.Issuer);
        Assert.AreEqual("CN=PcapTls Unrelated Root CA", unrelated.Subject);
        Assert.AreEqual("1001", root.SerialNumber);
        Assert.AreEqual("2001", backend.SerialNumber);

        var san = backend.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        CollectionAssert.AreEqual(new[] { "backend.pcaptls.test" }, san.EnumerateDnsNames().ToArray());
        Assert.IsFalse(cnOnly.Extensions.OfType<X509SubjectAlternativeNameExtension>().Any());
        Assert.AreEqual("CN=backend.pcaptls.test", cnOnly.Subject);

        Assert.AreEqual(new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc), expired.NotAfter.ToUniversalTime());
        Assert.AreEqual(new DateTime(2040, 1, 1, 0, 0, 0, DateTimeKind.Utc), notYetValid.NotBefore.ToUniversalTime());
        Assert.AreEqual(new DateTime(2045, 1, 1, 0, 0, 0, DateTimeKind.Utc), backend.NotAfter.ToUniversalTime());
    }

    [TestMethod]
    [DataRow("root", "root")]
    [DataRow("unrelated-root", "unrelated-root")]
    [DataRow("impostor-root", "impostor-root")]
    [DataRow("intermediate-only", "intermediate")]
    [DataRow("client-ca", "client-ca")]
    [DataRow("empty", null)]
    public void TruststoresHoldTheirCertificate(string store, string? certificate)
    {
        var expected = certificate is null
            ? []
            : new[] { X509CertificateLoader.LoadCertificateFromFile(RepoPaths.Capture($"pki/{certificate}.pem")).Thumbprint };

        var pem = new X509Certificate2Collection();
        pem.ImportFromPemFile(RepoPaths.Capture($"truststores/{store}.pem"));
        CollectionAssert.AreEqual(expected, pem.Select(c => c.Thumbprint).ToArray(), "PEM");

        var p12 = X509CertificateLoader.LoadPkcs12CollectionFromFile(RepoPaths.Capture($"truststores/{store}.p12"), "changeit");
        CollectionAssert.AreEqual(expected, p12.Select(c => c.Thumbprint).ToArray(), "PKCS12");

        // JKS: magic FEEDFEED, version 2, then the entry count (big-endian).
        var jks = File.ReadAllBytes(RepoPaths.Capture($"truststores/{store}.jks"));
        CollectionAssert.AreEqual(new byte[] { 0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2 }, jks[..8]);
        Assert.AreEqual(expected.Length, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(jks.AsSpan(8, 4)), "JKS entries");
    }
}
