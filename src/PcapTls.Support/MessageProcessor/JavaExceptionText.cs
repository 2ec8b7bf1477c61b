using System.Text.RegularExpressions;

namespace PcapTls.Support.MessageProcessor;

/// <summary>
/// Reads Java exceptions out of logged text: <c>javax.net.ssl.SSLHandshakeException: General SSLEngine problem</c>,
/// then <c>Caused by: sun.security.validator.ValidatorException: PKIX path building failed: ...</c>. Stack frames
/// (<c>at pkg.Class.method(File.java:1)</c>), <c>... 23 more</c> and <c>&lt;snipped&gt;</c> end a message; a log that
/// flattened the whole trace onto one line is read the same way.
/// </summary>
internal static partial class JavaExceptionText
{
    private const string CausedBy = "Caused by:";

    /// <summary>Appends the exceptions found in one line (the first one anywhere in it when <paramref name="anywhere"/>, else only after "Caused by:").</summary>
    public static void Read(string line, bool anywhere, List<JavaException> into)
    {
        var start = 0;
        var first = true;
        while (start < line.Length && into.Count < Logs.LogLimits.MaxChainLength)
        {
            var next = line.IndexOf(CausedBy, start, StringComparison.Ordinal);
            var segment = next < 0 ? line[start..] : line[start..next];
            if (!first || anywhere)
            {
                var m = first ? ExceptionAnywhere().Match(segment) : ExceptionAtStart().Match(segment);
                if (m.Success)
                {
                    into.Add(new JavaException(m.Groups["class"].Value, MessageOf(segment[(m.Index + m.Length)..])));
                }
            }
            if (next < 0)
            {
                break;
            }
            start = next + CausedBy.Length;
            first = false;
        }
    }

    /// <summary>Whether a line may hold an exception at all (checked on bytes before anything is decoded).</summary>
    public static bool MayHoldException(ReadOnlySpan<byte> line) =>
        line.IndexOf("Exception"u8) >= 0 || line.IndexOf("Error"u8) >= 0 || line.IndexOf("Caused by:"u8) >= 0;

    /// <summary>Whether the chain is about TLS (kept) rather than another failure of the same record (dropped).</summary>
    public static bool IsAboutTls(IReadOnlyList<JavaException> chain) => chain.Any(e =>
        e.Class.StartsWith("javax.net.ssl.", StringComparison.Ordinal) || e.Class.StartsWith("sun.security.", StringComparison.Ordinal)
        || e.Class.StartsWith("java.security.cert.", StringComparison.Ordinal) || e.Message.Contains("SSL", StringComparison.Ordinal)
        || e.Message.Contains("handshake", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("certificat", StringComparison.OrdinalIgnoreCase));

    private static string MessageOf(string rest)
    {
        if (rest.StartsWith(':'))
        {
            rest = rest[1..];
        }
        else
        {
            return "";
        }
        var stop = MessageEnd().Match(rest);
        return (stop.Success ? rest[..stop.Index] : rest).Trim();
    }

    [GeneratedRegex(@"(?<=^|[\s(:])(?<class>(?:[a-zA-Z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error))(?=:|\s|$)")]
    private static partial Regex ExceptionAnywhere();

    [GeneratedRegex(@"^\s*(?<class>(?:[a-zA-Z_$][\w$]*\.)+[A-Z][\w$]*)(?=:|\s|$)")]
    private static partial Regex ExceptionAtStart();

    [GeneratedRegex(@"\s+at\s+[\w$.]+(?:/[\w$.]+)*\.[\w$<>]+\(|\s*\.\.\.\s*(?:\d+\s+more|<snipped>)|\s*<snipped>")]
    private static partial Regex MessageEnd();
}
