using System.Globalization;
using PcapTls.Support.Correlation;
using PcapTls.Support.Logs;

namespace PcapTls.Reporting.Wording;

/// <summary>The sentences of the support case (logs joined to handshakes, Apigee's artefacts): one place, one wording.</summary>
public static class SupportWording
{
    public static string AgreementCode(this MessageAgreement a) => a switch
    {
        MessageAgreement.Equal => "equal",
        MessageAgreement.Differs => "differs",
        MessageAgreement.NoPrediction => "no-prediction",
        MessageAgreement.NothingLogged => "nothing-logged",
        _ => a.ToString(),
    };

    public static string Agreement(MessageAgreement a, string? predicted) => a switch
    {
        MessageAgreement.Equal => $"predicted (java): {predicted}: the same as logged",
        MessageAgreement.Differs => $"predicted (java): {predicted}: NOT what the Message Processor logged; it ran with another truststore, host name check or JVM setting than the ones given here (a finding)",
        MessageAgreement.NoPrediction => "no Java message predicted for this handshake (no chain judged with Java's rules), nothing to compare",
        MessageAgreement.NothingLogged => "the log shows no exception for this handshake",
        _ => a.ToString(),
    };

    public static string MissCode(this LogEventMiss m) => m switch
    {
        LogEventMiss.NoSuchConnection => "no-such-connection",
        LogEventMiss.OutsideSkew => "outside-skew",
        LogEventMiss.NoAddresses => "no-addresses",
        _ => m.ToString(),
    };

    public static string Miss(LogEventMiss m, int? nearest, TimeSpan? distance, TimeSpan skew) => m switch
    {
        LogEventMiss.NoSuchConnection => "no handshake on this connection (Local address and port, Remote address and port) in the capture",
        LogEventMiss.OutsideSkew => $"handshake {nearest} is on this connection, but {Seconds(distance!.Value.Duration())} s {(distance.Value < TimeSpan.Zero ? "after" : "before")} the log line, beyond the {Seconds(skew)} s allowed (clocks apart, or the log's time zone: see --log-utc-offset)",
        LogEventMiss.NoAddresses => "the line names no readable Remote/Local address",
        _ => m.ToString(),
    };

    public static string Offset(TimeSpan? offset, TimeSpan skew) => offset switch
    {
        null => "the log line has no time: joined on the connection alone",
        { } o when o == TimeSpan.Zero => "during the handshake",
        { } o => $"{Seconds(o.Duration())} s {(o < TimeSpan.Zero ? "before" : "after")} the handshake's packets (within the {Seconds(skew)} s allowed)",
    };

    public static string MpHeading(int files, TimeSpan utcOffset, TimeSpan skew) =>
        $"Message Processor log ({files} file{(files == 1 ? "" : "s")}; times read as UTC{UtcOffset(utcOffset)}; joined to a handshake on the same connection within {Seconds(skew)} s of its packets)";

    public static string FileLine(LogReadSummary f, int failures) =>
        $"{f.File}: {f.Lines.ToString("N0", CultureInfo.InvariantCulture)} lines{(f.Compressed ? " (gzip)" : "")}, {failures} handshake failure{(failures == 1 ? "" : "s")}";

    public static string AnomalyCode(this LogAnomalyKind k) => k switch
    {
        LogAnomalyKind.LineTooLong => "line-too-long",
        LogAnomalyKind.BinaryData => "binary-data",
        LogAnomalyKind.WrongFormat => "wrong-format",
        LogAnomalyKind.CorruptCompression => "corrupt-compression",
        LogAnomalyKind.ReadError => "read-error",
        LogAnomalyKind.TooManyEvents => "too-many-events",
        LogAnomalyKind.Truncated => "truncated",
        LogAnomalyKind.UnreadableChannel => "unreadable-channel",
        LogAnomalyKind.UnknownLines => "unknown-lines",
        _ => k.ToString(),
    };

    /// <summary>One line per anomaly, also printed on standard error for the ones that stop a file.</summary>
    public static string Anomaly(LogAnomaly a, string expected) => a.Kind switch
    {
        LogAnomalyKind.LineTooLong => $"line {a.Line} is {N(a.Value)} bytes long: cut at {N(LogLimits.MaxLineBytes)}",
        LogAnomalyKind.BinaryData => $"binary data (a control byte at offset {N(a.Value)}), not a text log: not read further",
        LogAnomalyKind.WrongFormat => $"not {expected}: no record of that format in the first {N(a.Value)} lines{(a.Value >= LogLimits.MaxLinesWithoutRecord ? ", not read further" : "")}",
        LogAnomalyKind.CorruptCompression => $"the gzip data is truncated or corrupt after {N(a.Value)} bytes (decompressed); the lines before are used",
        LogAnomalyKind.ReadError => $"read error after {N(a.Value)} bytes: {a.Text}",
        LogAnomalyKind.TooManyEvents => $"{N(a.Value)} events beyond the limit of {N(LogLimits.MaxKeptEvents)} were counted, not kept",
        LogAnomalyKind.Truncated => $"the file ends inside line {a.Line} (no final newline): the last record may be cut short",
        LogAnomalyKind.UnreadableChannel => $"line {a.Line}: a handshake failure whose channel addresses cannot be read: {Cut(a.Text)}",
        LogAnomalyKind.UnknownLines => $"{N(a.Value)} line(s) not in the expected format, the first at line {a.Line} (skipped)",
        _ => a.Kind.ToString(),
    };

    public const string MpExpected = "a Message Processor system.log";

    public const string UnmatchedHeading = "Log events without a handshake in the capture";
    public const string UnclaimedHeading = "TLS exceptions logged without a handshake-failed line (no connection to join on)";
    public const string FailedWithoutEventHeading = "Failed handshakes without a log event";

    public static string NotKept(long n) => $"{N(n)} further events beyond the limit of {N(LogLimits.MaxKeptEvents)} were counted, not kept";

    internal static string UtcOffset(TimeSpan o) => (o < TimeSpan.Zero ? "-" : "+") + o.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string Cut(string? s) => s is null ? "" : s.Length <= 200 ? s : s[..200] + "...";
}
