using System.Globalization;
using System.Text.Json;
using PcapTls.Validation;

namespace PcapTls.Support.Apigee;

/// <summary>
/// One certificate as the management API describes it (<c>GET .../keystores/{ts}/certs/{cert}</c>, its <c>certInfo[]</c>):
/// names, serial and validity, but no key and no fingerprint, so it can never prove trust by itself.
/// </summary>
public sealed record ApiCertInfo(string? Subject, string? Issuer, string? Serial, DateTimeOffset? ValidFrom, DateTimeOffset? Expiry, string? PublicKey, string? SignatureAlgorithm, bool? IsValid);

/// <summary>A truststore entry: its JSON description and, where it was exported (<c>.../certs/{cert}/export</c>), the certificate itself.</summary>
public sealed record ApiTruststoreEntry(string Name, IReadOnlyList<ApiCertInfo> Infos, CertificateInfo? Exported, string? JsonFile, string? PemFile);

/// <summary>Why a file of the listing could not be used (reported, never fatal).</summary>
public sealed record ApiListingProblem(string File, string Problem);

/// <summary>
/// A directory holding what the management API returned for one truststore: the list (<c>.../certs</c>, a JSON array of
/// names), each entry (<c>.../certs/{cert}</c> as <c>NAME.json</c>) and, where exported, <c>NAME.pem</c>.
/// </summary>
public sealed record TruststoreListing(string Directory, IReadOnlyList<string> Listed, IReadOnlyList<ApiTruststoreEntry> Entries, IReadOnlyList<ApiListingProblem> Problems)
{
    /// <summary>The largest JSON file read (a listing is a few KB; anything bigger is not one).</summary>
    public const int MaxJsonBytes = 4 * 1024 * 1024;

    /// <summary>The truststore's name, taken from the directory's name (the management API's KEYSTORE_NAME).</summary>
    public string Name => Path.GetFileName(Path.TrimEndingDirectorySeparator(Directory));

    public static TruststoreListing Load(string directory)
    {
        var listed = new List<string>();
        var infos = new Dictionary<string, (List<ApiCertInfo> Infos, string File)>(StringComparer.Ordinal);
        var pems = new Dictionary<string, (CertificateInfo Cert, string File)>(StringComparer.Ordinal);
        var problems = new List<ApiListingProblem>();
        foreach (var file in System.IO.Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            var ext = Path.GetExtension(file).ToLowerInvariant();
            var name = Path.GetFileNameWithoutExtension(file);
            try
            {
                if (ext == ".json")
                {
                    ReadJson(file, name, listed, infos, problems);
                }
                else if (ext is ".pem" or ".crt" or ".cer")
                {
                    var blocks = CertificateFile.PemBlocks(File.ReadAllBytes(file));
                    var cert = blocks.Count > 0 ? CertificateInfo.Parse(blocks[0].Der) : null;
                    if (cert is { IsParsed: true })
                    {
                        pems[name] = (cert, file);
                    }
                    else
                    {
                        problems.Add(new ApiListingProblem(file, "no PEM certificate in it"));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(new ApiListingProblem(file, e.Message));
            }
        }
        var names = listed.Concat(infos.Keys).Concat(pems.Keys).Distinct(StringComparer.Ordinal).ToList();
        foreach (var n in names)
        {
            // A PEM exported at another time (or of another entry) than the JSON: say so rather than mix the two.
            if (infos.TryGetValue(n, out var described) && described.Infos.Count > 0 && pems.TryGetValue(n, out var pem)
                && !described.Infos.Any(i => TruststoreListingComparer.SameSerial(i.Serial, pem.Cert.SerialHex) && DistinguishedName.Same(i.Subject, pem.Cert.Subject)))
            {
                problems.Add(new ApiListingProblem(pem.File, $"describes another certificate than {Path.GetFileName(described.File)} (subject or serial differ): the PEM is compared, the JSON is not"));
            }
        }
        var entries = names.Select(n => new ApiTruststoreEntry(
            n,
            infos.TryGetValue(n, out var i) ? i.Infos : [],
            pems.TryGetValue(n, out var p) ? p.Cert : null,
            infos.TryGetValue(n, out var j) ? j.File : null,
            pems.TryGetValue(n, out var q) ? q.File : null)).ToList();
        return new TruststoreListing(directory, listed, entries, problems);
    }

    private static void ReadJson(string file, string name, List<string> listed, Dictionary<string, (List<ApiCertInfo>, string)> infos, List<ApiListingProblem> problems)
    {
        if (new FileInfo(file).Length > MaxJsonBytes)
        {
            problems.Add(new ApiListingProblem(file, $"larger than {MaxJsonBytes / (1024 * 1024)} MB: not a truststore listing"));
            return;
        }
        JsonDocument doc;
        try
        {
            // Names and subjects in a listing saved by another tool may not be UTF-8 (Latin-1 "Société"): such bytes
            // become U+FFFD, said as a problem, instead of failing the whole file (tools/fuzz supportlog: they threw
            // InvalidOperationException out of GetString).
            var bytes = File.ReadAllBytes(file);
            if (!System.Text.Unicode.Utf8.IsValid(bytes))
            {
                problems.Add(new ApiListingProblem(file, "not UTF-8 text: the bytes that are not are read as U+FFFD"));
            }
            doc = JsonDocument.Parse(System.Text.Encoding.UTF8.GetString(bytes), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            problems.Add(new ApiListingProblem(file, $"not valid JSON ({e.Message})"));
            return;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                listed.AddRange(root.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
                return;
            }
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("certInfo", out var certInfo) || certInfo.ValueKind != JsonValueKind.Array)
            {
                problems.Add(new ApiListingProblem(file, "neither a list of certificate names nor a certificate with certInfo[]"));
                return;
            }
            var certName = root.TryGetProperty("certName", out var cn) && cn.ValueKind == JsonValueKind.String ? cn.GetString()! : name;
            var list = certInfo.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).Select(e => new ApiCertInfo(
                Str(e, "subject"), Str(e, "issuer"), Str(e, "serialNumber"), Millis(e, "validFrom"), Millis(e, "expiryDate"),
                Str(e, "publicKey"), Str(e, "sigAlgName"), Str(e, "isValid") is { } v ? string.Equals(v, "yes", StringComparison.OrdinalIgnoreCase) : null)).ToList();
            infos[certName] = (list, file);
        }
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number => v.GetRawText(),
        _ => null,
    } : null;

    /// <summary>The API gives times as milliseconds since 1970 (numbers, sometimes as strings).</summary>
    private static DateTimeOffset? Millis(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v))
        {
            return null;
        }
        long ms;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out ms))
        {
            return FromMillis(ms);
        }
        if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out ms))
        {
            return FromMillis(ms);
        }
        return null;
    }

    /// <summary>A time outside the years 1-9999 is no time (tools/fuzz supportlog: it threw out of the reader).</summary>
    private static DateTimeOffset? FromMillis(long ms) =>
        ms is >= MinMillis and <= MaxMillis ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    private const long MinMillis = -62_135_596_800_000;
    private const long MaxMillis = 253_402_300_799_999;
}
