using System.Text.Json;
using PcapTls.Analysis;
using PcapTls.Reporting;
using PcapTls.Reporting.Html;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Reporting.Tests;

/// <summary>One capture of captures/manifest.json: enough to analyze it as the corpus generator meant.</summary>
internal sealed record CorpusCapture(string File, string Client, string? TrustStorePem, string? KeyLog, string Host, string ExpectedOutcome)
{
    public override string ToString() => File;
}

/// <summary>Analyzes corpus captures and renders them, as `pcaptls analyze` would (paths relative to the repository).</summary>
internal static class Reports
{
    private static readonly Lazy<IReadOnlyList<CorpusCapture>> ManifestLazy = new(LoadManifest);

    public static IReadOnlyList<CorpusCapture> Manifest => ManifestLazy.Value;

    /// <summary>Every capture of the corpus whose handshake does not complete.</summary>
    public static IEnumerable<CorpusCapture> Failures => Manifest.Where(c => c.ExpectedOutcome != "completed");

    public static CorpusCapture Get(string file) => Manifest.Single(c => c.File == file);

    public static AnalysisReport Analyze(CorpusCapture c)
    {
        var options = new AnalysisOptions
        {
            TrustStore = c.TrustStorePem is { } pem ? LoadTrustStore(RepoPaths.Capture(pem)) : null,
            Host = c.Host,
            Profile = c.Client switch { "java" => ClientProfile.Java, "curl" => ClientProfile.Curl, _ => ClientProfile.OpenSsl },
            AllowPartialChain = c.Client == "curl",
            Decryptors = c.KeyLog is { } k ? KeyLogDecryptors.Load(RepoPaths.Capture(k)) : null,
        };
        var report = CaptureAnalyzer.AnalyzeFile(RepoPaths.Capture(c.File), options);
        return Relative(report, "captures/" + c.File);
    }

    /// <summary>A capture outside the manifest (captures/hostile/), against a truststore PEM.</summary>
    public static AnalysisReport Analyze(string capture, string trustStorePem, ClientProfile profile)
    {
        var options = new AnalysisOptions { TrustStore = TrustStore.Load(RepoPaths.Capture(trustStorePem)), Profile = profile };
        return Relative(CaptureAnalyzer.AnalyzeFile(RepoPaths.Capture(capture), options), "captures/" + capture);
    }

    /// <summary>Several captures' handshakes in one report (each analyzed with its own truststore), numbered in order.</summary>
    public static AnalysisReport Combined(params string[] files)
    {
        var reports = files.Select(f => Analyze(Get(f))).ToList();
        var first = reports[0];
        return first with
        {
            Capture = first.Capture with { File = string.Join(", ", files), Packets = reports.Sum(r => r.Capture.Packets), TcpConnections = reports.Sum(r => r.Capture.TcpConnections) },
            Handshakes = reports.SelectMany(r => r.Handshakes).ToList(),
            Anomalies = reports.SelectMany(r => r.Anomalies).ToList(),
        };
    }

    /// <summary>The same handshakes repeated until there are <paramref name="count"/>, each with its own client port (a large capture's shape).</summary>
    public static AnalysisReport Repeated(AnalysisReport report, int count)
    {
        var list = new List<HandshakeReport>(count);
        for (var i = 0; list.Count < count; i++)
        {
            foreach (var h in report.Handshakes)
            {
                if (list.Count == count)
                {
                    break;
                }
                var host = h.Client[..h.Client.LastIndexOf(':')];
                list.Add(h with { Client = $"{host}:{30000 + (list.Count % 30000)}", StartTime = h.StartTime.AddMilliseconds(i) });
            }
        }
        return report with { Handshakes = list };
    }

    public static string Html(AnalysisReport report)
    {
        var w = new StringWriter { NewLine = "\n" };
        new HtmlReportRenderer().Render(report, w);
        return w.ToString();
    }

    private static AnalysisReport Relative(AnalysisReport report, string file)
    {
        var store = report.Trust.TrustStoreDescription;
        var root = RepoPaths.Root + "/";
        return report with
        {
            Capture = report.Capture with { File = file },
            Trust = report.Trust with { TrustStoreDescription = store.StartsWith(root, StringComparison.Ordinal) ? store[root.Length..] : store },
        };
    }

    private static TrustStore LoadTrustStore(string path)
    {
        var text = File.Exists(path) ? File.ReadAllText(path) : "";
        return text.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal) ? TrustStore.Load(path) : TrustStore.FromCertificates(path, []);
    }

    private static IReadOnlyList<CorpusCapture> LoadManifest()
    {
        var path = RepoPaths.Capture("manifest.json");
        if (!File.Exists(path))
        {
            return [];
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("captures").EnumerateArray().Select(c => new CorpusCapture(
            c.GetProperty("file").GetString()!,
            Str(c, "client") ?? "",
            c.TryGetProperty("truststore", out var t) && t.ValueKind == JsonValueKind.Object ? Str(t, "pem") : null,
            Str(c, "keylog"),
            Str(c, "host") ?? "",
            c.GetProperty("expected").GetProperty("outcome").GetString()!)).ToList();
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
