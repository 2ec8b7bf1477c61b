using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PcapTls.Analysis;
using PcapTls.Validation;

namespace PcapTls.Reporting.Html;

/// <summary>
/// One self-contained HTML page: the capture and truststore summary, the servers, a table of handshakes (filterable
/// by outcome, cause and server, sortable, paged), per handshake the packet ladder as SVG, the chain diagram, the
/// causes with evidence and fix in the catalogue's wording, and each certificate as a PEM data link. No network
/// fetch, no external script or font: the Content-Security-Policy allows only the page's own style and script (by
/// hash), so even a string that escaped escaping could not run.
/// </summary>
/// <remarks>
/// Up to <see cref="InlineDetailLimit"/> handshakes the details are in the page as &lt;details&gt; (readable without
/// script, printable). Beyond it they are HTML strings in a JSON block that the script parses only when a handshake
/// is opened, so 10,000 handshakes open as fast as their table: the browser tokenises the block but builds no DOM.
/// </remarks>
public sealed class HtmlReportRenderer : IReportRenderer
{
    /// <summary>Handshakes whose details are written into the page; more are written as lazy JSON.</summary>
    public const int InlineDetailLimit = 200;

    /// <summary>Table rows shown per page.</summary>
    public const int PageSize = 100;

    /// <summary>Anomalies listed one by one; the rest are counted.</summary>
    private const int AnomaliesListed = 200;

    private static readonly string Css = Resource("report.css");
    private static readonly string Script = Resource("report.js");
    private const string NoScriptCss = "#hs tbody tr[hidden]{display:table-row}.js-only{display:none}";

    /// <summary>A JSON string literal; the default encoder writes '&lt;', '&gt;', '&amp;' and quotes as \u escapes.</summary>
    private static string JsonString(string value) => "\"" + JsonEncodedText.Encode(value, System.Text.Encodings.Web.JavaScriptEncoder.Default) + "\"";

    public void Render(AnalysisReport report, TextWriter o)
    {
        var lazy = report.Handshakes.Count > InlineDetailLimit;
        o.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        o.Write($"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {Hash(Css)} {Hash(NoScriptCss)}; script-src {Hash(Script)}; img-src data:; base-uri 'none'; form-action 'none'\">\n");
        o.Write("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light dark\">\n");
        o.Write($"<meta name=\"generator\" content=\"pcaptls\">\n<title>PcapTls report: {HtmlText.Escape(report.Capture.File)}</title>\n");
        o.Write("<style>");
        o.Write(Css);
        o.Write("</style>\n<noscript><style>");
        o.Write(NoScriptCss);
        o.Write("</style></noscript>\n</head>\n<body>\n");
        WriteSummary(report, o);
        WriteServers(report, o);
        WriteTable(report, o);
        WriteDetails(report, o, lazy);
        WriteCertificates(report, o);
        WriteAnomaliesAndNotes(report, o);
        o.Write("<script>");
        o.Write(Script);
        o.Write("</script>\n</body>\n</html>\n");
    }

