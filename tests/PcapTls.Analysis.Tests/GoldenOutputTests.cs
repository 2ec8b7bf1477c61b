using System.Text.RegularExpressions;
using PcapTls.Reporting;
using PcapTls.Testing;

namespace PcapTls.Analysis.Tests;

/// <summary>
/// Golden files: the whole console and JSON report for a few corpus captures, diffed as text after pinning what
/// legitimately changes when the corpus is regenerated (times). Set PCAPTLS_UPDATE_GOLDEN=1 to rewrite them on
/// purpose, then review the diff.
/// </summary>
[TestClass]
public sealed partial class GoldenOutputTests
{
    public static IEnumerable<object[]> Cases =>
    [
        ["tls12/java/untrusted-root.pcap"],
        ["tls12/java/impostor-root.pcap"],
        ["tls12/java/leaf-only.pcap"],
        ["tls12/openssl/wrong-host.pcap"],
        ["tls13/java/untrusted-root.pcap"],
        ["tls12/java/plain-http.pcap"],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void ConsoleAndJsonMatchTheGoldenFiles(string file)
    {
        var entry = CorpusManifest.Get(file);
        var report = CorpusRun.Analyze(entry, withKeys: true);
        report = report with { Capture = report.Capture with { File = "captures/" + file } };
        report = report with { Trust = report.Trust with { TrustStoreDescription = Relative(report.Trust.TrustStoreDescription) } };
        var name = file.Replace('/', '_').Replace(".pcap", "", StringComparison.Ordinal);
        Check(name + ".console.txt", Render(new ConsoleReportRenderer(color: false), report));
        Check(name + ".json", Render(new JsonReportRenderer(), report));
    }

    public static IEnumerable<object[]> HtmlCases =>
    [
        ["tls12/java/untrusted-root.pcap"],
        ["tls12/java/leaf-only.pcap"],
        ["tls12/openssl/wrong-host.pcap"],
        ["tls13/java/untrusted-root.pcap"],
    ];

    [TestMethod]
    [DynamicData(nameof(HtmlCases))]
    public void HtmlMatchesTheGoldenFiles(string file)
    {
        var entry = CorpusManifest.Get(file);
        var report = CorpusRun.Analyze(entry, withKeys: true);
        report = report with { Capture = report.Capture with { File = "captures/" + file } };
        report = report with { Trust = report.Trust with { TrustStoreDescription = Relative(report.Trust.TrustStoreDescription) } };
        var name = file.Replace('/', '_').Replace(".pcap", "", StringComparison.Ordinal);
        var html = Render(new Reporting.Html.HtmlReportRenderer(), report);
        // Beside the times Pin knows: the table's sort keys (ticks), dates before a clock time, and the ladder's times since its first packet.
        html = SortTicks().Replace(html, "data-sort=\"<ticks>\"");
        html = DateBeforeClock().Replace(html, "<date> <clock>");
        html = RelativeTime().Replace(html, "+<elapsed>");
        Check(name + ".html", html);
    }

    [GeneratedRegex(@"data-sort=""\d{15,}""")]
    private static partial Regex SortTicks();

    [GeneratedRegex(@"\d{4}-\d\d-\d\d <clock>")]
    private static partial Regex DateBeforeClock();

    [GeneratedRegex(@"\+\d+\.\d{3} m?s\b")]
    private static partial Regex RelativeTime();

    private static string Render(IReportRenderer renderer, AnalysisReport report)
    {
        var w = new StringWriter { NewLine = "\n" };
        renderer.Render(report, w);
        return Pin(w.ToString());
    }

    /// <summary>Times change on every regeneration of the corpus; nothing else should.</summary>
    internal static string Pin(string text)
    {
        // The repository's location appears in paths (the truststore's, in the evidence); it is not part of the answer.
        text = text.Replace(RepoPaths.Root + "/", "", StringComparison.Ordinal);
        text = IsoTime().Replace(text, "<time>");
        text = ConsoleTime().Replace(text, "<time>");
        text = ClockTime().Replace(text, "<clock>");
        return text.Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static string Relative(string path) => path.StartsWith(RepoPaths.Root, StringComparison.Ordinal) ? path[(RepoPaths.Root.Length + 1)..] : path;

    internal static void CheckGolden(string name, string actual) => Check(name, actual);

    private static void Check(string name, string actual)
    {
        var path = Path.Combine(RepoPaths.Root, "tests", "PcapTls.Analysis.Tests", "Golden", name);
        if (Environment.GetEnvironmentVariable("PCAPTLS_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }
        Assert.IsTrue(File.Exists(path), $"golden file {path} is missing (run with PCAPTLS_UPDATE_GOLDEN=1 to create it)");
        var expected = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
        if (expected != actual)
        {
            var e = expected.Split('\n');
            var a = actual.Split('\n');
            var i = 0;
            while (i < e.Length && i < a.Length && e[i] == a[i])
            {
                i++;
            }
            Assert.Fail($"{name} differs from the golden file at line {i + 1}:\n  expected: {(i < e.Length ? e[i] : "<end>")}\n  actual:   {(i < a.Length ? a[i] : "<end>")}\n(PCAPTLS_UPDATE_GOLDEN=1 rewrites the golden files)");
        }
    }

    [GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")]
    private static partial Regex IsoTime();

    [GeneratedRegex(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} UTC")]
    private static partial Regex ConsoleTime();

    [GeneratedRegex(@"\b\d\d:\d\d:\d\d\.\d{6}\b")]
    private static partial Regex ClockTime();
}
