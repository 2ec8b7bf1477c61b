using System.Text.Json;
using System.Text.Json.Serialization;
using PcapTls.Testing;

namespace PcapTls.Corpus.Tests;

/// <summary>captures/manifest.json as written by tools/make-captures/manifest.py.</summary>
internal sealed record CorpusManifest(
    int Version,
    string GeneratedBy,
    Dictionary<string, string> Tools,
    List<Exclusion> Exclusions,
    string Notes,
    List<CaptureEntry> Captures)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    private static readonly Lazy<CorpusManifest> Cached = new(() =>
        JsonSerializer.Deserialize<CorpusManifest>(File.ReadAllText(RepoPaths.Capture("manifest.json")), Options)
        ?? throw new InvalidDataException("manifest.json is null"));

    public static CorpusManifest Load() => Cached.Value;

    public IEnumerable<CaptureEntry> Base => Captures.Where(c => c.Variant == "base");
}

internal sealed record Exclusion(string TlsVersion, string Scenario, string Client, string Reason);

internal sealed record CaptureEntry(
    string File,
    string Scenario,
    string Client,
    string TlsVersion,
    string Variant,
    string Format,
    string LinkType,
    string Host,
    string Server,
    string ClientEndpoint,
    List<string> ServerChain,
    string? ClientCertificate,
    TruststoreFiles? Truststore,
    string? Keylog,
    string? KeylogSide,
    string? ClientKeylog,
    ClientResult ClientResult,
    ServerResult ServerResult,
    Expectation Expected,
    Expectation? ExpectedWithoutKeys,
    string Notes)
{
    public int ServerPort => int.Parse(Server[(Server.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    public int ClientPort => int.Parse(ClientEndpoint[(ClientEndpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    public override string ToString() => File;
}

internal sealed record TruststoreFiles(string Pem, string Jks, string Pkcs12, string Password);

internal sealed record ClientResult(int ExitCode, string? Message, int? AlertSent, List<int> AlertsSent);

internal sealed record ServerResult(string? Message, int? AlertSent, List<int> AlertsSent);

internal sealed record Expectation(string Outcome, List<string> Causes);
