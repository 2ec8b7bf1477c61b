using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using PcapTls.Validation;

namespace PcapTls.Cli;

/// <summary>
/// `pcaptls verify CHAIN`: validates a chain saved from a server (PEM, DER, or pasted `openssl s_client -showcerts`
/// output) against a truststore, the way the chosen client would, and explains the result.
/// </summary>
internal static class VerifyCommand
{
    private static readonly Argument<FileInfo> ChainArgument = new("chain")
    {
        Description = "The server's chain, leaf first: a PEM file, a DER certificate, the saved output of openssl s_client -showcerts, or a capture (then every server chain in it).",
    };

    private static readonly Option<string> TlsOption = new("--tls")
    {
        Description = "The TLS version of the handshake (1.2 or 1.3): Java's alert for an expired chain differs. Default 1.2.",
        DefaultValueFactory = _ => "1.2",
    };

    private static readonly Option<FileInfo?> ExportNeededOption = new("--export-needed")
    {
        Description = "Write, as PEM, exactly the certificate(s) the truststore needs to import (nothing when none is known).",
    };

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("verify", "Validate a certificate chain against a truststore as the client would (Java PKIX or OpenSSL), predict its message and alert, and explain why it fails.");
        command.Arguments.Add(ChainArgument);
        CommonOptions.AddValidationOptions(command);
        command.Options.Add(TlsOption);
        command.Options.Add(CommonOptions.Format);
        command.Options.Add(ExportNeededOption);
        command.Options.Add(CommonOptions.Keylog);
        command.SetAction(parse => Run(parse, stdout, stderr));
        return command;
    }

    private static int Run(ParseResult parse, TextWriter stdout, TextWriter stderr)
    {
        var format = (parse.GetValue(CommonOptions.Format) ?? "console").ToLowerInvariant();
        if (format is not ("console" or "text" or "json" or "csv"))
        {
            throw new UserErrorException(ExitCode.Usage, $"--format must be console, json or csv, not '{format}'");
        }
        var tls = (parse.GetValue(TlsOption) ?? "1.2") switch
        {
            "1.2" or "tls1.2" or "TLSv1.2" => (ushort)0x0303,
            "1.3" or "tls1.3" or "TLSv1.3" => (ushort)0x0304,
            var t => throw new UserErrorException(ExitCode.Usage, $"--tls must be 1.2 or 1.3, not '{t}'"),
        };
        // curl: OpenSSL's verify with partial chains, and its own host name messages after the handshake.
        var (profile, partial) = CommonOptions.ParseClient(parse);
        var at = CommonOptions.ParseAt(parse) ?? DateTimeOffset.UtcNow;
        var security = CommonOptions.LoadJavaSecurity(parse);
        var release = CommonOptions.ParseJavaRelease(parse);
        var chainFile = parse.GetValue(ChainArgument)!;
        InputChecks.RequireReadableFile(chainFile.FullName, "chain");
        var store = LoadTrustStoreOrSystem(parse, stderr);
        var host = parse.GetValue(CommonOptions.Host);
        var keylogs = parse.GetValue(CommonOptions.Keylog) ?? [];
        if (CaptureChains.LooksLikeCapture(chainFile.FullName))
        {
            // A key log lets the chains of TLS 1.3 handshakes (sent encrypted) be read from the capture too.
            var decryptors = keylogs.Length > 0 ? KeyLogInput.Load(keylogs, stderr) : null;
            return CaptureChains.Verify(chainFile, store, host, CommonOptions.ParseAt(parse), profile, partial, tls, format, stdout, decryptors, security, release);
        }
        if (keylogs.Length > 0)
        {
            throw new UserErrorException(ExitCode.Usage, "--keylog applies to a capture, and CHAIN is a certificate file");
        }
        var chain = ChainInput.Read(chainFile);

        var verdict = ChainValidator.Validate(new ValidationRequest(chain.Select(c => c.Der).ToList(), store, host, at, profile)
        {
            TlsVersion = tls,
            AllowPartialChain = partial,
            JavaSecurity = security,
            Java = release,
        });

        switch (format)
        {
            case "json":
                VerdictJson.Write(stdout, verdict, store);
                break;
            case "csv":
                VerdictCsv.Write(stdout, verdict);
                break;
            default:
                VerdictConsole.Write(stdout, verdict, store, tls);
                break;
        }
        if (parse.GetValue(ExportNeededOption) is { } export)
        {
            try
            {
                File.WriteAllText(export.FullName, string.Concat(verdict.NeededInTrustStore.Select(c => c.ToPem())));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserErrorException(ExitCode.OutputError, $"{export.FullName}: {e.Message}", e);
            }
            stderr.WriteLine(verdict.NeededInTrustStore.Count == 0
                ? $"pcaptls: no certificate is known to be missing from the truststore; {export.Name} is empty"
                : $"pcaptls: wrote {verdict.NeededInTrustStore.Count} certificate(s) to {export.FullName}");
        }
        return (int)(verdict.Trusted ? ExitCode.Ok : ExitCode.NotTrusted);
    }

    internal static TrustStore LoadTrustStoreOrSystem(ParseResult parse, TextWriter stderr)
    {
        var store = CommonOptions.LoadTrustStore(parse, stderr);
        if (store is not null)
        {
            return store;
        }
        try
        {
            return TrustStore.SystemRoots();
        }
        catch (TrustStoreException e)
        {
            throw new UserErrorException(ExitCode.InputError, e.Message + "; give one with --truststore", e);
        }
    }
}

