namespace PcapTls.Support.Logs;

/// <summary>What went wrong reading a log: each is reported, none stops the capture's analysis.</summary>
public enum LogAnomalyKind
{
    /// <summary>A line over <see cref="LogLimits.MaxLineBytes"/>: cut. Value: the line's length in bytes.</summary>
    LineTooLong,

    /// <summary>The file is binary, not a text log: reading stopped. Value: the byte offset of the first control byte.</summary>
    BinaryData,

    /// <summary>No log record of the expected format within the first lines: reading stopped. Value: lines read.</summary>
    WrongFormat,

    /// <summary>The gzip data ends early or is corrupt: what was read before is used. Value: bytes decompressed.</summary>
    CorruptCompression,

    /// <summary>The file could not be read further (I/O error). Text: the system's message.</summary>
    ReadError,

    /// <summary>More events than <see cref="LogLimits.MaxKeptEvents"/>: the rest are counted only. Value: events not kept.</summary>
    TooManyEvents,

    /// <summary>The file ends without a final newline, inside a record. Value: the length of the last line.</summary>
    Truncated,

    /// <summary>A handshake-failed line whose channel addresses could not be read. Text: the channel text.</summary>
    UnreadableChannel,

    /// <summary>Lines that are not records of the expected format (counted, not fatal). Value: how many.</summary>
    UnknownLines,
}

/// <param name="Line">1-based line number (0 for the file as a whole).</param>
/// <param name="Value">The number the kind is about (bytes, lines, events), as documented on each kind.</param>
public sealed record LogAnomaly(string File, long Line, LogAnomalyKind Kind, long Value, string? Text = null);
