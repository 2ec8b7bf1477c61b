using System.Text;

namespace PcapTls.Tls.Preambles;

/// <summary>Line and number reading shared by the text protocols' recognisers.</summary>
internal static class PreambleText
{
    /// <summary>The complete lines (CRLF or bare LF, terminator removed) as ASCII text; a last unterminated line is left out.</summary>
    public static List<string> Lines(ReadOnlySpan<byte> data)
    {
        var lines = new List<string>();
        while (true)
        {
            var end = data.IndexOf((byte)'\n');
            if (end < 0)
            {
                return lines;
            }
            var line = data[..end];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }
            lines.Add(Encoding.ASCII.GetString(line));
            data = data[(end + 1)..];
        }
    }

    /// <summary>The first line, or null when it is not complete yet (and the window is not full).</summary>
    public static string? FirstLine(ReadOnlySpan<byte> first, bool final)
    {
        var end = first.IndexOf((byte)'\n');
        if (end < 0)
        {
            return final || first.Length >= PreambleRecognisers.ClassifyWindow ? Encoding.ASCII.GetString(first) : null;
        }
        return Encoding.ASCII.GetString(first[..end]).TrimEnd('\r');
    }

    public static bool Starts(string s, string prefix) => s.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>A three-digit reply code at the start of the line (SMTP, FTP, NNTP), else -1.</summary>
    public static int ReplyCode(string line)
        => line.Length >= 3 && char.IsAsciiDigit(line[0]) && char.IsAsciiDigit(line[1]) && char.IsAsciiDigit(line[2])
           && (line.Length == 3 || line[3] is ' ' or '-')
            ? (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0')
            : -1;

    /// <summary>Quotes a line for a report: printable ASCII only, at most 120 characters.</summary>
    public static string Quote(string line)
    {
        var sb = new StringBuilder(Math.Min(line.Length, 120));
        foreach (var c in line)
        {
            if (sb.Length == 120)
            {
                break;
            }
            sb.Append(c is >= ' ' and < '\x7F' ? c : '.');
        }
        return sb.ToString();
    }
}

/// <summary>Byte-prefix tests shared by the recognisers.</summary>
internal static class PreambleBytes
{
    /// <summary>NeedMore when first is a proper prefix of expected, Client (meaning "yes") when it starts with it, None otherwise.</summary>
    public static PreambleRole Starts(ReadOnlySpan<byte> first, ReadOnlySpan<byte> expected)
    {
        if (first.Length < expected.Length)
        {
            return expected.StartsWith(first) ? PreambleRole.NeedMore : PreambleRole.None;
        }
        return first.StartsWith(expected) ? PreambleRole.Client : PreambleRole.None;
    }
}
