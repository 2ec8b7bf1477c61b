using PcapTls.Analysis;

namespace PcapTls.Robustness.Tests;

/// <summary>
/// Zeek's malformed and strange traces (Data/zeek, see its README): each analyzes to the end, its handshake is
/// found, and what is wrong with it is in the report rather than in an exception. Expected values are those
/// tshark and an independent parser agreed on (shared/peers/zeek/EXPECTED.tsv).
/// </summary>
[TestClass]
public sealed class ZeekTraceTests
{
    private static string Trace(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "zeek", name);

    private static AnalysisReport Analyze(string name)
    {
        var report = Tests.Analyze.File(Trace(name), new AnalysisOptions { TrustStore = Tests.Analyze.Root });
        var (json, console) = Tests.Analyze.Render(report);
        Assert.IsFalse(string.IsNullOrEmpty(json));
        Assert.IsFalse(string.IsNullOrEmpty(console));
        return report;
    }

    [TestMethod]
    [DataRow("tls1.2-protocol-violation.pcap", 22L)]
    [DataRow("tls-1.2-protocol-error.pcap", 11L)]
    [DataRow("tls1.2-late-protocol-error.pcap", 22L)]
    [DataRow("heartbleed.pcap", 23L)]
    [DataRow("ml-dsa-44-cert.pcap", 5L)]
    public void TraceIsReadToTheEndWithOneHandshake(string name, long packets)
    {
        var report = Analyze(name);

        Assert.AreEqual(packets, report.Capture.Packets);
        Assert.HasCount(1, report.Handshakes);
        Assert.IsNotNull(report.Handshakes[0].Version, "the ClientHello was read");
        Assert.AreEqual("TLS 1.2", report.Handshakes[0].Version ?? "TLS 1.2", "version when one was negotiated");
    }

    [TestMethod]
    public void ProtocolViolationReportsTheCorruptCertificateMessage()
    {
        var report = Analyze("tls1.2-protocol-violation.pcap");

        // The Certificate message in packet 8 is deliberately corrupted (tshark sees no certificate in it
        // either): the report says so at that packet, and the handshake is still there, incomplete.
        var atCertificate = report.Anomalies.Where(a => a.Packet == 8).Select(a => a.Kind).ToList();
        CollectionAssert.Contains(atCertificate, "malformed-handshake");
        Assert.AreEqual(HandshakeOutcome.Incomplete, report.Handshakes[0].Outcome);
        Assert.AreEqual("TLS 1.2", report.Handshakes[0].Version);
    }

    [TestMethod]
    public void ProtocolErrorSaysTheServersReplyIsNotTls()
    {
        var report = Analyze("tls-1.2-protocol-error.pcap");

        // The server answers the ClientHello with 7 bytes that are no record (00 00 00 00 02 00 28), then FIN.
        // The decoder can only decide that at the end of the stream (HandshakeTracker.OnEnd ends both sides).
        var h = report.Handshakes.Single();
        Assert.AreEqual(HandshakeOutcome.NotTls, h.Outcome, h.OutcomeDetail);
        var (_, console) = Tests.Analyze.Render(report);
        StringAssert.Contains(console, "not-tls");
    }

    [TestMethod]
    public void LateProtocolErrorReportsTheBrokenRecordAndKeepsTheWholeChain()
    {
        var report = Analyze("tls1.2-late-protocol-error.pcap");

        Assert.AreEqual(10L, Tests.Analyze.Single(report, "malformed-record").Packet);
    }

    [TestMethod]
    public void LateProtocolErrorKeepsTheWholeChain()
    {
        var report = Analyze("tls1.2-late-protocol-error.pcap");

        var chain = report.Handshakes[0].ServerCertificates;
        Assert.HasCount(3, chain);
        StringAssert.Contains(chain[0].Subject, "*.taleo.net");
    }

    [TestMethod]
    public void HeartbleedTraceKeepsItsChain()
    {
        var report = Analyze("heartbleed.pcap");

        var chain = report.Handshakes[0].ServerCertificates;
        Assert.HasCount(2, chain);
        StringAssert.Contains(chain[0].Subject, "www.lilawelt.net");
    }

    [TestMethod]
    public void MlDsaCertificateIsReportedAsAnUnknownAlgorithmNotAFailure()
    {
        var report = Analyze("ml-dsa-44-cert.pcap");

        var h = report.Handshakes[0];
        Assert.HasCount(1, h.ServerCertificates);
        Assert.AreEqual("raw_ip", report.Capture.LinkTypes.Single());
        var (json, console) = Tests.Analyze.Render(report);
        StringAssert.Contains(console + json, "ml-dsa.example.com");
    }
}
