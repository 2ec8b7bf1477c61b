namespace PcapTls.Support.Logs;

/// <summary>The named limits that keep reading a log bounded in memory and time, whatever the file holds.</summary>
public static class LogLimits
{
    /// <summary>A line longer than this is cut (the rest skipped up to its newline) and counted as an anomaly.</summary>
    public const int MaxLineBytes = 16 * 1024;

    /// <summary>Lines with control bytes (NUL, ...) tolerated before the file is declared binary and no longer read.</summary>
    public const int MaxBinaryLines = 64;

    /// <summary>Lines read without a single log record recognised before the file is declared the wrong format.</summary>
    public const int MaxLinesWithoutRecord = 10_000;

    /// <summary>Handshake failures and exceptions kept per run (all files together); beyond it they are counted, not kept.</summary>
    public const int MaxKeptEvents = 50_000;

    /// <summary>Exceptions kept per log record (an exception and its <c>Caused by:</c> chain).</summary>
    public const int MaxChainLength = 16;

    /// <summary>Anomalies listed per file; beyond it they are counted.</summary>
    public const int MaxAnomaliesPerFile = 20;
}