/// <summary>
/// A capture given as CHAIN: every distinct server chain in it is verified, each with its connection's host (SNI
/// unless --host is given) and time (the packet that carried the Certificate unless --at is given).
/// </summary>
internal static class CaptureChains
{
    private static readonly uint[] Magics = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a];

    private static bool IsTls13(Analysis.HandshakeReport h) => h.Version is "TLS 1.3" or "TLSv1.3";

    public static bool LooksLikeCapture(string path)
    {
        var head = new byte[4];
        using var f = File.OpenRead(path);
        if (f.Read(head) < 4)
        {
            return false;
        }
        var magic = (uint)(head[0] << 24 | head[1] << 16 | head[2] << 8 | head[3]);
        return Magics.Contains(magic) || head[0] == 0x1f && head[1] == 0x8b;
    }

    public static int Verify(FileInfo file, TrustStore store, string? host, DateTimeOffset? at, ClientProfile profile, bool partial, ushort tls, string format, TextWriter stdout,
        Analysis.IHandshakeDecryptorFactory? decryptors = null, JavaSecurity? security = null, JavaRelease? release = null)
    {
        Analysis.AnalysisReport report;
        try
        {
            report = Analysis.CaptureAnalyzer.AnalyzeFile(file.FullName, new Analysis.AnalysisOptions { TrustStore = store, Host = host, At = at, Profile = profile, AllowPartialChain = partial, Decryptors = decryptors, JavaSecurity = security ?? JavaSecurity.Jdk17, Java = release ?? JavaRelease.Default });
        }
        catch (Exception e) when (e is IOException or Capture.CaptureFormatException)
        {
            throw new UserErrorException(ExitCode.InputError, $"{file.FullName}: {e.Message}", e);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var results = new List<(Analysis.HandshakeReport Handshake, ChainVerdict Verdict)>();
        foreach (var h in report.Handshakes.Where(h => h.ServerChainDer.Count > 0))
        {
            var name = host ?? h.Sni;
            var when = at ?? h.ValidatedAt ?? h.StartTime;
            var version = IsTls13(h) ? (ushort)0x0304 : tls;
            var key = string.Join(",", h.ServerChainDer.Select(d => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(d)))) + "|" + name + "|" + when.ToUnixTimeSeconds();
            if (!seen.Add(key))
            {
                continue;
            }
            results.Add((h, ChainValidator.Validate(new ValidationRequest(h.ServerChainDer, store, name, when, profile) { TlsVersion = version, AllowPartialChain = partial, JavaSecurity = security ?? JavaSecurity.Jdk17, Java = release ?? JavaRelease.Default })));
        }
        if (results.Count == 0)
        {
            throw new UserErrorException(ExitCode.InputError, $"{file.FullName}: no server certificate chain in the capture (TLS 1.3 chains need --keylog with analyze)");
        }
        if (format == "json")
        {
            stdout.WriteLine("[");
            for (var i = 0; i < results.Count; i++)
            {
                var w = new StringWriter();
                VerdictJson.Write(w, results[i].Verdict, store);
                stdout.Write(w.ToString().TrimEnd());
                stdout.WriteLine(i < results.Count - 1 ? "," : "");
            }
            stdout.WriteLine("]");
        }
        else
        {
            foreach (var (h, v) in results)
            {
                stdout.WriteLine($"== {h.Client} -> {h.Server}, packet {h.StartPacket}{(h.Sni is null ? "" : $", SNI {h.Sni}")}");
                if (format == "csv")
                {
                    VerdictCsv.Write(stdout, v);
                }
                else
                {
                    VerdictConsole.Write(stdout, v, store, IsTls13(h) ? (ushort)0x0304 : tls);
                }
                stdout.WriteLine();
            }
        }
        return (int)(results.All(r => r.Verdict.Trusted) ? ExitCode.Ok : ExitCode.NotTrusted);
    }
}

