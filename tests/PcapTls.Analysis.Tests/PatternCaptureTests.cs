using PcapTls.Reporting;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Analysis.Tests;

/// <summary>
/// The real-world patterns of captures/patterns/ (tools/make-pattern-captures, and public Zeek traces): False Start,
/// 0-RTT early data, a client closing right after its Finished, a 320 KB Certificate over 20 records, TLS 1.3
/// drafts. Each is a normal handshake that a naive reading of the packets gets wrong.
/// </summary>
[TestClass]
public sealed class PatternCaptureTests
{
    private static AnalysisReport Analyze(string file, bool withKeys = false, bool testRoot = true)
    {
        var path = RepoPaths.Capture("patterns/" + file);
        var options = new AnalysisOptions
        {
            TrustStore = testRoot ? TrustStore.Load(RepoPaths.Capture("truststores/root.pem")) : null,
            Profile = ClientProfile.Java,
            Decryptors = withKeys ? KeyLogDecryptors.Load(path + ".keys") : null,
        };
        return CaptureAnalyzer.AnalyzeFile(path, options);
    }

    private static string[] Codes(HandshakeReport h) => h.Causes.Select(c => c.Code.ToCode()).ToArray();

    [TestMethod]
    public void FalseStartIsCompletedFromBothDirections()
    {
        // The client's application data (#16) comes before the server's NewSessionTicket, CCS and Finished (#17).
        var h = Analyze("zeek/signed_certificate_timestamp.pcap").Handshakes.Single();
        Assert.AreEqual(HandshakeOutcome.Completed, h.Outcome);
        StringAssert.Contains(h.OutcomeDetail, "False Start: the client sent application data #16 before the server's Finished");
        Assert.IsTrue(h.Ladder.Any(s => s.Packet == 17 && s.What.Contains("ChangeCipherSpec", StringComparison.Ordinal)), "the server's CCS after the False Start is in the ladder");
    }

    [TestMethod]
    public void Tls10FalseStartWithDataInTheFinishedPacket()
    {
        var h = Analyze("zeek/tls-conn-with-extensions.pcap").Handshakes.Single();
        Assert.AreEqual(HandshakeOutcome.Completed, h.Outcome);
        StringAssert.Contains(h.OutcomeDetail, "False Start: the client sent application data #9");
    }

    [TestMethod]
    public void EarlyDataAndPskResumption()
    {
        var report = Analyze("tls13-early-data.pcap");
        Assert.AreEqual(2, report.Handshakes.Count);
        var resumed = report.Handshakes[1];
        Assert.AreEqual(HandshakeOutcome.Completed, resumed.Outcome);
        // The ServerHello's pre_shared_key proves the resumption: no chain is expected, none is missed.
        StringAssert.StartsWith(resumed.OutcomeDetail, "session resumed (the ServerHello accepted a pre-shared key");
        StringAssert.Contains(resumed.OutcomeDetail, "1 record(s) of 0-RTT early data before the ServerHello");
        Assert.AreEqual(0, resumed.Causes.Count);

        var withKeys = Analyze("tls13-early-data.pcap", withKeys: true);
        Assert.IsTrue(withKeys.Handshakes.All(h => h.Outcome == HandshakeOutcome.Completed));
        Assert.AreEqual(0, withKeys.Handshakes[0].Causes.Count, "the full handshake's chain is trusted");
    }

    [TestMethod]
    public void ClientThatClosesAfterItsFinishedCompleted()
    {
        var h = Analyze("tls13-close-after-finished.pcap").Handshakes.Single();
        Assert.AreEqual(HandshakeOutcome.Completed, h.Outcome);
        StringAssert.Contains(h.OutcomeDetail, "the client closed without sending data");
        CollectionAssert.AreEqual(new[] { "certificate-not-visible" }, Codes(h));

        var withKeys = Analyze("tls13-close-after-finished.pcap", withKeys: true).Handshakes.Single();
        Assert.AreEqual(HandshakeOutcome.Completed, withKeys.Outcome);
        Assert.AreEqual(0, withKeys.Causes.Count);
    }

