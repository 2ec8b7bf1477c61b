using System.Globalization;
using System.Text;
using PcapTls.Analysis;
using PcapTls.Validation;

namespace PcapTls.Reporting.Html;

/// <summary>
/// The chain as a diagram: leaf -> intermediates -> anchor, each certificate with subject, issuer, validity and
/// fingerprint, and whether the server sent it, the truststore holds it, or it is missing; the link where the
/// path breaks is marked with the reason the path search gave. Drawn from the verdict's path search, so the
/// picture is the validator's own path, not a second guess.
/// </summary>
internal static class ChainDiagram
{
    /// <summary>More than this many boxes is a loop or a hostile chain; the search itself stops earlier.</summary>
    private const int MaxBoxes = 16;

    private sealed record Box(CertificateInfo? Certificate, CertificateSummary? Summary, string? MissingName, string Origin, bool Trusted, string? Problem);

    private sealed record Link(bool Ok, string Text);

    public static void Write(StringBuilder sb, HandshakeReport h)
    {
        var (boxes, links) = h.Verdict is { } v && v.Explanation.Root is not null
            ? FromSearch(v)
            : (h.ServerCertificates.Select((c, i) => new Box(null, c, null, $"sent #{i + 1}", false, null)).ToList(), new List<Link>());
        if (boxes.Count == 0)
        {
            return;
        }
        sb.Append("<ol class=\"chain\">");
        for (var i = 0; i < boxes.Count; i++)
        {
            if (i > 0)
            {
                var link = i - 1 < links.Count ? links[i - 1] : new Link(true, "next sent");
                sb.Append("<li class=\"link ").Append(link.Ok ? "ok" : "broken").Append("\"><span class=\"sym\" aria-hidden=\"true\">")
                  .Append(link.Ok ? "&#8593;" : "&#10007;").Append("</span> ");
                HtmlText.Append(sb, link.Text).Append("</li>");
            }
            WriteBox(sb, boxes[i], i, boxes.Count);
        }
        sb.Append("</ol>");
    }

    private static (List<Box>, List<Link>) FromSearch(ChainVerdict v)
    {
        var boxes = new List<Box>();
        var links = new List<Link>();
        var node = v.Explanation.Root;
        while (node is not null && boxes.Count < MaxBoxes)
        {
            boxes.Add(new Box(node.Certificate, null, null, node.Origin, node.IsAnchor, node.Problem));
            if (node.IsAnchor)
            {
                break;
            }
            var attempt = node.Attempts.FirstOrDefault(a => a.Accepted)
                ?? node.Attempts.FirstOrDefault(a => a.Continuation is not null)
                ?? node.Attempts.FirstOrDefault();
            if (attempt is null)
            {
                if (node.IssuerNotFound && !node.Certificate.IsSelfIssued)
                {
                    links.Add(new Link(false, "issued by a certificate the server did not send and the truststore does not hold"));
                    boxes.Add(new Box(null, null, node.Certificate.Issuer, "missing", false, null));
                }
                break;
            }
            // An issuer whose signature checks but that has no path above it is a sound link; the break is further up.
            links.Add(attempt.Accepted || attempt.Rejection == IssuerRejection.NoPathAbove
                ? new Link(true, attempt.Trusted ? "issued by (trust anchor)" : "issued by")
                : new Link(false, "issued by? rejected: " + attempt.Reason));
            if (attempt.Continuation is { } next)
            {
                node = next;
                continue;
            }
            boxes.Add(new Box(attempt.Candidate, null, null, attempt.Origin, attempt.Trusted, null));
            break;
        }
        return (boxes, links);
    }

    private static void WriteBox(StringBuilder sb, Box b, int index, int count)
    {
        var role = index == 0 ? "leaf" : b.MissingName is not null ? "missing issuer" : b.Trusted ? "anchor" : index == count - 1 && b.Certificate?.IsSelfIssued == true ? "root" : "intermediate";
        var state = b.MissingName is not null ? "missing" : b.Trusted ? "trusted" : "sent";
        sb.Append("<li class=\"cert ").Append(state).Append(b.Problem is null ? "" : " problem").Append("\">");
        sb.Append("<div class=\"role\">").Append(role);
        foreach (var badge in Badges(b))
        {
            sb.Append(" <span class=\"badge ").Append(badge.Class).Append("\">");
            HtmlText.Append(sb, badge.Text).Append("</span>");
        }
        sb.Append("</div>");
        if (b.MissingName is { } missing)
        {
            sb.Append("<div class=\"subject\">");
            HtmlText.Append(sb, missing).Append("</div><div class=\"note\">neither sent by the server nor in the truststore</div></li>");
            return;
        }
        var (subject, issuer, notBefore, notAfter, sha, names) = b.Certificate is { } c
            ? (c.IsParsed ? c.Subject : "(unparsable)", c.Issuer, c.IsParsed ? c.NotBefore : (DateTimeOffset?)null, c.IsParsed ? c.NotAfter : (DateTimeOffset?)null, c.Sha256Hex, c.DnsNames)
            : (b.Summary!.Subject, b.Summary.Issuer, b.Summary.NotBefore, b.Summary.NotAfter, b.Summary.Sha256, b.Summary.DnsNames);
        sb.Append("<div class=\"subject\">");
        HtmlText.Append(sb, subject).Append("</div><dl>");
        Field(sb, "issuer", issuer);
        Field(sb, "valid", $"{Date(notBefore)} .. {Date(notAfter)}");
        if (names.Count > 0)
        {
            Field(sb, "names", string.Join(", ", names));
        }
        sb.Append("<dt>sha256</dt><dd class=\"fp\">");
        HtmlText.Append(sb, sha).Append(" <a class=\"pem\" href=\"#cert-");
        HtmlText.Append(sb, ShortId(sha)).Append("\">PEM</a></dd></dl>");
        if (b.Problem is { } p)
        {
            sb.Append("<div class=\"note bad\">");
            HtmlText.Append(sb, p).Append("</div>");
        }
        sb.Append("</li>");
    }

    private static IEnumerable<(string Class, string Text)> Badges(Box b)
    {
        if (b.MissingName is not null)
        {
            yield return ("missing", "missing");
            yield break;
        }
        foreach (var part in b.Origin.Split(" and ", StringSplitOptions.RemoveEmptyEntries))
        {
            yield return (part.StartsWith("truststore", StringComparison.Ordinal) ? "trusted" : "sent", part.StartsWith("truststore", StringComparison.Ordinal) ? "in " + part : part);
        }
    }

    private static void Field(StringBuilder sb, string name, string value)
    {
        sb.Append("<dt>").Append(name).Append("</dt><dd>");
        HtmlText.Append(sb, value).Append("</dd>");
    }

    internal static string ShortId(string sha256) => sha256.Length >= 16 ? sha256[..16] : sha256;

    private static string Date(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "?";
}