/// <summary>Reads a chain file given on the command line, with one-line errors.</summary>
internal static class ChainInput
{
    public static IReadOnlyList<CertificateInfo> Read(FileInfo file)
    {
        InputChecks.RequireReadableFile(file.FullName, "chain");
        if (file.Length > CertificateFile.MaxFileBytes)
        {
            throw new UserErrorException(ExitCode.InputError, $"{file.FullName}: {file.Length} bytes is too large for a certificate chain");
        }
        var certs = CertificateFile.Read(File.ReadAllBytes(file.FullName));
        if (certs.Count == 0)
        {
            throw new UserErrorException(ExitCode.InputError, $"{file.FullName}: no certificate found (expected PEM, DER, or openssl s_client -showcerts output)");
        }
        if (certs.FirstOrDefault(c => !c.IsParsed) is { } broken)
        {
            throw new UserErrorException(ExitCode.InputError, $"{file.FullName}: certificate #{certs.ToList().IndexOf(broken) + 1} does not parse ({broken.ParseError})");
        }
        return certs;
    }
}

/// <summary>The verdict as text for a terminal or a ticket.</summary>
internal static class VerdictConsole
{
    private static readonly Dictionary<byte, string> AlertNames = new()
    {
        [40] = "handshake_failure",
        [42] = "bad_certificate",
        [43] = "unsupported_certificate",
        [44] = "certificate_revoked",
        [45] = "certificate_expired",
        [46] = "certificate_unknown",
        [48] = "unknown_ca",
        [51] = "decrypt_error",
        [80] = "internal_error",
    };