    [TestMethod]
    public void LargeChainRecordsAreLabelledByFragment()
    {
        var h = Analyze("tls12-large-chain-java-limit-raised.pcap").Handshakes.Single();
        Assert.AreEqual(HandshakeOutcome.Completed, h.Outcome);
        Assert.AreEqual(2, h.ServerCertificates.Count, "the 320 KB leaf and the intermediate are reassembled, not dropped");
        var labels = h.Ladder.SelectMany(s => s.What.Split(", ")).Where(w => w.StartsWith("Certificate (fragment", StringComparison.Ordinal)).ToArray();
        Assert.AreEqual(20, labels.Length);
        Assert.AreEqual("Certificate (fragment 3 of 20)", labels[2]);
        Assert.IsFalse(h.Ladder.Any(s => s.What.Contains("encrypted handshake (16384", StringComparison.Ordinal)));
        // A Java client with its defaults would have refused it: the limit is named with the JDK's own text.
        var limit = h.Causes.Single(c => c.Code == CauseCode.JavaHandshakeLimit);
        StringAssert.StartsWith(limit.Summary, "Completed, but a Java client with default settings would reject it");
        StringAssert.Contains(limit.Evidence, "\"The size of the handshake message (320767) exceeds the maximum allowed size (32768)\"");
        StringAssert.Contains(limit.Fix, "-Djdk.tls.maxHandshakeMessageSize=524288");
    }

    [TestMethod]
    [DataRow("tls12-large-chain-java.pcap", "unexpected_message (10)")]
    [DataRow("tls12-large-chain-openssl.pcap", "illegal_parameter (47)")]
    public void ClientRefusingTheSizeGetsTheJavaLimitCause(string file, string alert)
    {
        var h = Analyze(file).Handshakes.Single();
        Assert.AreEqual(HandshakeOutcome.Failed, h.Outcome);
        StringAssert.Contains(h.OutcomeDetail, $"alert {alert} while the server's 320767-byte Certificate was still arriving");
        CollectionAssert.AreEqual(new[] { "java-handshake-limit" }, Codes(h));
        Assert.AreEqual("Certificate (fragment 1 of 20)", h.Ladder.First(s => s.What.StartsWith("Certificate", StringComparison.Ordinal)).What);
    }

    [TestMethod]
    public void Tls13Draft16IsJudgedAsTls13()
    {
        // Zeek: established F (unknown_ca) then T; the second is a full handshake, never "session resumed".
        var report = Analyze("zeek/tls13draft16-ff52.a01.pcap");
        Assert.AreEqual("TLS 1.3 (draft 16)", report.Handshakes[0].Version);
        Assert.AreEqual(HandshakeOutcome.Failed, report.Handshakes[0].Outcome);
        StringAssert.Contains(report.Handshakes[0].Causes.Single().Summary, "a plaintext alert unknown_ca (48)");
        Assert.AreEqual(HandshakeOutcome.Completed, report.Handshakes[1].Outcome);
        Assert.IsFalse(report.Handshakes[1].OutcomeDetail.Contains("resumed", StringComparison.Ordinal));
    }

    public static IEnumerable<object[]> GoldenCases =>
    [
        ["tls13-early-data.pcap"],
        ["tls13-close-after-finished.pcap"],
        ["tls12-large-chain-java.pcap"],
        ["tls12-large-chain-java-limit-raised.pcap"],
        ["zeek/tls-conn-with-extensions.pcap"],
        ["zeek/tls13draft16-ff52.a01.pcap"],
    ];

    [TestMethod]
    [DynamicData(nameof(GoldenCases))]
    public void ConsoleMatchesTheGoldenFile(string file)
    {
        var report = Analyze(file);
        report = report with { Capture = report.Capture with { File = "captures/patterns/" + file } };
        if (report.Trust.TrustStoreDescription.StartsWith(RepoPaths.Root, StringComparison.Ordinal))
        {
            report = report with { Trust = report.Trust with { TrustStoreDescription = report.Trust.TrustStoreDescription[(RepoPaths.Root.Length + 1)..] } };
        }
        var w = new StringWriter { NewLine = "\n" };
        new ConsoleReportRenderer(color: false).Render(report, w);
        GoldenOutputTests.CheckGolden("patterns_" + file.Replace('/', '_').Replace(".pcap", ".console.txt", StringComparison.Ordinal), GoldenOutputTests.Pin(w.ToString()));
    }
}
