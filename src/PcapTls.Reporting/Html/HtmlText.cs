using System.Text;

namespace PcapTls.Reporting.Html;

/// <summary>
/// Escaping for text and attribute values. Every string that came from a capture (SNI, subject, issuer, SAN,
/// alert text quoting a name) passes through here: the five markup characters become entities and control
/// characters become U+FFFD, so no capture can add markup or script to the page.
/// </summary>
internal static class HtmlText
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var clean = true;
        foreach (var ch in text)
        {
            if (NeedsEscape(ch))
            {
                clean = false;
                break;
            }
        }
        if (clean)
        {
            return text;
        }
        var sb = new StringBuilder(text.Length + 16);
        Append(sb, text);
        return sb.ToString();
    }

    public static StringBuilder Append(StringBuilder sb, string? text)
    {
        if (text is null)
        {
            return sb;
        }
        foreach (var ch in text)
        {
            switch (ch)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                case '\n' or '\t': sb.Append(ch); break;
                default:
                    sb.Append(char.IsControl(ch) ? '\uFFFD' : ch);
                    break;
            }
        }
        return sb;
    }

    private static bool NeedsEscape(char ch) => ch is '&' or '<' or '>' or '"' or '\'' || (char.IsControl(ch) && ch is not ('\n' or '\t'));
}