    private static void WriteSummary(AnalysisReport report, TextWriter o)
    {
        var cap = report.Capture;
        var trust = report.Trust;
        var sb = new StringBuilder();
        sb.Append("<header><h1>PcapTls report</h1><p class=\"file\">");
        HtmlText.Append(sb, cap.File).Append("</p></header>\n<section id=\"summary\"><h2>Summary</h2><dl class=\"facts\">");
        Fact(sb, "capture", $"{cap.Format}, {string.Join("/", cap.LinkTypes.DefaultIfEmpty("-"))}, {cap.Packets} packets, {cap.Bytes} bytes, {cap.TcpConnections} TCP connections");
        Fact(sb, "time", cap.FirstPacketTime is { } first ? $"{Time(first)} .. {(cap.LastPacketTime is { } last ? Time(last) : "?")}" : "no packets");
        if (cap.TruncatedPackets > 0)
        {
            Fact(sb, "truncated", $"{cap.TruncatedPackets} packets cut by the snapshot length {cap.SnapLength}");
        }
        Fact(sb, "truststore", $"{trust.TrustStoreDescription} ({trust.Entries} entries{(trust.IsSystemRoots ? ", system roots: no --truststore given" : "")})");
        Fact(sb, "client profile", trust.Profile.ToString().ToLowerInvariant());
        Fact(sb, "validated at", trust.FixedValidationTime is { } at ? Time(at) : "the capture's time (each chain at its Certificate packet)");
        if (trust.TargetEndpointNote is { } te)
        {
            Fact(sb, "target endpoint", te);
        }
        foreach (var w in trust.Warnings)
        {
            Fact(sb, "warning", w);
        }
        var counts = report.Handshakes.GroupBy(h => h.Outcome).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToCode()}");
        var failed = report.Handshakes.Count(h => h.IsFailure);
        Fact(sb, "handshakes", report.Handshakes.Count == 0 ? "no TLS handshakes found" : $"{report.Handshakes.Count} ({string.Join(", ", counts)}); {failed} need attention");
        sb.Append("</dl></section>\n");
        o.Write(sb);
    }

    private static void WriteServers(AnalysisReport report, TextWriter o)
    {
        var servers = ServerBreakdown.Of(report.Handshakes);
        if (servers.Count == 0)
        {
            return;
        }
        var sb = new StringBuilder("<section id=\"servers\"><h2>Servers</h2><table class=\"grid\"><thead><tr><th>server</th><th>SNI</th><th>handshakes</th><th>failed</th><th>top cause</th></tr></thead><tbody>");
        foreach (var s in servers.Take(ServerRowsShown))
        {
            sb.Append("<tr").Append(s.Failed > 0 ? " class=\"bad\"" : "").Append("><td>");
            HtmlText.Append(sb, s.Server).Append("</td><td>");
            HtmlText.Append(sb, s.Sni ?? "-").Append("</td><td class=\"num\">").Append(s.Handshakes).Append("</td><td class=\"num\">").Append(s.Failed).Append("</td><td>");
            HtmlText.Append(sb, s.TopCause is null ? "-" : $"{s.TopCause} ({s.TopCauseCount})").Append("</td></tr>");
        }
        sb.Append("</tbody></table>");
        if (servers.Count > ServerRowsShown)
        {
            sb.Append("<p class=\"note\">").Append(servers.Count - ServerRowsShown).Append(" more servers (filter the handshakes by server below)</p>");
        }
        sb.Append("</section>\n");
        o.Write(sb);
    }

    /// <summary>Servers listed in the breakdown (those with the most failures).</summary>
    private const int ServerRowsShown = 50;

    private static void WriteTable(AnalysisReport report, TextWriter o)
    {
        var sb = new StringBuilder();
        sb.Append("<section id=\"handshakes\"><h2>Handshakes</h2>");
        if (report.Handshakes.Count == 0)
        {
            sb.Append("<p>No TLS handshakes found.</p></section>\n");
            o.Write(sb);
            return;
        }
        sb.Append("<form class=\"filters js-only\" id=\"filters\"><label>outcome <select id=\"f-outcome\"><option value=\"\">all</option><option value=\"failure\">needs attention</option>");
        foreach (var outcome in report.Handshakes.Select(h => h.Outcome).Distinct().Order())
        {
            Option(sb, outcome.ToCode());
        }
        sb.Append("</select></label> <label>cause <select id=\"f-cause\"><option value=\"\">all</option>");
        foreach (var code in report.Handshakes.SelectMany(h => h.Causes).Select(c => c.Code.ToCode()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            Option(sb, code);
        }
        sb.Append("</select></label> <label>server <select id=\"f-server\"><option value=\"\">all</option>");
        foreach (var server in report.Handshakes.Select(h => h.Server).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            Option(sb, server);
        }
        sb.Append("</select></label> <output id=\"count\"></output></form>");
        sb.Append("<table class=\"grid\" id=\"hs\" data-page-size=\"").Append(PageSize).Append("\"><thead><tr>");
        foreach (var (name, numeric) in Columns)
        {
            sb.Append("<th data-type=\"").Append(numeric ? "num" : "text").Append("\"><button type=\"button\">").Append(name).Append("</button></th>");
        }
        sb.Append("</tr></thead><tbody>\n");
        o.Write(sb);
        sb.Clear();
        var n = 0;
        foreach (var h in report.Handshakes)
        {
            n++;
            var outcome = h.Outcome.ToCode();
            var causes = string.Join(" ", h.Causes.Select(c => c.Code.ToCode()).Distinct(StringComparer.Ordinal));
            sb.Append("<tr class=\"o-").Append(outcome).Append("\" data-outcome=\"").Append(outcome).Append("\" data-failure=\"").Append(h.IsFailure ? '1' : '0')
              .Append("\" data-cause=\"").Append(causes).Append("\" data-server=\"");
            HtmlText.Append(sb, h.Server).Append('"').Append(n > PageSize ? " hidden" : "").Append("><td data-sort=\"").Append(n).Append("\"><a href=\"#h-").Append(n).Append("\">").Append(n).Append("</a></td><td data-sort=\"")
              .Append(h.StartTime.UtcTicks).Append("\">").Append(Time(h.StartTime)).Append("</td><td>");
            HtmlText.Append(sb, h.Client).Append("</td><td>");
            HtmlText.Append(sb, h.Server).Append("</td><td>");
            HtmlText.Append(sb, h.Sni ?? "-").Append("</td><td>");
            HtmlText.Append(sb, h.Version ?? "-").Append("</td><td><span class=\"outcome\">").Append(outcome).Append("</span></td><td>")
              .Append(causes.Length == 0 ? "-" : causes.Replace(" ", ", ", StringComparison.Ordinal)).Append("</td></tr>\n");
            if (sb.Length > 32 * 1024)
            {
                o.Write(sb);
                sb.Clear();
            }
        }
        sb.Append("</tbody></table><nav class=\"pager js-only\" id=\"pager\"><button type=\"button\" id=\"prev\">&#8592; previous</button> <span id=\"page\"></span> <button type=\"button\" id=\"next\">next &#8594;</button></nav></section>\n");
        o.Write(sb);
    }

    private static readonly (string Name, bool Numeric)[] Columns =
        [("#", true), ("start (UTC)", true), ("client", false), ("server", false), ("SNI", false), ("version", false), ("outcome", false), ("cause", false)];

    private static void WriteDetails(AnalysisReport report, TextWriter o, bool lazy)
    {
        if (report.Handshakes.Count == 0)
        {
            return;
        }
        o.Write("<section id=\"details\"><h2>Details</h2>");
        if (!lazy)
        {
            o.Write("<p class=\"note\">Each handshake: its packets, the chain, the validation and the causes with their evidence and fix.</p>\n");
            var sb = new StringBuilder();
            var n = 0;
            foreach (var h in report.Handshakes)
            {
                n++;
                sb.Clear();
                Detail(sb, n, h, open: h.IsFailure, chains: null);
                sb.Append('\n');
                o.Write(sb);
            }
            o.Write("</section>\n");
            return;
        }
        o.Write($"<p class=\"note\">{report.Handshakes.Count} handshakes: open one from the table (its number) to see its packets, chain and causes.</p><div id=\"lazy\"></div></section>\n");
        // HTML strings in JSON: '<', '>' and '&' are written as \u003C etc., so nothing in them can end the block.
        var chains = new Dictionary<string, int>(StringComparer.Ordinal);
        o.Write("<script type=\"application/json\" id=\"details-data\">{\"details\":[");
        var buffer = new StringBuilder();
        var i = 0;
        foreach (var h in report.Handshakes)
        {
            i++;
            buffer.Clear();
            Detail(buffer, i, h, open: true, chains);
            if (i > 1)
            {
                o.Write(',');
            }
            o.Write(JsonString(buffer.ToString()));
            o.Write('\n');
        }
        o.Write("],\"chains\":[");
        var first = true;
        foreach (var chain in chains.OrderBy(kv => kv.Value).Select(kv => kv.Key))
        {
            if (!first)
            {
                o.Write(',');
            }
            first = false;
            o.Write(JsonString(chain));
            o.Write('\n');
        }
        o.Write("]}</script>\n");
    }

    /// <summary>One handshake's &lt;details&gt;. With <paramref name="chains"/>, the chain diagram is shared (a placeholder names it): 10,000 handshakes to the same server carry one copy.</summary>
    private static void Detail(StringBuilder sb, int n, HandshakeReport h, bool open, Dictionary<string, int>? chains)
    {
        var outcome = h.Outcome.ToCode();
        sb.Append("<details class=\"hs o-").Append(outcome).Append("\" id=\"h-").Append(n).Append('"').Append(open ? " open" : "").Append("><summary><span class=\"n\">#").Append(n).Append("</span> ");
        HtmlText.Append(sb, h.Client).Append(" &#8594; ");
        HtmlText.Append(sb, h.Server).Append(" <span class=\"sni\">SNI ");
        HtmlText.Append(sb, h.Sni ?? "none").Append("</span> <span class=\"ver\">");
        HtmlText.Append(sb, h.Version ?? "version unknown");
        if (h.Cipher is { } cipher)
        {
            sb.Append(", ");
            HtmlText.Append(sb, cipher);
        }
        sb.Append("</span> <span class=\"outcome\">").Append(outcome).Append("</span></summary><div class=\"body\"><p class=\"detail\">");
        HtmlText.Append(sb, h.OutcomeDetail).Append("</p>");
        if (h.Path.Count(c => c == '/') >= 2)
        {
            sb.Append("<p class=\"meta\">found on ");
            HtmlText.Append(sb, h.Path).Append("</p>");
        }
        if (h.KeyLog is { } keyLog)
        {
            sb.Append("<p class=\"meta\">key log: ");
            HtmlText.Append(sb, keyLog).Append("</p>");
        }
        if (h.Ladder.Count > 0)
        {
            sb.Append("<h3>Packets</h3><div class=\"scroll\">");
            LadderSvg.Write(sb, h);
            sb.Append("</div>");
        }
        if (h.ServerCertificates.Count > 0 || h.Verdict is not null)
        {
            sb.Append("<h3>Server chain</h3>");
            var chain = new StringBuilder();
            ChainDiagram.Write(chain, h);
            if (chains is null)
            {
                sb.Append(chain);
            }
            else
            {
                var key = chain.ToString();
                if (!chains.TryGetValue(key, out var id))
                {
                    chains[key] = id = chains.Count;
                }
                sb.Append("<div data-chain=\"").Append(id).Append("\"></div>");
            }
        }
        else if (h.CertificateEncrypted)
        {
            sb.Append("<h3>Server chain</h3><p>Encrypted: TLS 1.3 sends the Certificate after the ServerHello under handshake keys (give --keylog to see it).</p>");
        }
        if (h.ClientCertificates.Count > 0)
        {
            sb.Append("<h3>Client certificates</h3><ul>");
            foreach (var c in h.ClientCertificates)
            {
                sb.Append("<li>");
                HtmlText.Append(sb, c.Subject).Append(" <span class=\"fp\">sha256 ");
                HtmlText.Append(sb, c.Sha256).Append("</span></li>");
            }
            sb.Append("</ul>");
        }
        if (h.Verdict is { } v)
        {
            sb.Append("<h3>Validation</h3><p>");
            HtmlText.Append(sb, h.HostChecked is null ? "no host name to check" : $"host {h.HostChecked} from {h.HostSource}");
            sb.Append(", at ").Append(h.ValidatedAt is { } at ? Time(at) : "-").Append(": <strong class=\"").Append(v.Trusted ? "good" : "bad").Append("\">")
              .Append(v.Trusted ? "trusted" : "not trusted").Append("</strong></p>");
            if (v.ClientMessage is { } message)
            {
                sb.Append("<p>the client would say: <q class=\"client-message\">");
                HtmlText.Append(sb, message).Append("</q></p>");
            }
            if (v.NeededInTrustStore.Count > 0)
            {
                sb.Append("<p>the truststore needs:</p><ul>");
                foreach (var c in v.NeededInTrustStore)
                {
                    sb.Append("<li>");
                    HtmlText.Append(sb, c.Subject).Append(" <span class=\"fp\">sha256 ");
                    HtmlText.Append(sb, c.Sha256Hex).Append("</span></li>");
                }
                sb.Append("</ul>");
            }
            sb.Append("<details class=\"search\"><summary>host name, truststore comparison and path search</summary><pre>");
            foreach (var line in VerdictText.Describe(v))
            {
                HtmlText.Append(sb, line).Append('\n');
            }
            sb.Append("</pre></details>");
        }
        if (h.Causes.Count > 0)
        {
            sb.Append("<h3>Causes</h3>");
            foreach (var c in h.Causes)
            {
                sb.Append("<div class=\"cause\"><div class=\"code\">").Append(HtmlText.Escape(c.Code.ToCode())).Append("</div><p class=\"summary\">");
                HtmlText.Append(sb, c.Summary).Append("</p><p class=\"evidence\"><b>evidence</b> ");
                HtmlText.Append(sb, c.Evidence).Append("</p><p class=\"fix\"><b>fix</b> ");
                HtmlText.Append(sb, c.Fix).Append("</p></div>");
            }
        }
        sb.Append("</div></details>");
    }

    private static void WriteCertificates(AnalysisReport report, TextWriter o)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var sb = new StringBuilder();
        foreach (var h in report.Handshakes)
        {
            var ders = h.Verdict?.Path is { } path ? h.ServerChainDer.Concat(path.Select(c => c.Der)) : h.ServerChainDer;
            foreach (var der in ders)
            {
                var sha = Convert.ToHexStringLower(SHA256.HashData(der));
                if (!seen.Add(sha))
                {
                    continue;
                }
                var info = CertificateInfo.Parse(der);
                var pem = Convert.ToBase64String(Encoding.ASCII.GetBytes(CertificateExport.ToPem(der)));
                sb.Append("<li id=\"cert-").Append(ChainDiagram.ShortId(sha)).Append("\"><a download=\"");
                HtmlText.Append(sb, CertificateExport.FileNameFor(info)).Append(".pem\" href=\"data:application/x-pem-file;base64,").Append(pem).Append("\">");
                HtmlText.Append(sb, CertificateExport.FileNameFor(info)).Append(".pem</a> ");
                HtmlText.Append(sb, info.IsParsed ? info.Subject : "(unparsable)").Append(" <span class=\"fp\">sha256 ").Append(sha).Append("</span></li>\n");
            }
        }
        if (seen.Count == 0)
        {
            return;
        }
        o.Write($"<section id=\"certificates\"><h2>Certificates ({seen.Count})</h2><p class=\"note\">Each distinct certificate seen (sent by a server, or the anchor its path ended at), as a PEM file to download.</p><ul class=\"certs\">\n");
        o.Write(sb);
        o.Write("</ul></section>\n");
    }

    private static void WriteAnomaliesAndNotes(AnalysisReport report, TextWriter o)
    {
        var sb = new StringBuilder();
        if (report.Anomalies.Count > 0)
        {
            sb.Append("<section id=\"anomalies\"><h2>Anomalies (").Append(report.Anomalies.Count).Append(")</h2><ul>");
            foreach (var a in report.Anomalies.Take(AnomaliesListed))
            {
                sb.Append("<li>#").Append(a.Packet).Append(' ');
                HtmlText.Append(sb, a.Kind).Append(": ");
                HtmlText.Append(sb, a.Detail).Append("</li>");
            }
            if (report.Anomalies.Count > AnomaliesListed)
            {
                sb.Append("<li>... and ").Append(report.Anomalies.Count - AnomaliesListed).Append(" more</li>");
            }
            sb.Append("</ul></section>\n");
        }
        if (report.Notes.Count > 0)
        {
            sb.Append("<section id=\"notes\"><h2>Notes</h2><ul>");
            foreach (var note in report.Notes)
            {
                sb.Append("<li>");
                HtmlText.Append(sb, note).Append("</li>");
            }
            sb.Append("</ul></section>\n");
        }
        o.Write(sb);
    }

    private static void Fact(StringBuilder sb, string name, string value)
    {
        sb.Append("<dt>").Append(name).Append("</dt><dd>");
        HtmlText.Append(sb, value).Append("</dd>");
    }

    private static void Option(StringBuilder sb, string value)
    {
        sb.Append("<option value=\"");
        HtmlText.Append(sb, value).Append("\">");
        HtmlText.Append(sb, value).Append("</option>");
    }

    private static string Hash(string text) => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)))}'";

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private static string Resource(string name)
    {
        using var stream = typeof(HtmlReportRenderer).Assembly.GetManifestResourceStream("PcapTls.Reporting.Html." + name)
            ?? throw new InvalidOperationException($"resource {name} missing from {typeof(HtmlReportRenderer).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
