using System.Text.Json;
using PcapTls.Testing;

namespace PcapTls.Analysis.Tests;

/// <summary>One capture of captures/manifest.json, as the corpus generator recorded it.</summary>
internal sealed record CorpusEntry(
    string File,
    string Scenario,
    string Client,
    string TlsVersion,
    string Variant,
    string Host,
    string? TrustStorePem,
    string? TrustStoreJks,
    string? TrustStorePkcs12,
    string? TrustStorePassword,
    string? KeyLog,
    string? ClientMessage,
    int? ClientAlert,
    string ExpectedOutcome,
    IReadOnlyList<string> ExpectedCauses,
    string? ExpectedOutcomeWithoutKeys,
    IReadOnlyList<string>? ExpectedCausesWithoutKeys)
{
    public string Path => RepoPaths.Capture(File);

    public override string ToString() => File;
}

internal static class CorpusManifest
{
    private static readonly Lazy<IReadOnlyList<CorpusEntry>> EntriesLazy = new(Load);

    public static IReadOnlyList<CorpusEntry> Entries => EntriesLazy.Value;

    public static IEnumerable<object[]> All => Entries.Select(e => new object[] { e.File });

    public static CorpusEntry Get(string file) => Entries.Single(e => e.File == file);

    private static IReadOnlyList<CorpusEntry> Load()
    {
        var path = RepoPaths.Capture("manifest.json");
        if (!System.IO.File.Exists(path))
        {
            return [];
        }
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(path));
        var list = new List<CorpusEntry>();
        foreach (var c in doc.RootElement.GetProperty("captures").EnumerateArray())
        {
            var ts = c.TryGetProperty("truststore", out var t) && t.ValueKind == JsonValueKind.Object ? t : (JsonElement?)null;
            var result = c.TryGetProperty("clientResult", out var r) && r.ValueKind == JsonValueKind.Object ? r : (JsonElement?)null;
            var expected = c.GetProperty("expected");
            JsonElement? without = c.TryGetProperty("expectedWithoutKeys", out var w) && w.ValueKind == JsonValueKind.Object ? w : null;
            list.Add(new CorpusEntry(
                c.GetProperty("file").GetString()!,
                c.GetProperty("scenario").GetString()!,
                Str(c, "client") ?? "",
                Str(c, "tlsVersion") ?? "",
                Str(c, "variant") ?? "base",
                Str(c, "host") ?? "",
                ts is { } a ? Str(a, "pem") : null,
                ts is { } b ? Str(b, "jks") : null,
                ts is { } d ? Str(d, "pkcs12") : null,
                ts is { } e ? Str(e, "password") : null,
                Str(c, "keylog"),
                result is { } m ? Str(m, "message") : null,
                result is { } n && n.TryGetProperty("alertSent", out var al) && al.ValueKind == JsonValueKind.Number ? al.GetInt32() : null,
                expected.GetProperty("outcome").GetString()!,
                expected.GetProperty("causes").EnumerateArray().Select(x => x.GetString()!).ToList(),
                without is { } x1 ? x1.GetProperty("outcome").GetString() : null,
                without is { } x2 ? x2.GetProperty("causes").EnumerateArray().Select(x => x.GetString()!).ToList() : null));
        }
        return list;
    }

    private static string? Str(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
