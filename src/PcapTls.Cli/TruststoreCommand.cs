using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using PcapTls.Validation;

namespace PcapTls.Cli;

/// <summary>
/// `pcaptls truststore list FILE` (keytool -list, plus subject, issuer, validity, SHA-256 and key id) and
/// `pcaptls truststore compare FILE CHAIN` (each sent certificate against the truststore by SHA-256, key and name).
/// </summary>
internal static class TruststoreCommand
{
    private static readonly Argument<FileInfo> StoreArgument = new("truststore")
    {
        Description = "JKS, PKCS12, PEM bundle, DER file or a directory of certificates.",
    };

    private static readonly Argument<FileInfo> ChainArgument = new("chain")
    {
        Description = "The server's chain: PEM, DER, or openssl s_client -showcerts output.",
    };

    private static readonly Option<string?> PasswordEnvOption = new("--password-env", "--truststore-password-env")
    {
        Description = "Name of an environment variable holding the truststore password (default: keytool's 'changeit', then none).",
    };

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("truststore", "Inspect a truststore: list its entries, or compare it with a server's chain.");
        var list = new Command("list", "List the entries like keytool -list, with subject, issuer, validity, SHA-256 and key id.");
        list.Arguments.Add(StoreArgument);
        list.Options.Add(PasswordEnvOption);
        list.Options.Add(CommonOptions.Format);
        list.SetAction(parse => List(parse, stdout));
        var compare = new Command("compare", "Compare a server's chain with the truststore by SHA-256, public key (SPKI) and subject; show which certificate the truststore needs.");
        compare.Arguments.Add(StoreArgument);
        compare.Arguments.Add(ChainArgument);
        compare.Options.Add(PasswordEnvOption);
        compare.Options.Add(CommonOptions.Format);
        compare.SetAction(parse => Compare(parse, stdout));
        command.Subcommands.Add(list);
        command.Subcommands.Add(compare);
        return command;
    }

    private static TrustStore Load(ParseResult parse)
    {
        var file = parse.GetValue(StoreArgument)!;
        if (!file.Exists && !Directory.Exists(file.FullName))
        {
            throw new UserErrorException(ExitCode.InputError, $"{file.FullName}: no such truststore file");
        }
        string? password = null;
        if (parse.GetValue(PasswordEnvOption) is { } env)
        {
            password = Environment.GetEnvironmentVariable(env)
                ?? throw new UserErrorException(ExitCode.Usage, $"--password-env: the environment variable {env} is not set");
        }
        try
        {
            return TrustStore.Load(file.FullName, password);
        }
        catch (TrustStoreException e)
        {
            throw new UserErrorException(ExitCode.InputError, e.Message, e);
        }
    }

    private static string Format(ParseResult parse)
    {
        var f = (parse.GetValue(CommonOptions.Format) ?? "console").ToLowerInvariant();
        return f is "console" or "text" or "json" ? f : throw new UserErrorException(ExitCode.Usage, $"--format must be console or json here, not '{f}'");
    }

    /// <summary>keytool prints fingerprints as uppercase hex pairs separated by colons.</summary>
    private static string Colons(string hex) => string.Join(':', Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(i * 2, 2).ToUpperInvariant()));

    private static string EntryType(TrustStoreEntryType t) => t switch
    {
        TrustStoreEntryType.TrustedCertificate => "trustedCertEntry",
        TrustStoreEntryType.PrivateKey => "PrivateKeyEntry",
        TrustStoreEntryType.CertificateWithoutTrustAttribute => "certificate without trust attribute (invisible to Java)",
        _ => "certificate",
    };

    private static int List(ParseResult parse, TextWriter o)
    {
        var format = Format(parse);
        var store = Load(parse);
        if (format == "json")
        {
            VerdictJson.WriteObject(o, new JsonObject
            {
                ["source"] = store.Source,
                ["format"] = store.Format.ToString(),
                ["javaVisible"] = store.JavaVisibleCount,
                ["warnings"] = VerdictJson.Strings(store.Warnings),
                ["entries"] = VerdictJson.Array(store.Entries, e => new JsonObject { ["alias"] = e.Alias, ["type"] = EntryType(e.Type), ["visibleToJava"] = e.VisibleToJava, ["certificate"] = VerdictJson.Certificate(e.Certificate) }),
            });
            return (int)ExitCode.Ok;
        }
        o.WriteLine($"Keystore type: {store.Format}");
        o.WriteLine($"Keystore source: {store.Source}");
        o.WriteLine();
        o.WriteLine($"Your keystore contains {store.Entries.Count} entr{(store.Entries.Count == 1 ? "y" : "ies")} (a Java client sees {store.JavaVisibleCount})");
        foreach (var w in store.Warnings)
        {
            o.WriteLine($"warning: {w}");
        }
        foreach (var e in store.Entries)
        {
            var c = e.Certificate;
            o.WriteLine();
            o.WriteLine($"{e.Alias}, {EntryType(e.Type)},");
            o.WriteLine($"  Subject: {c.Subject}");
            o.WriteLine($"  Issuer:  {c.Issuer}{(c.IsSelfSigned ? " (self-signed)" : "")}");
            o.WriteLine($"  Valid:   {VerdictConsole.Time(c.NotBefore)} .. {VerdictConsole.Time(c.NotAfter)}");
            o.WriteLine($"  Certificate fingerprint (SHA-256): {Colons(c.Sha256Hex)}");
            o.WriteLine($"  Key id (SKI): {(c.SubjectKeyId is { } ski ? Colons(ski) : "(none)")}; key {c.PublicKeyAlgorithm} {c.PublicKeySize}; CA: {(c.IsCa is { } ca ? ca ? "yes" : "no" : "(no basic constraints)")}");
        }
        return (int)ExitCode.Ok;
    }

    private static int Compare(ParseResult parse, TextWriter o)
    {
        var format = Format(parse);
        var store = Load(parse);
        var chain = ChainInput.Read(parse.GetValue(ChainArgument)!);
        // The comparison does not depend on time or host; validating gives the needed certificates too.
        var verdict = ChainValidator.Validate(new ValidationRequest(chain.Select(c => c.Der).ToList(), store, null, DateTimeOffset.UtcNow));
        if (format == "json")
        {
            VerdictJson.WriteObject(o, new JsonObject
            {
                ["truststore"] = store.Source,
                ["entries"] = store.Entries.Count,
                ["javaVisible"] = store.JavaVisibleCount,
                ["rows"] = VerdictJson.Array(verdict.Comparison.Rows, RowJson),
                ["neededInTruststore"] = VerdictJson.Array(verdict.NeededInTrustStore, c => new JsonObject { ["subject"] = c.Subject, ["sha256"] = c.Sha256Hex, ["pem"] = c.ToPem() }),
            });
            return (int)ExitCode.Ok;
        }
        o.WriteLine($"Truststore: {store.Source} ({store.Entries.Count} entries, a Java client sees {store.JavaVisibleCount})");
        WriteComparison(o, verdict.Comparison);
        if (verdict.Findings.FirstOrDefault() is { } f)
        {
            o.WriteLine();
            o.WriteLine($"[{f.Code.ToCode()}] {f.Summary}");
            o.WriteLine($"  fix: {f.Fix}");
        }
        return (int)ExitCode.Ok;
    }

    public static JsonObject RowJson(TrustStoreComparisonRow r) => new()
    {
        ["index"] = r.Index + 1,
        ["subject"] = r.Sent.Subject,
        ["sha256"] = r.Sent.Sha256Hex,
        ["match"] = VerdictJson.Kebab(r.Match.ToString()),
        ["bySha256"] = r.BySha256?.Alias,
        ["bySpki"] = r.BySpki?.Alias,
        ["bySubject"] = VerdictJson.Strings(r.BySubject.Select(e => e.Alias)),
        ["issuerByName"] = VerdictJson.Strings(r.IssuerByName.Select(e => e.Alias)),
        ["verifyingIssuer"] = r.VerifyingIssuer?.Alias,
    };

    public static void WriteComparison(TextWriter o, TrustStoreComparison comparison)
    {
        foreach (var r in comparison.Rows)
        {
            var what = r.Match switch
            {
                TrustStoreMatch.SameCertificate => $"in the truststore as '{r.BySha256!.Alias}' (same SHA-256)",
                TrustStoreMatch.SameSubjectAndKey => $"'{r.BySpki!.Alias}' has the same subject and key (a re-issued copy: Java trusts it)",
                TrustStoreMatch.SameKey => $"'{r.BySpki!.Alias}' has the same public key under another name",
                TrustStoreMatch.SameSubjectDifferentKey => $"'{r.BySubject[0].Alias}' has the same subject but a DIFFERENT key: not the same certificate",
                TrustStoreMatch.IssuerTrusted => $"not in the truststore; its issuer '{r.VerifyingIssuer!.Alias}' is, and verifies its signature",
                TrustStoreMatch.IssuerNameOnly => $"not in the truststore; '{r.IssuerByName[0].Alias}' has its issuer's name but its key does NOT verify the signature",
                _ => "not in the truststore, nor its issuer",
            };
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  #{r.Index + 1} {r.Sent.Subject}: {what}"));
        }
    }
}