    public static string Alert(byte a) => AlertNames.TryGetValue(a, out var n) ? $"{a} ({n})" : a.ToString(CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z";

    public static void Write(TextWriter o, ChainVerdict v, TrustStore store, ushort tls)
    {
        o.WriteLine($"Verdict: {(v.Trusted ? "TRUSTED" : "NOT TRUSTED")} ({v.Profile.ToString().ToLowerInvariant()} rules, TLS {(tls >= 0x0304 ? "1.3" : "1.2")}, at {Time(v.At)})");
        if (!v.Trusted)
        {
            o.WriteLine($"Client would say: {v.ClientMessage}");
            if (v.PredictedAlert is { } a)
            {
                o.WriteLine($"Client alert: {Alert(a)}");
            }
            for (var i = 0; i < v.JavaCauseChain.Count; i++)
            {
                o.WriteLine(i == 0 ? $"Java exception (JDK {v.JavaRelease.Version}): {v.JavaCauseChain[0]}" : $"  Caused by: {v.JavaCauseChain[i]}");
            }
        }
        o.WriteLine();
        o.WriteLine($"Chain sent ({v.Sent.Count} certificate{(v.Sent.Count == 1 ? "" : "s")}):");
        for (var i = 0; i < v.Sent.Count; i++)
        {
            var c = v.Sent[i];
            o.WriteLine($"  #{i + 1} {c.Subject}");
            o.WriteLine($"     issuer {c.Issuer}");
            o.WriteLine($"     valid {Time(c.NotBefore)} .. {Time(c.NotAfter)}; {c.PublicKeyAlgorithm} {c.PublicKeySize}, {c.SignatureAlgorithm}");
            o.WriteLine($"     SHA-256 {c.Sha256Hex}");
            if (i == 0 && (c.DnsNames.Count > 0 || c.IpAddresses.Count > 0))
            {
                o.WriteLine($"     names {string.Join(", ", c.DnsNames.Select(d => "DNS:" + d).Concat(c.IpAddresses.Select(p => "IP:" + p)))}");
            }
        }
        o.WriteLine();
        o.WriteLine($"Truststore: {store.Source} ({store.Format}, {store.Entries.Count} entr{(store.Entries.Count == 1 ? "y" : "ies")}, Java sees {store.JavaVisibleCount})");
        foreach (var w in store.Warnings)
        {
            o.WriteLine($"  warning: {w}");
        }
        o.WriteLine($"Host name: {(v.HostName.Checked ? $"{v.HostName.Host}: {(v.HostName.Matched ? "matches" : "does NOT match")} ({v.HostName.Explanation})" : v.HostName.Explanation)}");
        if (v.Path is { } path)
        {
            o.WriteLine($"Path: {string.Join(" <- ", path.Select(c => c.DisplayName))}");
        }
        if (v.Findings.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("Causes:");
            foreach (var f in v.Findings)
            {
                o.WriteLine($"  [{f.Code.ToCode()}] {f.Summary} (certainty: {f.Certainty.ToString().ToLowerInvariant()})");
                o.WriteLine($"     evidence: {f.Evidence}");
                o.WriteLine($"     fix: {f.Fix}");
            }
        }
        if (!v.Trusted)
        {
            o.WriteLine();
            o.WriteLine("Path search (issuers tried for each certificate):");
            foreach (var line in v.Explanation.Render().TrimEnd('\n').Split('\n'))
            {
                o.WriteLine("  " + line);
            }
        }
        var issues = v.Quality.Issues;
        if (issues.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("Chain quality:");
            foreach (var q in issues)
            {
                o.WriteLine($"  - {q}");
            }
        }
        o.WriteLine();
        o.WriteLine("Chain vs truststore:");
        TruststoreCommand.WriteComparison(o, v.Comparison);
        if (v.NeededInTrustStore.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("Needed in the truststore (--export-needed FILE writes them as PEM):");
            foreach (var c in v.NeededInTrustStore)
            {
                o.WriteLine($"  {c.Subject} SHA-256 {c.Sha256Hex}");
            }
        }
    }
}

/// <summary>The verdict as one CSV row per cause (a trusted chain gives a header only).</summary>
internal static class VerdictCsv
{
    public static void Write(TextWriter o, ChainVerdict v)
    {
        o.WriteLine("trusted,client_message,alert,cause,certainty,summary,evidence,fix");
        foreach (var f in v.Findings)
        {
            o.WriteLine(string.Join(",", Cell(v.Trusted ? "true" : "false"), Cell(v.ClientMessage), Cell(v.PredictedAlert?.ToString(CultureInfo.InvariantCulture)),
                Cell(f.Code.ToCode()), Cell(f.Certainty.ToString().ToLowerInvariant()), Cell(f.Summary), Cell(f.Evidence), Cell(f.Fix)));
        }
    }

    private static string Cell(string? s)
    {
        s ??= "";
        return s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
    }
}

/// <summary>The verdict as JSON (camelCase, stable field names). Built as a JsonNode tree, not serialized from
/// objects by reflection, so the NativeAOT build (trimmed, no runtime code generation) writes the same document.</summary>
internal static class VerdictJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static JsonObject Certificate(CertificateInfo c) => new()
    {
        ["subject"] = c.Subject,
        ["issuer"] = c.Issuer,
        ["serial"] = c.SerialHex,
        ["notBefore"] = c.NotBefore,
        ["notAfter"] = c.NotAfter,
        ["sha256"] = c.Sha256Hex,
        ["spkiSha256"] = c.SpkiSha256Hex,
        ["dnsNames"] = Strings(c.DnsNames),
        ["ipAddresses"] = Strings(c.IpAddresses),
        ["isCa"] = c.IsCa,
        ["selfSigned"] = c.IsSelfSigned,
        ["subjectKeyId"] = c.SubjectKeyId,
        ["authorityKeyId"] = c.AuthorityKeyId,
        ["signatureAlgorithm"] = c.SignatureAlgorithm,
        ["publicKey"] = $"{c.PublicKeyAlgorithm} {c.PublicKeySize}",
        ["caIssuers"] = Strings(c.CaIssuersUrls),
    };

    /// <summary>A JSON array of strings.</summary>
    public static JsonArray Strings(IEnumerable<string?> items) => Array(items, s => s);

