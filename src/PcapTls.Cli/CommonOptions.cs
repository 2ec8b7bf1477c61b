using System.CommandLine;
using System.Globalization;
using PcapTls.Analysis;
using PcapTls.Reporting;
using PcapTls.Validation;

namespace PcapTls.Cli;

/// <summary>Options shared by analyze, live, verify and probe, so each is spelled and described once.</summary>
internal static class CommonOptions
{
    public static readonly Option<FileInfo?> TrustStore = new("--truststore", "-t")
    {
        Description = "The client's truststore: JKS, PKCS12, PEM bundle, DER file or a directory of them (default: the system roots).",
    };

    public static readonly Option<string?> TrustStorePasswordEnv = new("--truststore-password-env")
    {
        Description = "Name of an environment variable holding the truststore password (else you are prompted on a terminal; never echoed).",
    };

    public static readonly Option<string?> Host = new("--host")
    {
        Description = "The host name the client connects to (default: the target endpoint's URL host, else the SNI).",
    };

    public static readonly Option<string?> At = new("--at")
    {
        Description = "Validate at this time (ISO 8601, e.g. 2026-11-26T12:00:00Z) instead of the capture's own time.",
    };

    public static readonly Option<string[]> Client = new("--client")
    {
        Description = "Whose rules to apply: java (JSSE PKIX, default), openssl (s_client: self-signed anchors only) or curl (OpenSSL with partial chains). In analyze, an IP address or CIDR block (ADDRESS[:PORT]) instead keeps only the handshakes from that client, as --client-ip does. May be repeated.",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>The names --client takes for the client's rules; any other value is a client address (analyze).</summary>
    public static bool IsClientRules(string value) => value.ToLowerInvariant() is "java" or "openssl" or "curl";

    public static readonly Option<FileInfo?> JavaSecurityFile = new("--java-security")
    {
        Description = "The Java client's java.security or override file (as -Djava.security.properties=FILE): its jdk.certpath.disabledAlgorithms and jdk.tls.disabledAlgorithms replace the JDK 17 defaults.",
    };

    public static readonly Option<string?> JavaReleaseOption = new("--java-release")
    {
        Description = "The JDK 17 update the Java client runs (e.g. 17.0.21): from 17.0.16 the message starts with the alert's name and TLS 1.3 alerts follow the reason. Default 17.0.15.",
    };

    public static readonly Option<FileInfo[]> Keylog = new("--keylog")
    {
        Description = "NSS key log file(s) (SSLKEYLOGFILE, client or server side) to decrypt TLS 1.3 handshakes; may be repeated.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<FileInfo?> TargetEndpoint = new("--target-endpoint")
    {
        Description = "An Apigee TargetEndpoint XML: the host comes from its <URL>; the report names its <TrustStore> and whether <SSLInfo> validates.",
    };

    public static readonly Option<string> Format = new("--format", "-f")
    {
        Description = "Output format: console (default), json or csv.",
        DefaultValueFactory = _ => "console",
    };

    public static readonly Option<string> Color = new("--color")
    {
        Description = "Colour: auto (default: only on a terminal), always or never.",
        DefaultValueFactory = _ => "auto",
    };

    public static void AddValidationOptions(Command command)
    {
        command.Options.Add(TrustStore);
        command.Options.Add(TrustStorePasswordEnv);
        command.Options.Add(Host);
        command.Options.Add(At);
        command.Options.Add(Client);
        command.Options.Add(JavaSecurityFile);
        command.Options.Add(JavaReleaseOption);
    }

    /// <summary>--java-release: the JDK 17 update whose messages and alerts are predicted; another version is a usage error.</summary>
    public static JavaRelease ParseJavaRelease(ParseResult parse)
    {
        if (parse.GetValue(JavaReleaseOption) is not { } text)
        {
            return JavaRelease.Default;
        }
        return JavaRelease.ForVersion(text.Trim())
            ?? throw new UserErrorException(ExitCode.Usage, $"--java-release: '{text}' is not a JDK 17 version (17.0.N; the releases proven are {JavaRelease.Java17u15.Version} and {JavaRelease.Java17u21.Version})");
    }

    /// <summary>--java-security: the file over the JDK 17 defaults, or the defaults; a file Java would refuse is exit 3.</summary>
    public static JavaSecurity LoadJavaSecurity(ParseResult parse)
    {
        if (parse.GetValue(JavaSecurityFile) is not { } file)
        {
            return Validation.JavaSecurity.Jdk17;
        }
        try
        {
            return Validation.JavaSecurity.Load(file.FullName);
        }
        catch (JavaSecurityException e)
        {
            throw new UserErrorException(ExitCode.InputError, e.Message, e);
        }
    }

    public static OutputFormat ParseFormat(ParseResult parse) => ParseFormat(parse.GetValue(Format));

    public static OutputFormat ParseFormat(string? text) => (text ?? "console").ToLowerInvariant() switch
    {
        "console" or "text" => OutputFormat.Console,
        "json" => OutputFormat.Json,
        "csv" => OutputFormat.Csv,
        "html" => OutputFormat.Html,
        var f => throw new UserErrorException(ExitCode.Usage, $"--format must be console, json, csv or html, not '{f}'"),
    };

    /// <summary>The client's rules from --client. With <paramref name="selectsClients"/> (analyze) a value that is
    /// not a rules name is left to the selection (a client address); elsewhere it is a usage error.</summary>
    public static (ClientProfile Profile, bool AllowPartialChain) ParseClient(ParseResult parse, bool selectsClients = false)
    {
        var values = parse.GetValue(Client) ?? [];
        if (!selectsClients && values.FirstOrDefault(v => !IsClientRules(v)) is { } other)
        {
            throw new UserErrorException(ExitCode.Usage, $"--client must be java, openssl or curl, not '{other}'");
        }
        var rules = values.Where(IsClientRules).Select(v => v.ToLowerInvariant()).Distinct().ToList();
        if (rules.Count > 1)
        {
            throw new UserErrorException(ExitCode.Usage, $"--client: one client's rules at a time, not {string.Join(" and ", rules)}");
        }
        return rules.SingleOrDefault() switch
        {
            "openssl" => (ClientProfile.OpenSsl, false),
            "curl" => (ClientProfile.Curl, true),
            _ => (ClientProfile.Java, false),
        };
    }

    public static DateTimeOffset? ParseAt(ParseResult parse)
    {
        var text = parse.GetValue(At);
        if (text is null)
        {
            return null;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            return t;
        }
        throw new UserErrorException(ExitCode.Usage, $"--at: '{text}' is not a date and time (use ISO 8601, e.g. 2026-11-26T12:00:00Z)");
    }

    public static bool UseColor(ParseResult parse, TextWriter stdout, bool toFile)
    {
        return (parse.GetValue(Color) ?? "auto").ToLowerInvariant() switch
        {
            "always" => true,
            "never" => false,
            "auto" => !toFile && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null,
            var c => throw new UserErrorException(ExitCode.Usage, $"--color must be auto, always or never, not '{c}'"),
        };
    }

    public static TrustStore? LoadTrustStore(ParseResult parse, TextWriter stderr)
    {
        var file = parse.GetValue(TrustStore);
        if (file is null)
        {
            return null;
        }
        if (!file.Exists && !Directory.Exists(file.FullName))
        {
            throw new UserErrorException(ExitCode.InputError, $"{file.FullName}: no such truststore file");
        }
        string? password = null;
        if (parse.GetValue(TrustStorePasswordEnv) is { } env)
        {
            password = Environment.GetEnvironmentVariable(env)
                ?? throw new UserErrorException(ExitCode.Usage, $"--truststore-password-env: the environment variable {env} is not set");
        }
        try
        {
            return Validation.TrustStore.Load(file.ToString(), password);
        }
        catch (TrustStoreException e) when (password is null && e.Kind == TrustStoreErrorKind.WrongPassword && !Console.IsInputRedirected)
        {
            stderr.Write($"Password for {file.Name}: ");
            var prompted = PasswordPrompt.Read();
            stderr.WriteLine();
            try
            {
                return Validation.TrustStore.Load(file.ToString(), prompted);
            }
            catch (TrustStoreException e2)
            {
                throw new UserErrorException(ExitCode.InputError, e2.Message, e2);
            }
        }
        catch (TrustStoreException e)
        {
            throw new UserErrorException(ExitCode.InputError, e.Message, e);
        }
    }

    public static AnalysisOptions BuildAnalysisOptions(ParseResult parse, TextWriter stderr, bool selectsClients = false)
    {
        TargetEndpoint? target = null;
        if (parse.GetValue(TargetEndpoint) is { } te)
        {
            InputChecks.RequireReadableFile(te.FullName, "target endpoint");
            try
            {
                target = Analysis.TargetEndpoint.Load(te.FullName);
            }
            catch (FormatException e)
            {
                throw new UserErrorException(ExitCode.InputError, e.Message, e);
            }
        }
        var keylogs = parse.GetValue(Keylog) ?? [];
        IHandshakeDecryptorFactory? decryptors = null;
        if (keylogs.Length > 0)
        {
            decryptors = KeyLogInput.Load(keylogs, stderr);
        }
        var (profile, partial) = ParseClient(parse, selectsClients);
        return new AnalysisOptions
        {
            TrustStore = LoadTrustStore(parse, stderr),
            Host = parse.GetValue(Host),
            At = ParseAt(parse),
            Profile = profile,
            AllowPartialChain = partial,
            JavaSecurity = LoadJavaSecurity(parse),
            Java = ParseJavaRelease(parse),
            TargetEndpoint = target,
            Decryptors = decryptors,
            KeyLogFiles = [.. keylogs.Select(k => k.FullName)],
        };
    }
}
