using System.CommandLine;
using System.Globalization;
using PcapTls.Analysis;
using PcapTls.Reporting.Wording;
using PcapTls.Support;
using PcapTls.Support.Correlation;
using PcapTls.Support.Logs;
using PcapTls.Support.MessageProcessor;

namespace PcapTls.Cli;

/// <summary>analyze's support-case inputs (issue #17): the Message Processor's logs, joined to the capture's handshakes.</summary>
internal static class SupportOptions
{
    public static readonly Option<FileInfo[]> MpLog = new("--mp-log")
    {
        Description = "An Apigee Message Processor system.log (plain or .gz; may be repeated): each handshakeFailed() line is joined to its handshake by the MP's Local and Remote address and port and the time, and the logged exception compared with the predicted one.",
        AllowMultipleArgumentsPerToken = false,
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
        _ = Skew(parse);
        _ = Offset(parse);
    }

    /// <summary>The support case for the report, or null when no support input was given. Bad log content is reported, never fatal.</summary>
    public static SupportCase? Build(ParseResult parse, AnalysisReport report, TextWriter stderr, CancellationToken cancel)
    {
        var logs = parse.GetValue(MpLog) ?? [];
        if (logs.Length == 0)
        {
            return null;
        }
        var parser = new SystemLogParser(Offset(parse));
        foreach (var f in logs)
        {
            try
            {
                parser.Read(f.ToString(), cancel);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserErrorException(ExitCode.InputError, $"{f}: {e.Message}", e);
            }
        }
        var result = parser.Result();
        foreach (var file in result.Files)
        {
            foreach (var a in file.Anomalies.Where(a => a.Kind is LogAnomalyKind.BinaryData or LogAnomalyKind.WrongFormat or LogAnomalyKind.CorruptCompression or LogAnomalyKind.ReadError))
            {
                stderr.WriteLine($"pcaptls: warning: {file.File}: {SupportWording.Anomaly(a, SupportWording.MpExpected)}");
            }
        }
        return new SupportCase { MessageProcessor = MpLogCorrelator.Correlate(report, result, Skew(parse)) };
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
