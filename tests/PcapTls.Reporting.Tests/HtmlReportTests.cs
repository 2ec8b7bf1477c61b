using System.Text.Json;
using System.Text.RegularExpressions;
using PcapTls.Analysis;
using PcapTls.Reporting.Html;
using PcapTls.Validation;

namespace PcapTls.Reporting.Tests;

/// <summary>The HTML report's markup, read as text: escaping, self-containment, the ladder and the chain diagram.</summary>
[TestClass]
public sealed partial class HtmlReportTests
{
    [TestMethod]
    public void HostileNamesFromTheCaptureAreWrittenAsText()
    {
        var report = Reports.Analyze("hostile/hostile-names.pcap", "truststores/root.pem", ClientProfile.OpenSsl);
        var h = report.Handshakes.Single();
        Assert.AreEqual("<script>alert(3)</script>", h.Sni, "the capture's SNI is the hostile string");
        var html = Reports.Html(report);

        StringAssert.Contains(html, "&lt;script&gt;alert(3)&lt;/script&gt;");
        StringAssert.Contains(html, "&lt;svg onload=alert(5)&gt;.pcaptls.test");
        Assert.DoesNotContain("<script>alert", html);
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("<svg onload", html);
        Assert.AreEqual(1, ScriptTag().Matches(html).Count, "only the report's own script");
    }

    [TestMethod]
    public void ThePageFetchesNothing()
    {
        var html = Reports.Html(Reports.Analyze(Reports.Get("tls12/java/untrusted-root.pcap")));
        StringAssert.Contains(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';");
        var urls = Url().Matches(html).Select(m => m.Value).Distinct().ToList();
        CollectionAssert.AreEqual(new[] { "http://www.w3.org/2000/svg" }, urls, "the only URL is the SVG namespace");
        Assert.DoesNotContain(" src=", html);
        Assert.DoesNotContain("<link", html);
    }

    [TestMethod]
    public void TheLadderHasOneArrowPerPacketInOrder()
    {
        var report = Reports.Analyze(Reports.Get("tls12/java/untrusted-root.pcap"));
        var h = report.Handshakes.Single();
        var html = Reports.Html(report);
        var packets = PacketGroup().Matches(html).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        CollectionAssert.AreEqual(h.Ladder.Select(s => s.Packet).ToList(), packets);
        StringAssert.Contains(html, $"data-packets=\"{h.Ladder.Count}\"");
        var alert = h.Ladder.Single(s => s.What.StartsWith("Alert", StringComparison.Ordinal));
        StringAssert.Contains(html, $"<g class=\"pkt k-alert\" data-packet=\"{alert.Packet}\" data-from=\"client\">");
        var certificate = h.Ladder.First(s => s.What.Contains("Certificate", StringComparison.Ordinal));
        StringAssert.Contains(html, $"<g class=\"pkt k-cert\" data-packet=\"{certificate.Packet}\" data-from=\"server\">");
    }

    [TestMethod]
    public void AMissingIssuerIsDrawnAsABrokenLink()
    {
        var html = Reports.Html(Reports.Analyze(Reports.Get("tls12/java/leaf-only.pcap")));
        var chain = Chain().Match(html).Value;
        StringAssert.Contains(chain, "<li class=\"link broken\">");
        StringAssert.Contains(chain, "<li class=\"cert missing\"><div class=\"role\">missing issuer <span class=\"badge missing\">missing</span></div><div class=\"subject\">CN=PcapTls Test Intermediate CA,O=PcapTls Test</div>");
    }

    [TestMethod]
    public void AnImpostorRootIsAnAnchorWhoseKeyDoesNotVerify()
    {
        var html = Reports.Html(Reports.Analyze(Reports.Get("tls12/java/impostor-root.pcap")));
        var chain = Chain().Match(html).Value;
        StringAssert.Contains(chain, "issued by? rejected: same name, but its public key");
        StringAssert.Contains(chain, "<span class=\"badge trusted\">in truststore");
    }

    [TestMethod]
    public void ATrustedChainEndsAtItsAnchor()
    {
        var html = Reports.Html(Reports.Analyze(Reports.Get("tls12/java/ok.pcap")));
        var chain = Chain().Match(html).Value;
        Assert.DoesNotContain("broken", chain);
        StringAssert.Contains(chain, "<li class=\"cert trusted\"><div class=\"role\">anchor");
    }

    [TestMethod]
    public void ManyHandshakesKeepTheirDetailsOutOfTheDom()
    {
        var one = Reports.Analyze(Reports.Get("tls12/java/untrusted-root.pcap"));
        var report = Reports.Repeated(one, HtmlReportRenderer.InlineDetailLimit + 50);
        var html = Reports.Html(report);
        Assert.DoesNotContain("<details class=\"hs", html, "no details are in the page itself");
        var block = DetailsBlock().Match(html);
        Assert.IsTrue(block.Success);
        using var doc = JsonDocument.Parse(block.Groups[1].Value);
        var details = doc.RootElement.GetProperty("details");
        Assert.AreEqual(report.Handshakes.Count, details.GetArrayLength());
        Assert.AreEqual(1, doc.RootElement.GetProperty("chains").GetArrayLength(), "one chain, drawn once");
        StringAssert.StartsWith(details[249].GetString(), "<details class=\"hs o-failed\" id=\"h-250\" open>");
        Assert.AreEqual(HtmlReportRenderer.PageSize, Regex.Matches(html, "<tr class=\"o-failed\"[^>]*\"><td").Count, "only the first page of rows is shown");
    }

    [TestMethod]
    public void ThePemLinksCarryTheCertificates()
    {
        var report = Reports.Analyze(Reports.Get("tls12/java/untrusted-root.pcap"));
        var html = Reports.Html(report);
        var links = PemLink().Matches(html).ToList();
        Assert.HasCount(report.Handshakes.Single().ServerChainDer.Count, links);
        foreach (var (link, der) in links.Zip(report.Handshakes.Single().ServerChainDer))
        {
            var pem = System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(link.Groups[1].Value));
            Assert.AreEqual(CertificateExport.ToPem(der), pem);
        }
    }

    [GeneratedRegex("<script[ >]")]
    private static partial Regex ScriptTag();

    [GeneratedRegex(@"\b(?:https?|ftp|wss?)://[^\s""'<>)]+")]
    private static partial Regex Url();

    [GeneratedRegex("<g class=\"pkt [^\"]+\" data-packet=\"(\\d+)\"")]
    private static partial Regex PacketGroup();

    [GeneratedRegex("<ol class=\"chain\">.*?</ol>", RegexOptions.Singleline)]
    private static partial Regex Chain();

    [GeneratedRegex("<script type=\"application/json\" id=\"details-data\">(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex DetailsBlock();

    [GeneratedRegex("href=\"data:application/x-pem-file;base64,([A-Za-z0-9+/=]+)\"")]
    private static partial Regex PemLink();
}
