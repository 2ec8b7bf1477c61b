using PcapTls.Analysis;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Analysis.Tests;

/// <summary>
/// captures/preambles/ (tools/make-preamble-captures): curl through a real HTTP CONNECT proxy (tinyproxy) and a
/// real SOCKS5 server (dante), openssl s_server behind them, only the client -> proxy leg recorded. Each is
/// analysed with the truststore the client used; the outcome, the cause, where the host came from and the
/// proxy hop must be what the client saw.
/// </summary>
[TestClass]
public sealed class PreambleCaptureTests
{
    [TestMethod]
    [DataRow("connect-ok", "root", "completed", null, "SNI", "HTTP CONNECT to backend.pcaptls.test:20600 through proxy 127.0.0.1:20610")]
    [DataRow("connect-untrusted-root", "unrelated-root", "failed", "truststore-missing-anchor", "SNI", "HTTP CONNECT to backend.pcaptls.test:20600 through proxy 127.0.0.1:20610")]
    // curl sends no SNI to an IP literal: the CONNECT target is the host checked, and the certificate lacks it.
    [DataRow("connect-name-mismatch", "root", "failed", "hostname-mismatch", "HTTP CONNECT target", "HTTP CONNECT to 127.0.0.1:20600 through proxy 127.0.0.1:20610")]
    [DataRow("connect-refused", "root", "refused", "proxy-refused", null, "HTTP CONNECT refused: \"HTTP/1.1 403 Access violation\"")]
    [DataRow("socks5-ok", "root", "completed", null, "SNI", "SOCKS5 to backend.pcaptls.test:20600 through proxy 127.0.0.1:20611")]
    [DataRow("socks5-untrusted-root", "unrelated-root", "failed", "truststore-missing-anchor", "SNI", "SOCKS5 to backend.pcaptls.test:20600 through proxy 127.0.0.1:20611")]
    [DataRow("socks5-refused", "root", "refused", "proxy-refused", null, "SOCKS5 refused: \"reply 2 (connection not allowed by ruleset)\"")]
    public void ThroughARealProxy(string name, string truststore, string outcome, string? cause, string? hostSource, string ladderStart)
    {
        var options = new AnalysisOptions { TrustStore = TrustStore.Load(RepoPaths.Capture($"truststores/{truststore}.pem")) };
        var report = CaptureAnalyzer.AnalyzeFile(RepoPaths.Capture($"preambles/{name}.pcap"), options);
        Assert.AreEqual(1, report.Handshakes.Count, string.Join("\n", report.Anomalies.Select(a => $"{a.Packet} {a.Kind} {a.Detail}").Concat(report.Notes)) + " tcp " + report.Capture.TcpConnections);
        var h = report.Handshakes.Single();
        Assert.AreEqual(outcome, h.Outcome.ToCode(), h.OutcomeDetail);
        Assert.AreEqual(cause, h.Causes.Select(c => c.Code.ToCode()).FirstOrDefault(), h.OutcomeDetail);
        Assert.AreEqual(hostSource, h.HostSource);
        Assert.IsTrue(h.Ladder.Any(s => s.What.StartsWith(ladderStart, StringComparison.Ordinal)),
            string.Join("\n", h.Ladder.Select(s => s.What)));
        Assert.IsTrue(h.Server.EndsWith(name.StartsWith("socks5", StringComparison.Ordinal) ? ":20611" : ":20610", StringComparison.Ordinal),
            "the connection reported is the client's to the proxy");
    }
}
