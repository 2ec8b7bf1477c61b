using System.CommandLine;
using System.Globalization;
using PcapTls.Analysis;
using PcapTls.Analysis.Selection;
using PcapTls.Capture.Inputs;
using PcapTls.Live;

namespace PcapTls.Cli;

/// <summary>
/// analyze's selection: which handshakes to report (--server, --client-ip, --sni, --outcome, --from, --until:
/// applied to the report, so to every format and to --write-pcap) and which frames to read at all (--filter/-f,
/// a BPF expression compiled by libpcap and applied to each frame before decoding, as tcpdump -r does).
/// </summary>
internal static class SelectionOptions
{
    /// <summary>The format names -f took before it became the BPF filter: still accepted as the format, with a
    /// notice (no BPF expression is a bare "json").</summary>
    private static readonly string[] FormatNames = ["console", "text", "json", "csv"];

    public static readonly Option<string[]> Server = new("--server")
    {
        Description = "Only handshakes to this server: HOST[:PORT], where HOST is an IP address, a CIDR block (10.0.0.0/8, fd00::/8) or a host name matched against the SNI or the host checked (wildcards * and ?); IPv6 with a port as [addr]:port. May be repeated (any of them).",
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string[]> ClientAddress = new("--client-ip")
    {
        Description = "Only handshakes from this client: ADDRESS[:PORT], an IP address or CIDR block (--client ADDRESS says the same; --client java|openssl|curl names the client's validation rules). May be repeated.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string[]> Sni = new("--sni")
    {
        Description = "Only handshakes whose SNI matches PATTERN (wildcards * and ?, case-insensitive); 'none' for handshakes without SNI. May be repeated.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string[]> Outcome = new("--outcome")
    {
        Description = "Only handshakes with this outcome: completed, failed, incomplete, not-tls, refused, or failures (every handshake --only failed keeps). Comma-separated or repeated.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string?> From = new("--from")
    {
        Description = "Only handshakes starting at or after TIME (ISO 8601; UTC unless it says otherwise).",
    };

    public static readonly Option<string?> Until = new("--until")
    {
        Description = "Only handshakes starting at or before TIME (ISO 8601; UTC unless it says otherwise).",
    };

    public static readonly Option<string?> Filter = new("--filter", "-f")
    {
        Description = "A BPF filter (tcpdump syntax, compiled by libpcap) applied to every frame before decoding, e.g. 'host 10.1.2.3 and tcp port 443'. Needs libpcap. (-f followed by console, json or csv is still read as --format, with a notice.)",
    };

    public static void AddTo(Command command)
    {
        command.Options.Add(Server);
        command.Options.Add(ClientAddress);
        command.Options.Add(Sni);
        command.Options.Add(Outcome);
        command.Options.Add(From);
        command.Options.Add(Until);
        command.Options.Add(Filter);
    }

    /// <summary>The BPF expression and the format, sorting out the old '-f FORMAT'.</summary>
    public static (string? Filter, string Format) FilterAndFormat(ParseResult parse, Option<string> format, TextWriter stderr)
    {
        var filter = parse.GetValue(Filter);
        var formatText = parse.GetValue(format) ?? "console";
        if (filter is not null && FormatNames.Contains(filter.Trim().ToLowerInvariant()))
        {
            if (parse.GetResult(format) is { Implicit: false })
            {
                throw new UserErrorException(ExitCode.Usage, $"-f '{filter}' and --format '{formatText}': -f is the BPF filter now; give the format once, with --format");
            }
            stderr.WriteLine($"pcaptls: note: '-f {filter}' is read as --format {filter}; -f is now the BPF filter (as in tcpdump and tshark): write --format {filter}");
            return (null, filter);
        }
        return (filter, formatText);
    }

    /// <summary>The capture with the BPF filter in front of it (compiled now: a bad expression fails before reading).</summary>
    public static ICaptureInput WithFilter(ICaptureInput input, string? expression)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            return input;
        }
        try
        {
            return new FilteredCapture(input, BpfPacketFilter.Create(expression));
        }
        catch (LiveCaptureException e)
        {
            throw new UserErrorException(ExitCode.CaptureError, $"--filter: {e.Message}", e);
        }
    }

    /// <summary>The note that says what the BPF filter kept.</summary>
    public static string FilterNote(FilteredCapture filtered) => string.Create(CultureInfo.InvariantCulture,
        $"{filtered.Filter.Description} (libpcap) kept {filtered.Kept} of {filtered.Seen} packets; packets keep their numbers in the file.");

    public static HandshakeSelection Parse(ParseResult parse)
    {
        var described = new List<string>();
        var servers = Endpoints(parse.GetValue(Server), "--server", allowNames: true, described);
        var clients = Endpoints(parse.GetValue(ClientAddress), "--client-ip", allowNames: false, described);
        clients.AddRange(Endpoints([.. (parse.GetValue(CommonOptions.Client) ?? []).Where(v => !CommonOptions.IsClientRules(v))], "--client", allowNames: false, described, " (nor java, openssl or curl, the client's rules)"));
        var snis = new List<NamePattern>();
        var sniAbsent = false;
        foreach (var s in parse.GetValue(Sni) ?? [])
        {
            described.Add($"--sni {s}");
            if (s.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                sniAbsent = true;
            }
            else if (NamePattern.TryParse(s, out var p))
            {
                snis.Add(p!);
            }
            else
            {
                throw new UserErrorException(ExitCode.Usage, $"--sni: '{s}' is not a host name pattern (letters, digits, '-', '.', '*', '?')");
            }
        }
        var outcomes = new HashSet<HandshakeOutcome>();
        var failures = false;
        foreach (var value in (parse.GetValue(Outcome) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            described.Add($"--outcome {value}");
            if (value.Equals("failures", StringComparison.OrdinalIgnoreCase))
            {
                failures = true;
            }
            else if (Enum.GetValues<HandshakeOutcome>().Where(o => o.ToCode() == value.ToLowerInvariant()).ToList() is [var outcome])
            {
                outcomes.Add(outcome);
            }
            else
            {
                throw new UserErrorException(ExitCode.Usage, $"--outcome must be completed, failed, incomplete, not-tls, refused or failures, not '{value}'");
            }
        }
        var from = Time(parse.GetValue(From), "--from", described);
        var until = Time(parse.GetValue(Until), "--until", described);
        if (from is { } f && until is { } u && u < f)
        {
            throw new UserErrorException(ExitCode.Usage, "--until is before --from");
        }
        return new HandshakeSelection
        {
            Servers = servers,
            Clients = clients,
            Snis = snis,
            SniAbsent = sniAbsent,
            Outcomes = outcomes,
            Failures = failures,
            From = from,
            Until = until,
            Description = string.Join(" ", described),
        };
    }

    private static List<EndpointPattern> Endpoints(string[]? values, string option, bool allowNames, List<string> described, string hint = "")
    {
        var list = new List<EndpointPattern>();
        foreach (var v in values ?? [])
        {
            described.Add($"{option} {v}");
            if (!EndpointPattern.TryParse(v, allowNames, out var p, out var error))
            {
                throw new UserErrorException(ExitCode.Usage, $"{option}: {error}{hint}");
            }
            list.Add(p!);
        }
        return list;
    }

    private static DateTimeOffset? Time(string? text, string option, List<string> described)
    {
        if (text is null)
        {
            return null;
        }
        described.Add($"{option} {text}");
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            return t;
        }
        throw new UserErrorException(ExitCode.Usage, $"{option}: '{text}' is not a date and time (use ISO 8601, e.g. 2026-11-26T12:00:00Z)");
    }
}
