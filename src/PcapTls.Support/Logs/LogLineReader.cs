using System.IO.Compression;

namespace PcapTls.Support.Logs;

/// <summary>How reading one log file went: counts and the anomalies met (bounded).</summary>
public sealed class LogReadSummary(string file)
{
    public string File { get; } = file;
    public bool Compressed { get; internal set; }
    public long Bytes { get; internal set; }
    public long Lines { get; internal set; }
    public bool Stopped { get; internal set; }
    public List<LogAnomaly> Anomalies { get; } = [];
    public long AnomaliesNotListed { get; internal set; }

    internal void Add(LogAnomaly a)
    {
        if (Anomalies.Count < LogLimits.MaxAnomaliesPerFile)
        {
            Anomalies.Add(a);
        }
        else
        {
            AnomaliesNotListed++;
        }
    }
}

/// <summary>
/// Reads a text log line by line without holding it: plain or gzip (told by its magic, so a rotated
/// <c>system.log.1.gz</c> and a renamed one both work), lines cut at <see cref="LogLimits.MaxLineBytes"/>, and a
/// file that turns out to be binary stopped after <see cref="LogLimits.MaxBinaryLines"/> lines with control bytes.
/// Each line goes to the handler as UTF-8 bytes without its line ending; the handler may stop the read.
/// </summary>
public static class LogLineReader
{
    /// <summary>Handles one line; returns false to stop reading.</summary>
    public delegate bool LineHandler(ReadOnlySpan<byte> line, long number);

    private const int BufferBytes = 64 * 1024;

    public static LogReadSummary Read(string path, LineHandler handler, CancellationToken cancel = default)
    {
        var summary = new LogReadSummary(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, BufferBytes);
        Span<byte> magic = stackalloc byte[2];
        var got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        Stream stream = file;
        if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        {
            summary.Compressed = true;
            stream = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        }
        try
        {
            ReadLines(stream, summary, handler, cancel);
        }
        finally
        {
            if (stream != file)
            {
                stream.Dispose();
            }
        }
        return summary;
    }

    /// <summary>Reads lines from any stream (tests feed generated streams of any size through this).</summary>
    public static void ReadLines(Stream stream, LogReadSummary summary, LineHandler handler, CancellationToken cancel = default)
    {
        var buffer = new byte[BufferBytes + LogLimits.MaxLineBytes];
        var line = new byte[LogLimits.MaxLineBytes];
        var lineLength = 0;
        long fullLength = 0;
        var binaryLines = 0;
        var lineHasControl = false;
        long offset = 0;
        long firstControlOffset = -1;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            int read;
            try
            {
                read = stream.Read(buffer, 0, BufferBytes);
            }
            catch (InvalidDataException)
            {
                summary.Add(new LogAnomaly(summary.File, summary.Lines + 1, LogAnomalyKind.CorruptCompression, summary.Bytes));
                break;
            }
            catch (IOException e) when (summary.Compressed)
            {
                summary.Add(new LogAnomaly(summary.File, summary.Lines + 1, LogAnomalyKind.CorruptCompression, summary.Bytes, e.Message));
                break;
            }
            catch (IOException e)
            {
                summary.Add(new LogAnomaly(summary.File, summary.Lines + 1, LogAnomalyKind.ReadError, summary.Bytes, e.Message));
                break;
            }
            if (read == 0)
            {
                break;
            }
            summary.Bytes += read;
            var span = buffer.AsSpan(0, read);
            while (span.Length > 0)
            {
                var nl = span.IndexOf((byte)'\n');
                var part = nl < 0 ? span : span[..nl];
                if (!lineHasControl && HasControlByte(part, out var at))
                {
                    lineHasControl = true;
                    if (firstControlOffset < 0)
                    {
                        firstControlOffset = offset + at;
                    }
                }
                var room = LogLimits.MaxLineBytes - lineLength;
                part[..Math.Min(room, part.Length)].CopyTo(line.AsSpan(lineLength));
                lineLength += Math.Min(room, part.Length);
                fullLength += part.Length;
                offset += part.Length;
                if (nl < 0)
                {
                    break;
                }
                offset++;
                span = span[(nl + 1)..];
                if (!EndLine(summary, handler, line, ref lineLength, ref fullLength, ref lineHasControl, ref binaryLines, firstControlOffset))
                {
                    summary.Stopped = true;
                    return;
                }
            }
        }
        if (fullLength > 0)
        {
            summary.Add(new LogAnomaly(summary.File, summary.Lines + 1, LogAnomalyKind.Truncated, fullLength));
            if (!EndLine(summary, handler, line, ref lineLength, ref fullLength, ref lineHasControl, ref binaryLines, firstControlOffset))
            {
                summary.Stopped = true;
            }
        }
    }

    private static bool EndLine(LogReadSummary summary, LineHandler handler, byte[] line, ref int lineLength, ref long fullLength,
        ref bool lineHasControl, ref int binaryLines, long firstControlOffset)
    {
        summary.Lines++;
        var number = summary.Lines;
        var length = lineLength;
        var full = fullLength;
        var control = lineHasControl;
        lineLength = 0;
        fullLength = 0;
        lineHasControl = false;
        if (full > LogLimits.MaxLineBytes)
        {
            summary.Add(new LogAnomaly(summary.File, number, LogAnomalyKind.LineTooLong, full));
        }
        if (control)
        {
            if (++binaryLines >= LogLimits.MaxBinaryLines || number == 1)
            {
                summary.Add(new LogAnomaly(summary.File, number, LogAnomalyKind.BinaryData, firstControlOffset));
                return false;
            }
            return true;
        }
        var text = line.AsSpan(0, length);
        if (text.Length > 0 && text[^1] == (byte)'\r')
        {
            text = text[..^1];
        }
        return handler(text, number);
    }

    /// <summary>NUL and the C0 controls other than tab, CR, form feed and ESC (colour codes) do not occur in a text log.</summary>
    private static readonly System.Buffers.SearchValues<byte> ControlBytes = System.Buffers.SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x0b, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1c, 0x1d, 0x1e, 0x1f]);

    private static bool HasControlByte(ReadOnlySpan<byte> s, out int at)
    {
        at = s.IndexOfAny(ControlBytes);
        return at >= 0;
    }
}
