using System.CommandLine;
using System.Globalization;
using PcapTls.Analysis;
using PcapTls.Capture.Inputs;
using PcapTls.Reporting.Support;
using PcapTls.Reporting.Wording;
using PcapTls.Support;
using PcapTls.Support.Apigee;
using PcapTls.Support.Correlation;
using PcapTls.Support.Logs;
using PcapTls.Support.MessageProcessor;
using PcapTls.Support.Router;

namespace PcapTls.Cli;

/// <summary>analyze's support-case inputs (issue #17): the Message Processor's logs, joined to the capture's handshakes.</summary>
internal static class SupportOptions
{
    public static readonly Option<FileInfo[]> MpLog = new("--mp-log")
    {
        Description = "An Apigee Message Processor system.log (plain or .gz; may be repeated): each handshakeFailed() line is joined to its handshake by the MP's Local and Remote address and port and the time, and the logged exception compared with the predicted one.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<FileInfo[]> RouterLog = new("--router-log")
    {
        Description = "An Edge router NGINX access log (ORG~ENV.PORT_access_log, plain or .gz; may be repeated): failed requests joined to the Message Processor log by message ID (client request -> router 503 -> MP handshake -> cause).",
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<DirectoryInfo?> TruststoreApi = new("--truststore-api")
    {
        Description = "A directory with the management API's truststore listing: certs.json (GET .../keystores/TS/certs), NAME.json (.../certs/NAME) and, where exported, NAME.pem; compared with each failed chain by key and fingerprint where a PEM is there (a name-only match is never proof of trust).",
    };

    public static readonly Option<DirectoryInfo?> Bundle = new("--bundle")
    {
        Description = "Write the evidence bundle into DIR (a new or empty folder; written whole or not at all): report.txt, report.json, the failing chains as PEM, the certificate(s) to import, the failing handshakes' packets and SUMMARY.md for the ticket.",
    };

    public static readonly Option<double?> LogSkew = new("--log-skew")
    {
        Description = "Seconds a log line may lie outside its handshake's first to last packet and still be joined to it (default 5).",
    };

    public static readonly Option<string?> LogUtcOffset = new("--log-utc-offset")
    {
        Description = "The time zone the logs' times are written in, as an offset from UTC (e.g. +01:00; default +00:00).",
    };

    public static void Add(Command command)
    {
        command.Options.Add(MpLog);
        command.Options.Add(RouterLog);
        command.Options.Add(TruststoreApi);
        command.Options.Add(Bundle);
        command.Options.Add(LogSkew);
        command.Options.Add(LogUtcOffset);
    }

    /// <summary>Checks the inputs before the capture is read, so a typo fails in a second (exit 3), not after the analysis.</summary>
    public static void CheckInputs(ParseResult parse)
    {
        foreach (var f in parse.GetValue(MpLog) ?? [])
        {
            InputChecks.RequireReadableFile(f.FullName, "Message Processor log");
        }
        foreach (var f in parse.GetValue(RouterLog) ?? [])
        {
            InputChecks.RequireReadableFile(f.FullName, "router access log");
        }
        if (parse.GetValue(TruststoreApi) is { } dir && !dir.Exists)
        {
            throw new UserErrorException(ExitCode.InputError, $"{dir.FullName}: no such truststore listing directory");
        }
        if (parse.GetValue(Bundle) is { } bundle)
        {
            try
            {
                EvidenceBundle.CheckTarget(bundle.ToString());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserErrorException(ExitCode.OutputError, $"--bundle {bundle}: {e.Message}", e);
            }
        }
        _ = Skew(parse);
        _ = Offset(parse);
    }

    /// <summary>The support case for the report, or null when no support input was given. Bad log content is reported, never fatal.</summary>
    public static SupportCase? Build(ParseResult parse, AnalysisReport report, TextWriter stderr, CancellationToken cancel)
    {
        var mpLogs = parse.GetValue(MpLog) ?? [];
        var routerLogs = parse.GetValue(RouterLog) ?? [];
        var listingDir = parse.GetValue(TruststoreApi);
        if (mpLogs.Length == 0 && routerLogs.Length == 0 && listingDir is null)
        {
            return null;
        }
        var support = new SupportCase();
        if (mpLogs.Length > 0)
        {
            var parser = new SystemLogParser(Offset(parse));
            foreach (var f in mpLogs)
            {
                ReadLog(f, () => parser.Read(f.ToString(), cancel));
            }
            var result = parser.Result();
            Warn(result.Files, SupportWording.MpExpected, stderr);
            support = support with { MessageProcessor = MpLogCorrelator.Correlate(report, result, Skew(parse)) };
        }
        if (routerLogs.Length > 0)
        {
            var parser = new RouterAccessLogParser();
            foreach (var f in routerLogs)
            {
                ReadLog(f, () => parser.Read(f.ToString(), cancel));
            }
            var result = parser.Result();
            Warn(result.Files, SupportWording.RouterExpected, stderr);
            support = support with { Router = RouterLogCorrelator.Correlate(result, support.MessageProcessor) };
        }
        if (listingDir is not null)
        {
            TruststoreListing listing;
            try
            {
                listing = TruststoreListing.Load(listingDir.ToString());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserErrorException(ExitCode.InputError, $"{listingDir}: {e.Message}", e);
            }
            var comparisons = new List<ListingComparison>();
            for (var i = 0; i < report.Handshakes.Count; i++)
            {
                var h = report.Handshakes[i];
                if (h.IsFailure && h.ServerChainDer.Count > 0)
                {
                    var tls = h.Version switch { "TLS 1.3" => (ushort)0x0304, "TLS 1.1" => (ushort)0x0302, "TLS 1.0" => (ushort)0x0301, _ => (ushort)0x0303 };
                    comparisons.Add(TruststoreListingComparer.Compare(i + 1, h.ServerChainDer, listing, h.HostChecked, h.ValidatedAt ?? h.StartTime, tls));
                }
            }
            support = support with { Listing = listing, ListingComparisons = comparisons };
        }
        return support;
    }

    /// <summary>Writes --bundle when asked (exit 4 when it cannot be written; nothing is left half-written).</summary>
    public static void WriteBundle(ParseResult parse, AnalysisReport report, SupportCase? support, ICaptureInput input, TextWriter stderr)
    {
        if (parse.GetValue(Bundle) is not { } dir)
        {
            return;
        }
        Action<string>? packets = input.CanReadAgain
            ? path => PacketExport.Write(input, path, [.. report.Handshakes.Where(h => h.IsFailure)])
            : null;
        try
        {
            var written = EvidenceBundle.Write(dir.ToString(), report, support, packets);
            stderr.WriteLine($"pcaptls: wrote the evidence bundle ({written.Files.Count} files) to {written.Directory}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException(ExitCode.OutputError, $"--bundle {dir}: {e.Message}", e);
        }
    }

    private static void ReadLog(FileInfo f, Action read)
    {
        try
        {
            read();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException(ExitCode.InputError, $"{f}: {e.Message}", e);
        }
    }

    private static void Warn(IEnumerable<LogReadSummary> files, string expected, TextWriter stderr)
    {
        foreach (var file in files)
        {
            foreach (var a in file.Anomalies.Where(a => a.Kind is LogAnomalyKind.BinaryData or LogAnomalyKind.WrongFormat or LogAnomalyKind.CorruptCompression or LogAnomalyKind.ReadError))
            {
                stderr.WriteLine($"pcaptls: warning: {file.File}: {SupportWording.Anomaly(a, expected)}");
            }
        }
    }

    private static TimeSpan Skew(ParseResult parse)
    {
        var s = parse.GetValue(LogSkew) ?? MpLogCorrelator.DefaultSkew.TotalSeconds;
        if (double.IsNaN(s) || s < 0 || s > 86_400)
        {
            throw new UserErrorException(ExitCode.Usage, $"--log-skew must be between 0 and 86400 seconds, not {s.ToString(CultureInfo.InvariantCulture)}");
        }
        return TimeSpan.FromSeconds(s);
    }

    private static TimeSpan Offset(ParseResult parse)
    {
        var text = parse.GetValue(LogUtcOffset);
        if (text is null)
        {
            return TimeSpan.Zero;
        }
        var sign = text.StartsWith('-') ? -1 : 1;
        var body = text.TrimStart('+', '-');
        if (TimeSpan.TryParseExact(body, [@"hh\:mm", "hhmm", "hh"], CultureInfo.InvariantCulture, out var o) && o <= TimeSpan.FromHours(14))
        {
            return sign * o;
        }
        throw new UserErrorException(ExitCode.Usage, $"--log-utc-offset: '{text}' is not an offset from UTC (use e.g. +01:00 or -05:00)");
    }
}
