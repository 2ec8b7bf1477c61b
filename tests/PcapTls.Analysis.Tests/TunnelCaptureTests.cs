using PcapTls.Analysis;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Analysis.Tests;

/// <summary>
/// captures/tunnels/ (tools/make-tunnel-captures): openssl s_client and s_server in two network namespaces over a
/// real kernel VXLAN tunnel, tcpdump on the underlay veth. Each handshake must be found under its tunnel, with the
/// path it came on, and judged as the client judged it (trusting pki/root.pem, or pki/unrelated-root.pem: unknown_ca).
/// vxlan-frag has its Certificate flight in outer IPv4 fragments (underlay MTU 1280 under a 1450-byte overlay).
/// </summary>
[TestClass]
public sealed class TunnelCaptureTests
{
    [TestMethod]
    [DataRow("vxlan-4789", "ethernet/ipv4/vxlan 42/ethernet/ipv4")]
    [DataRow("vxlan-8472-ipv6", "ethernet/ipv6/vxlan 43/ethernet/ipv4")]
    [DataRow("vxlan-frag", "ethernet/ipv4/vxlan 42/ethernet/ipv4")]
    [DataRow("vxlan-pmtu-ipv6", "ethernet/ipv6/vxlan 43/ethernet/ipv4")]
    public void TheHandshakeIsFoundUnderItsTunnelAndJudgedAsTheClientDid(string kind, string path)
    {
        var options = new AnalysisOptions { TrustStore = TrustStore.Load(RepoPaths.Capture("truststores/root.pem")) };
        foreach (var (file, outcome, cause) in new[] { ($"{kind}-ok", "completed", (string?)null), ($"{kind}-untrusted-root", "failed", "truststore-missing-anchor") })
        {
            var report = CaptureAnalyzer.AnalyzeFile(RepoPaths.Capture($"tunnels/{file}.pcap"), options);
            var diagnostics = string.Join("\n", report.Anomalies.Select(a => $"{a.Packet} {a.Kind} {a.Detail}"));
            Assert.AreEqual(1, report.Capture.TcpConnections, file + "\n" + diagnostics);
            var h = report.Handshakes.Single();
            Assert.AreEqual("10.42.0.2:20700", h.Server, file);
            Assert.AreEqual(path, h.Path, file);
            Assert.AreEqual("backend.pcaptls.test", h.Sni, file);
            var trustOptions = cause is null ? options : new AnalysisOptions { TrustStore = TrustStore.Load(RepoPaths.Capture("truststores/unrelated-root.pem")) };
            var judged = cause is null ? h : CaptureAnalyzer.AnalyzeFile(RepoPaths.Capture($"tunnels/{file}.pcap"), trustOptions).Handshakes.Single();
            Assert.AreEqual(outcome, judged.Outcome.ToCode(), file + ": " + judged.OutcomeDetail);
            Assert.AreEqual(cause, judged.Causes.Select(c => c.Code.ToCode()).FirstOrDefault(), file + ": " + judged.OutcomeDetail);
            Assert.AreEqual(2, h.ServerCertificates.Count, file + ": the leaf and the intermediate were sent");
            Assert.IsFalse(report.Anomalies.Any(a => a.Kind is "ip-fragment" or "unknown-encapsulation"), file + "\n" + diagnostics);
        }
    }

    [TestMethod]
    public void TheFragmentedCaptureReallyHasOuterFragments()
    {
        // Guards the generator: were the kernel to stop fragmenting, vxlan-frag would test nothing.
        var bytes = File.ReadAllBytes(RepoPaths.Capture("tunnels/vxlan-frag-ok.pcap"));
        var fragments = 0;
        for (var at = 24; at + 16 <= bytes.Length;)
        {
            var included = BitConverter.ToInt32(bytes, at + 8);
            var frame = bytes.AsSpan(at + 16, included);
            // Ethernet, EtherType IPv4, then flags/offset at IP + 6: MF set or a non-zero offset.
            if (frame.Length > 34 && frame[12] == 0x08 && frame[13] == 0x00 && ((frame[20] & 0x3F) != 0 || frame[21] != 0))
            {
                fragments++;
            }
            at += 16 + included;
        }
        Assert.IsGreaterThanOrEqualTo(2, fragments);
    }
}
