using PcapTls.Analysis;
using PcapTls.Reporting;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Robustness.Tests;

/// <summary>Runs a capture through the whole product as `pcaptls analyze` does, and checks what every report
/// must hold whatever the input: each anomaly has a kind and a packet number, and both renderers finish.</summary>
internal static class Analyze
{
    public static readonly DateTimeOffset FixedTime = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<TrustStore> RootStore = new(() => TrustStore.Load(RepoPaths.Capture("truststores/root.pem")));

    public static TrustStore Root => RootStore.Value;

    public static AnalysisOptions Options => new() { TrustStore = Root, At = FixedTime };

    public static AnalysisReport File(string path, AnalysisOptions? options = null)
    {
        var report = CaptureAnalyzer.AnalyzeFile(path, options ?? Options);
        CheckInvariants(report);
        return report;
    }

    /// <summary>The JSON and console texts, after checking the report's invariants.</summary>
    public static (string Json, string Console) Render(AnalysisReport report)
    {
        var json = new StringWriter();
        new JsonReportRenderer().Render(report, json);
        var console = new StringWriter();
        new ConsoleReportRenderer(color: false).Render(report, console);
        return (json.ToString(), console.ToString());
    }

    /// <summary>Packet numbers count the file's records, including those skipped (a pcapng packet on an
    /// undeclared interface), so the bound is the most records the file can hold (12 bytes is the smallest
    /// pcapng block), plus one for "the record after the last one".</summary>
    public static void CheckInvariants(AnalysisReport report)
    {
        var length = System.IO.File.Exists(report.Capture.File) ? new FileInfo(report.Capture.File).Length : 0;
        var maxPacket = Math.Max(report.Capture.Packets, length / 12) + 1;
        foreach (var a in report.Anomalies)
        {
            Assert.IsFalse(string.IsNullOrWhiteSpace(a.Kind), $"anomaly without a kind: {a}");
            Assert.IsTrue(a.Packet >= 1 && a.Packet <= maxPacket, $"anomaly packet {a.Packet} outside the capture ({report.Capture.Packets} packets, at most {maxPacket} records): {a}");
            Assert.IsFalse(string.IsNullOrWhiteSpace(a.Detail), $"anomaly without a detail: {a}");
        }
    }

    /// <summary>The one anomaly of this kind, which must name a packet.</summary>
    public static ReportAnomaly Single(AnalysisReport report, string kind)
    {
        var found = report.Anomalies.Where(a => a.Kind == kind).ToList();
        Assert.IsNotEmpty(found, $"no '{kind}' anomaly; anomalies: {string.Join("; ", report.Anomalies.Select(a => $"{a.Packet} {a.Kind}: {a.Detail}"))}");
        Assert.IsGreaterThan(0L, found[0].Packet, $"'{kind}' without a packet number: {found[0]}");
        return found[0];
    }
}
