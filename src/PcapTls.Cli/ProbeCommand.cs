using System.CommandLine;
using System.Globalization;
using PcapTls.Probe;
using PcapTls.Validation;

namespace PcapTls.Cli;

/// <summary>
/// <c>pcaptls probe HOST:PORT</c>: connects like the client would, records the chain the server sends, hangs up
/// before the handshake completes, and validates the chain with the same rules as <c>analyze</c>. When the server
/// asks for a client certificate and its chain is trusted, a second connection checks whether the server requires
/// one (or accepts --client-cert/--client-keystore).
/// Exit codes: 0 trusted, 1 not trusted (or no chain, or the server refuses the client), 3 no connection or no
/// answer (one line on stderr).
/// </summary>
internal static class ProbeCommand
{
    private static readonly Argument<string> TargetArgument = new("target")
    {
        Description = "The server as HOST:PORT (an IPv6 address as [ADDRESS]:PORT).",
    };

    private static readonly Option<string?> SniOption = new("--sni")
    {
        Description = "The server name to send (default: --host, else HOST; none for an IP address).",
    };

    private static readonly Option<bool> Tls12Option = new("--tls1.2")
    {
        Description = "Offer TLS 1.2 only.",
    };

    private static readonly Option<bool> Tls13Option = new("--tls1.3")
    {
        Description = "Offer TLS 1.3 only (default: TLS 1.3 and 1.2, as a current client).",
    };

    private static readonly Option<string?> CiphersOption = new("--ciphers")
    {
        Description = "Offer only these cipher suites, as the client's configuration lists them (IANA names, comma separated, e.g. TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; default: every suite the probe knows).",
    };

    private static readonly Option<string> TimeoutOption = new("--timeout")
    {
        Description = "Give up after this long: 10s (default), 500ms, 1m, or plain seconds.",
        DefaultValueFactory = _ => "10s",
    };

    private static readonly Option<FileInfo?> ClientCertOption = new("--client-cert")
    {
        Description = "The client certificate (PEM, the client's own first, then any intermediates) to present when the server asks for one; with --client-key. Default: none (an empty Certificate message, a client without one).",
    };

    private static readonly Option<FileInfo?> ClientKeyOption = new("--client-key")
    {
        Description = "The unencrypted PEM private key of --client-cert (PKCS#8, RSA or EC).",
    };

    private static readonly Option<FileInfo?> ClientKeystoreOption = new("--client-keystore")
    {
        Description = "The client's key and certificate as a PKCS#12 keystore (.p12/.pfx; export a JKS with keytool -importkeystore), instead of --client-cert/--client-key.",
    };

    private static readonly Option<string?> ClientKeystorePasswordEnvOption = new("--client-keystore-password-env")
    {
        Description = "Name of an environment variable holding the --client-keystore password.",
    };

    // Its own --format: a probe report has no CSV form (analyze's option lists csv).
    private static readonly Option<string> FormatOption = new("--format", "-f")
    {
        Description = "Output format: console (default) or json.",
        DefaultValueFactory = _ => "console",
    };

