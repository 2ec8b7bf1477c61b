using System.Text.Json;
using PcapTls.Analysis;
using PcapTls.Testing;

namespace PcapTls.Analysis.Tests;

/// <summary>
/// captures/arkime/: public captures from Arkime's test suite (Apache-2.0, see its README), the kinds the kernel
/// here cannot make (MPLS, PPPoE, GRE/ERSPAN, Geneve, QinQ, GTP-U, NFLOG, 802.11) and the TCP identity cases
/// (a 908 s quiet connection, timestamps past 2038, retransmissions after the close, SYN/ACK before SYN, scans),
/// against tshark 4.0's view of each (captures/arkime/EXPECTED.json, a subset of the one tools/arkime-compare
/// uses): the TCP connection count, and every TLS connection with its SNI and server chain.
/// </summary>
[TestClass]
public sealed class ArkimeCaptureTests
{
    private sealed record Expected(string Encapsulation, int TcpConversations, List<ExpectedTls> Tls);

    private sealed record ExpectedTls(string Client, string Server, string? Sni, List<string>? ServerChain);

    private static Dictionary<string, Expected> All() => JsonSerializer.Deserialize<Dictionary<string, Expected>>(
        File.ReadAllText(RepoPaths.Capture("arkime/EXPECTED.json")), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    public static IEnumerable<object[]> Captures() => All().Keys.Order(StringComparer.Ordinal).Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(Captures))]
    public void AgreesWithTshark(string file)
    {
        var want = All()[file];
        var report = CaptureAnalyzer.AnalyzeFile(RepoPaths.Capture("arkime/" + file), new AnalysisOptions());
        Assert.AreEqual(want.TcpConversations, report.Capture.TcpConnections, "TCP connections, as tshark counts them");
        var unknown = report.Anomalies.Where(a => a.Kind == "unknown-encapsulation").Select(a => a.Detail).ToList();
        foreach (var tls in want.Tls)
        {
            var h = report.Handshakes.FirstOrDefault(x => (x.Client == tls.Client && x.Server == tls.Server) || (x.Client == tls.Server && x.Server == tls.Client));
            Assert.IsNotNull(h, $"no handshake {tls.Client} -> {tls.Server}; {string.Join("; ", unknown)}");
            Assert.AreEqual(tls.Sni, h.Sni);
            if (tls.ServerChain is not null)
            {
                CollectionAssert.AreEqual(tls.ServerChain, h.ServerCertificates.Select(c => c.Sha256).ToList());
            }
        }
    }

    [TestMethod]
    public void EachCopiedCaptureIsListedWithItsSource()
    {
        var readme = File.ReadAllText(RepoPaths.Capture("arkime/README.md"));
        StringAssert.Contains(readme, "Apache License 2.0");
        var onDisk = Directory.EnumerateFiles(RepoPaths.Capture("arkime"), "*.pcap").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        CollectionAssert.AreEqual(All().Keys.Order(StringComparer.Ordinal).ToList(), onDisk);
        foreach (var f in onDisk)
        {
            StringAssert.Contains(readme, f!);
        }
    }
}
