using System.Globalization;
using System.Text;
using PcapTls.Analysis;

namespace PcapTls.Reporting.Html;

/// <summary>
/// The packet ladder as an SVG sequence diagram (as Wireshark's flow graph draws it): a client and a server lane,
/// one arrow per ladder packet with its number and time since the first packet on the left and what it carried on
/// the right. The Certificate, alerts, FIN and RST are marked where they happened.
/// </summary>
internal static class LadderSvg
{
    private const int Row = 26;
    private const int Top = 44;
    private const int ClientLane = 150;
    private const int ServerLane = 350;
    private const int LabelX = 366;
    private const double CharWidth = 6.8;

    public static void Write(StringBuilder sb, HandshakeReport h)
    {
        var steps = h.Ladder;
        var longest = steps.Count == 0 ? 0 : steps.Max(s => s.What.Length);
        var width = (int)(LabelX + 16 + (longest * CharWidth));
        var height = Top + (steps.Count * Row) + 12;
        sb.Append("<svg class=\"ladder\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"").Append(width)
          .Append("\" height=\"").Append(height).Append("\" viewBox=\"0 0 ").Append(width).Append(' ').Append(height)
          .Append("\" data-packets=\"").Append(steps.Count).Append("\"><title>Packet ladder: ")
          .Append(steps.Count).Append(" packets between ");
        HtmlText.Append(sb, h.Client).Append(" and ");
        HtmlText.Append(sb, h.Server).Append("</title>");
        Lane(sb, ClientLane, "client", h.Client, height);
        Lane(sb, ServerLane, "server", h.Server, height);
        var first = steps.Count > 0 ? steps[0].Time : h.StartTime;
        for (var i = 0; i < steps.Count; i++)
        {
            Step(sb, steps[i], i, first);
        }
        sb.Append("</svg>");
    }

    private static void Lane(StringBuilder sb, int x, string role, string endpoint, int height)
    {
        sb.Append("<text class=\"lane-name\" x=\"").Append(x).Append("\" y=\"14\" text-anchor=\"middle\">").Append(role).Append("</text>");
        sb.Append("<text class=\"lane-addr\" x=\"").Append(x).Append("\" y=\"28\" text-anchor=\"middle\">");
        HtmlText.Append(sb, endpoint).Append("</text>");
        sb.Append("<line class=\"lane\" x1=\"").Append(x).Append("\" y1=\"34\" x2=\"").Append(x).Append("\" y2=\"").Append(height - 4).Append("\"/>");
    }

    private static void Step(StringBuilder sb, LadderStep s, int index, DateTimeOffset first)
    {
        var kind = Kind(s.What);
        var y = Top + (index * Row);
        var (from, to) = s.From == Peer.Client ? (ClientLane, ServerLane) : (ServerLane, ClientLane);
        var y2 = y + 10;
        var dir = to > from ? -1 : 1;
        var number = s.Packet.ToString(CultureInfo.InvariantCulture);
        sb.Append("<g class=\"pkt k-").Append(kind).Append("\" data-packet=\"").Append(number).Append("\" data-from=\"").Append(s.From.ToCode()).Append("\">");
        sb.Append("<title>#").Append(number).Append(' ').Append(JsonReportRenderer.Iso(s.Time)).Append(' ').Append(s.From.ToCode()).Append(": ");
        HtmlText.Append(sb, s.What).Append("</title>");
        sb.Append("<text class=\"no\" x=\"4\" y=\"").Append(y + 9).Append("\">#").Append(number).Append("</text>");
        sb.Append("<text class=\"rel\" x=\"52\" y=\"").Append(y + 9).Append("\">").Append(Relative(s.Time - first)).Append("</text>");
        sb.Append("<line class=\"arrow\" x1=\"").Append(from).Append("\" y1=\"").Append(y).Append("\" x2=\"").Append(to).Append("\" y2=\"").Append(y2).Append("\"/>");
        sb.Append("<path class=\"head\" d=\"M").Append(to).Append(' ').Append(y2).Append(" l").Append(dir * 9).Append(" -5 l0 8 z\"/>");
        if (kind is "rst")
        {
            // A reset: a cross where it left the sender.
            sb.Append("<path class=\"mark\" d=\"M").Append(from - 5).Append(' ').Append(y - 5).Append(" l10 10 m0 -10 l-10 10\"/>");
        }
        else if (kind is "fin" or "alert" or "cert")
        {
            sb.Append("<circle class=\"mark\" cx=\"").Append(from).Append("\" cy=\"").Append(y).Append("\" r=\"4\"/>");
        }
        sb.Append("<text class=\"what\" x=\"").Append(LabelX).Append("\" y=\"").Append(y + 9).Append("\">");
        HtmlText.Append(sb, s.What).Append("</text></g>");
    }

    /// <summary>The marking class of a ladder step, from the words the ladder uses.</summary>
    internal static string Kind(string what)
    {
        if (what.Contains("Alert", StringComparison.Ordinal) || what.Contains("alert-sized", StringComparison.Ordinal))
        {
            return "alert";
        }
        if (what.StartsWith("RST", StringComparison.Ordinal))
        {
            return "rst";
        }
        if (what.StartsWith("FIN", StringComparison.Ordinal))
        {
            return "fin";
        }
        if (what.Contains("Certificate", StringComparison.Ordinal))
        {
            return "cert";
        }
        if (what.Contains("ClientHello", StringComparison.Ordinal))
        {
            return "hello";
        }
        if (what.StartsWith("SYN", StringComparison.Ordinal))
        {
            return "syn";
        }
        return "other";
    }

    internal static string Relative(TimeSpan t)
    {
        var ms = t.TotalMilliseconds;
        return ms < 10_000
            ? "+" + ms.ToString("0.000", CultureInfo.InvariantCulture) + " ms"
            : "+" + t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";
    }
}