    /// <summary>The longest --timeout accepted: a probe that waits longer is a mistake in the unit.</summary>
    private const int MaxTimeoutSeconds = 600;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("probe", "Connect to a server like the client would, record the certificate chain it sends (hanging up before the handshake completes), and explain whether the client would trust it; when the server asks for a client certificate and the chain is trusted, a second connection checks whether the server requires one (or accepts --client-cert).");
        command.Arguments.Add(TargetArgument);
        command.Options.Add(SniOption);
        command.Options.Add(Tls12Option);
        command.Options.Add(Tls13Option);
        command.Options.Add(CiphersOption);
        command.Options.Add(ClientCertOption);
        command.Options.Add(ClientKeyOption);
        command.Options.Add(ClientKeystoreOption);
        command.Options.Add(ClientKeystorePasswordEnvOption);
        CommonOptions.AddValidationOptions(command);
        command.Options.Add(TimeoutOption);
        command.Options.Add(FormatOption);
        command.SetAction(parse => Run(parse, stdout, stderr));
        return command;
    }

    private static int Run(ParseResult parse, TextWriter stdout, TextWriter stderr)
    {
        if (!ProbeTarget.TryParse(parse.GetValue(TargetArgument), out var target, out var targetError))
        {
            throw new UserErrorException(ExitCode.Usage, targetError);
        }
        var tls12 = parse.GetValue(Tls12Option);
        var tls13 = parse.GetValue(Tls13Option);
        if (tls12 && tls13)
        {
            throw new UserErrorException(ExitCode.Usage, "--tls1.2 and --tls1.3 exclude each other (give neither to offer both)");
        }
        var json = (parse.GetValue(FormatOption) ?? "console").ToLowerInvariant() switch
        {
            "console" or "text" => false,
            "json" => true,
            var f => throw new UserErrorException(ExitCode.Usage, $"--format must be console or json, not '{f}'"),
        };
        IReadOnlyList<int>? ciphers = null;
        if (parse.GetValue(CiphersOption) is { } cipherText)
        {
            if (!CipherSuiteList.TryParse(cipherText, out var parsed, out var cipherError))
            {
                throw new UserErrorException(ExitCode.Usage, "--ciphers: " + cipherError);
            }
            foreach (var c in parsed.Where(c => !ServerProbe.CanOffer(c)))
            {
                throw new UserErrorException(ExitCode.Usage, $"--ciphers: the probe cannot offer 0x{c:X4} (BouncyCastle does not implement it)");
            }
            ciphers = parsed;
        }
        var timeout = ParseTimeout(parse.GetValue(TimeoutOption) ?? "10s");
        var clientCredentials = ParseClientCredentials(parse);
        var (profile, partial) = CommonOptions.ParseClient(parse);
        var store = CommonOptions.LoadTrustStore(parse, stderr);
        if (store is null)
        {
            try
            {
                store = TrustStore.SystemRoots();
            }
            catch (TrustStoreException e)
            {
                throw new UserErrorException(ExitCode.InputError, e.Message + "; give the client's truststore with --truststore", e);
            }
        }
        var options = new ProbeOptions
        {
            Sni = parse.GetValue(SniOption),
            Versions = tls12 ? TlsVersionChoice.Tls12 : tls13 ? TlsVersionChoice.Tls13 : TlsVersionChoice.Any,
            CipherSuites = ciphers,
            Timeout = timeout,
            TrustStore = store,
            HostName = parse.GetValue(CommonOptions.Host),
            At = CommonOptions.ParseAt(parse),
            Profile = profile,
            AllowPartialChain = partial,
            JavaSecurity = CommonOptions.LoadJavaSecurity(parse),
            Java = CommonOptions.ParseJavaRelease(parse),
            ClientCredentials = clientCredentials,
        };

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        ProbeDiagnosisResult result;
        try
        {
            result = ProbeDiagnosis.RunAsync(target, options, cancel.Token).GetAwaiter().GetResult();
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        if (result.Outcome == ProbeOutcome.Unreachable)
        {
            var cause = result.Findings.Count > 0 ? result.Findings[0].Code.ToCode() + ": " : "";
            throw new UserErrorException(ExitCode.InputError, $"probe {target}: {cause}{result.Probe.Error}");
        }
        if (json)
        {
            ProbeReport.WriteJson(result, stdout);
        }
        else
        {
            ProbeReport.WriteConsole(result, stdout);
        }
        stdout.Flush();
        return (int)(result.Outcome == ProbeOutcome.Trusted ? ExitCode.Ok : ExitCode.NotTrusted);
    }

    /// <summary>--client-cert with --client-key, or --client-keystore; null when none is given.</summary>
    private static ClientCredentials? ParseClientCredentials(ParseResult parse)
    {
        var cert = parse.GetValue(ClientCertOption);
        var key = parse.GetValue(ClientKeyOption);
        var keystore = parse.GetValue(ClientKeystoreOption);
        var passwordEnv = parse.GetValue(ClientKeystorePasswordEnvOption);
        if (keystore is not null && (cert is not null || key is not null))
        {
            throw new UserErrorException(ExitCode.Usage, "--client-keystore excludes --client-cert/--client-key (give one or the other)");
        }
        if ((cert is null) != (key is null))
        {
            throw new UserErrorException(ExitCode.Usage, "--client-cert and --client-key go together");
        }
        if (passwordEnv is not null && keystore is null)
        {
            throw new UserErrorException(ExitCode.Usage, "--client-keystore-password-env needs --client-keystore");
        }
        try
        {
            if (keystore is not null)
            {
                string? password = null;
                if (passwordEnv is not null)
                {
                    password = Environment.GetEnvironmentVariable(passwordEnv)
                        ?? throw new UserErrorException(ExitCode.Usage, $"--client-keystore-password-env: the environment variable {passwordEnv} is not set");
                }
                return ClientCredentials.FromPkcs12(keystore.ToString(), password);
            }
            return cert is null ? null : ClientCredentials.FromPem(cert.ToString(), key!.ToString());
        }
        catch (ClientCredentialsException e)
        {
            throw new UserErrorException(ExitCode.InputError, e.Message, e);
        }
    }

    /// <summary>"10s", "500ms", "2m", or a plain number of seconds.</summary>
    internal static TimeSpan ParseTimeout(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        var (number, scale) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1.0)
            : t.EndsWith('m') ? (t[..^1], 60.0)
            : (t, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value * scale < 0.001
            || value * scale > MaxTimeoutSeconds)
        {
            throw new UserErrorException(ExitCode.Usage, $"--timeout: '{text}' is not a duration between 1ms and {MaxTimeoutSeconds}s (e.g. 10s, 500ms)");
        }
        return TimeSpan.FromSeconds(value * scale);
    }
}