    /// <summary>A JSON array of one node per item.</summary>
    public static JsonArray Array<T>(IEnumerable<T> items, Func<T, JsonNode?> node)
    {
        var a = new JsonArray();
        foreach (var item in items)
        {
            a.Add(node(item));
        }
        return a;
    }

    private static JsonObject Node(PathNode n) => new()
    {
        ["certificate"] = n.Certificate.Subject,
        ["sha256"] = n.Certificate.Sha256Hex,
        ["origin"] = n.Origin,
        ["anchor"] = n.IsAnchor,
        ["problem"] = n.Problem,
        ["issuerNotFound"] = n.IssuerNotFound,
        ["attempts"] = Array(n.Attempts, a => new JsonObject
        {
            ["candidate"] = a.Candidate.Subject,
            ["sha256"] = a.Candidate.Sha256Hex,
            ["origin"] = a.Origin,
            ["trusted"] = a.Trusted,
            ["accepted"] = a.Accepted,
            ["rejection"] = a.Accepted ? null : a.Rejection.ToString(),
            ["reason"] = a.Reason,
            ["next"] = a.Continuation is { IsAnchor: false } c ? Node(c) : null,
        }),
    };

    public static void Write(TextWriter o, ChainVerdict v, TrustStore store)
    {
        var doc = new JsonObject
        {
            ["trusted"] = v.Trusted,
            ["client"] = v.Profile.ToString().ToLowerInvariant(),
            ["at"] = v.At,
            ["clientMessage"] = v.ClientMessage,
            ["alert"] = v.PredictedAlert,
            ["javaRelease"] = v.Profile == ClientProfile.Java ? v.JavaRelease.Version : null,
            ["javaCauseChain"] = v.Profile == ClientProfile.Java ? Strings(v.JavaCauseChain) : null,
            ["causes"] = Array(v.Findings, f => new JsonObject { ["code"] = f.Code.ToCode(), ["certainty"] = f.Certainty.ToString().ToLowerInvariant(), ["summary"] = f.Summary, ["evidence"] = f.Evidence, ["fix"] = f.Fix }),
            ["hostName"] = new JsonObject { ["host"] = v.HostName.Host, ["checked"] = v.HostName.Checked, ["matched"] = v.HostName.Matched, ["method"] = v.HostName.Method, ["presented"] = Strings(v.HostName.Presented), ["explanation"] = v.HostName.Explanation },
            ["chain"] = Array(v.Sent, Certificate),
            ["path"] = v.Path is { } path ? Array(path, c => c.Sha256Hex) : null,
            ["explanation"] = v.Explanation.Root is { } r ? Node(r) : null,
            ["notes"] = Strings(v.Explanation.Notes),
            ["quality"] = new JsonObject
            {
                ["incomplete"] = v.Quality.Incomplete,
                ["extra"] = Array(v.Quality.Extra, c => c.Sha256Hex),
                ["duplicates"] = Array(v.Quality.Duplicates, c => c.Sha256Hex),
                ["wrongOrder"] = v.Quality.WrongOrder,
                ["anchorIncluded"] = v.Quality.AnchorIncluded,
                ["expiringSoon"] = Array(v.Quality.ExpiringSoon, c => c.Sha256Hex),
                ["weak"] = Strings(v.Quality.Weak),
            },
            ["truststore"] = new JsonObject { ["source"] = store.Source, ["format"] = store.Format.ToString(), ["entries"] = store.Entries.Count, ["javaVisible"] = store.JavaVisibleCount, ["warnings"] = Strings(store.Warnings) },
            ["comparison"] = Array(v.Comparison.Rows, TruststoreCommand.RowJson),
            ["neededInTruststore"] = Array(v.NeededInTrustStore, c => new JsonObject { ["subject"] = c.Subject, ["sha256"] = c.Sha256Hex, ["pem"] = c.ToPem() }),
        };
        WriteObject(o, doc);
    }

    public static void WriteObject(TextWriter o, JsonNode doc) => o.WriteLine(doc.ToJsonString(Options));

    internal static string Kebab(string name)
    {
        var sb = new StringBuilder();
        foreach (var ch in name)
        {
            if (char.IsUpper(ch) && sb.Length > 0)
            {
                sb.Append('-');
            }
            sb.Append(char.ToLowerInvariant(ch));
        }
        return sb.ToString();
    }
}
