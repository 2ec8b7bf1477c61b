using System.Globalization;
using System.Text;

namespace PcapTls.Validation;

/// <summary>A java.security file or override could not be used: one line, naming the file and what is wrong.</summary>
public sealed class JavaSecurityException(string message) : Exception(message);

/// <summary>
/// java.util.Properties.load as java.security.Security reads its files (ISO-8859-1): logical lines joined by a
/// trailing odd backslash (the next line's leading white space dropped), '#' and '!' comment lines, the key ending
/// at the first unescaped '=', ':' or white space, escapes \t \n \r \f \uXXXX, any other escaped character as
/// itself. A later definition of a key wins. Properties.load refuses a malformed \uXXXX escape
/// (IllegalArgumentException "Malformed \uxxxx encoding."): so does this, with the line number.
/// </summary>
internal static class JavaPropertiesFile
{
    /// <summary>Largest file read: a JDK's whole java.security is about 60 KB.</summary>
    public const int MaxFileBytes = 1 << 20;

    public static Dictionary<string, string> Parse(string text, string source)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var first = i + 1;
            var line = lines[i].TrimStart(' ', '\t', '\f');
            if (line.Length == 0 || line[0] is '#' or '!')
            {
                continue;
            }
            var logical = new StringBuilder();
            while (EndsWithContinuation(line) && i + 1 < lines.Length)
            {
                logical.Append(line, 0, line.Length - 1);
                line = lines[++i].TrimStart(' ', '\t', '\f');
            }
            logical.Append(EndsWithContinuation(line) ? line[..^1] : line);
            var (key, value) = Split(logical.ToString(), source, first);
            properties[key] = value;
        }
        return properties;
    }

    private static bool EndsWithContinuation(string line)
    {
        var slashes = 0;
        for (var k = line.Length - 1; k >= 0 && line[k] == '\\'; k--)
        {
            slashes++;
        }
        return slashes % 2 == 1;
    }

    private static (string Key, string Value) Split(string line, string source, int lineNumber)
    {
        var end = 0;
        while (end < line.Length && line[end] is not ('=' or ':' or ' ' or '\t' or '\f'))
        {
            end += line[end] == '\\' ? 2 : 1;
        }
        end = Math.Min(end, line.Length);
        var rest = end;
        while (rest < line.Length && line[rest] is ' ' or '\t' or '\f')
        {
            rest++;
        }
        if (rest < line.Length && line[rest] is '=' or ':')
        {
            rest++;
        }
        while (rest < line.Length && line[rest] is ' ' or '\t' or '\f')
        {
            rest++;
        }
        return (Unescape(line[..end], source, lineNumber), Unescape(line[rest..], source, lineNumber));
    }

    private static string Unescape(string text, string source, int lineNumber)
    {
        if (!text.Contains('\\', StringComparison.Ordinal))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 >= text.Length)
            {
                sb.Append(text[i]);
                continue;
            }
            var c = text[++i];
            switch (c)
            {
                case 't': sb.Append('\t'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 'f': sb.Append('\f'); break;
                case 'u':
                    if (text.Length - i - 1 < 4 || !ushort.TryParse(text.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        throw new JavaSecurityException($"{source}: line {lineNumber}: malformed \\uxxxx escape (java.util.Properties refuses the file)");
                    }
                    sb.Append((char)code);
                    i += 4;
                    break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }
}
