using Microsoft.Playwright;
using PcapTls.Analysis;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Reporting.Tests;

/// <summary>
/// The HTML report opened in a real headless Chromium: every failure capture of the corpus loads with no console
/// error and no request, the table filters and sorts, the ladder has the packets of the report, hostile names
/// stay text, large reports page and open their details on demand. Screenshots go to the test results folder
/// (PCAPTLS_UPDATE_SCREENSHOTS=1 also rewrites the ones under docs/).
/// </summary>
[TestClass]
public sealed class BrowserTests
{
    private static Browser? _browser;
    private static string _dir = "";

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void Start(TestContext _)
    {
        _dir = Path.Combine(Path.GetTempPath(), "pcaptls-html-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static async Task<Browser> BrowserAsync() => _browser ??= await Browser.StartAsync();

    private static string Write(string name, AnalysisReport report)
    {
        var path = Path.Combine(_dir, name.Replace('/', '_') + ".html");
        File.WriteAllText(path, Reports.Html(report));
        return path;
    }

    [TestMethod]
    public async Task EveryFailureCaptureOpensWithoutErrorsOrRequests()
    {
        var browser = await BrowserAsync();
        var failures = Reports.Failures.ToList();
        Assert.IsGreaterThan(50, failures.Count, "the corpus has its failure captures");
        OpenedPage? page = null;
        try
        {
            foreach (var capture in failures)
            {
                var report = Reports.Analyze(capture);
                var file = Write(capture.File, report);
                if (page is null)
                {
                    page = await browser.Open(file);
                }
                else
                {
                    await page.GoToAsync(file);
                }
                page.AssertClean(capture.File);
                // One round trip per page: the table's rows, and per handshake the ladder's packet numbers as data and as drawn.
                var seen = await page.Page.EvaluateAsync<PageFacts>(@"() => ({
                    rows: document.querySelectorAll('#hs tbody tr').length,
                    ladders: Array.from(document.querySelectorAll('details.hs')).map(d => Array.from(d.querySelectorAll('svg.ladder g.pkt')).map(g => Number(g.getAttribute('data-packet')))),
                    drawn: Array.from(document.querySelectorAll('details.hs')).map(d => Array.from(d.querySelectorAll('svg.ladder g.pkt text.no')).map(t => t.textContent))
                })");
                Assert.AreEqual(report.Handshakes.Count, seen.Rows, capture.File);
                Assert.HasCount(report.Handshakes.Count, seen.Ladders, capture.File);
                for (var i = 0; i < report.Handshakes.Count; i++)
                {
                    var ladder = report.Handshakes[i].Ladder;
                    CollectionAssert.AreEqual(ladder.Select(s => s.Packet).ToArray(), seen.Ladders[i], $"{capture.File} #{i + 1}: ladder");
                    CollectionAssert.AreEqual(ladder.Select(s => "#" + s.Packet).ToArray(), seen.Drawn[i], $"{capture.File} #{i + 1}: packet numbers drawn");
                }
            }
        }
        finally
        {
            if (page is not null)
            {
                await page.DisposeAsync();
            }
        }
    }

    private sealed class PageFacts
    {
        public int Rows { get; set; }
        public long[][] Ladders { get; set; } = [];
        public string[][] Drawn { get; set; } = [];
    }

    [TestMethod]
    public async Task TheTableFiltersByOutcomeCauseAndServerAndSorts()
    {
        var browser = await BrowserAsync();
        var report = Reports.Combined("tls12/java/ok.pcap", "tls12/java/untrusted-root.pcap", "tls12/java/leaf-only.pcap", "tls12/openssl/wrong-host.pcap", "tls13/java/ok.pcap");
        await using var page = await browser.Open(Write("combined", report));
        page.AssertClean("combined");
        var p = page.Page;
        var rows = p.Locator("#hs tbody tr");
        Assert.AreEqual(5, await rows.CountAsync());

        await p.SelectOptionAsync("#f-outcome", "completed");
        Assert.AreEqual(report.Handshakes.Count(h => h.Outcome == HandshakeOutcome.Completed), await rows.CountAsync());
        await p.SelectOptionAsync("#f-outcome", "failure");
        Assert.AreEqual(report.Handshakes.Count(h => h.IsFailure), await rows.CountAsync());
        await p.SelectOptionAsync("#f-outcome", "");

        await p.SelectOptionAsync("#f-cause", "incomplete-chain");
        var leafOnly = report.Handshakes.Single(h => h.Causes.Any(c => c.Code == CauseCode.IncompleteChain));
        Assert.AreEqual(1, await rows.CountAsync());
        Assert.AreEqual(leafOnly.Server, await rows.First.Locator("td").Nth(3).TextContentAsync());
        StringAssert.Contains(await p.Locator("#count").TextContentAsync(), "1 of 5");
        await p.SelectOptionAsync("#f-cause", "");

        var server = report.Handshakes[3].Server;
        await p.SelectOptionAsync("#f-server", server);
        Assert.AreEqual(report.Handshakes.Count(h => h.Server == server), await rows.CountAsync());
        await p.SelectOptionAsync("#f-server", "");

        // Sort by server: first ascending, then descending.
        var header = p.Locator("#hs thead th").Nth(3).Locator("button");
        await header.ClickAsync();
        var ascending = await p.Locator("#hs tbody tr td:nth-child(4)").AllTextContentsAsync();
        CollectionAssert.AreEqual(report.Handshakes.Select(h => h.Server).Order(StringComparer.Ordinal).ToList(), ascending.ToList());
        await header.ClickAsync();
        var descending = await p.Locator("#hs tbody tr td:nth-child(4)").AllTextContentsAsync();
        CollectionAssert.AreEqual(ascending.Reverse().ToList(), descending.ToList());
        Assert.AreEqual("descending", await p.Locator("#hs thead th").Nth(3).GetAttributeAsync("aria-sort"));
        page.AssertClean("combined, after filtering and sorting");
    }

    [TestMethod]
    public async Task HostileNamesStayText()
    {
        var browser = await BrowserAsync();
        var report = Reports.Analyze("hostile/hostile-names.pcap", "truststores/root.pem", ClientProfile.OpenSsl);
        foreach (var (name, r) in new[] { ("hostile", report), ("hostile-lazy", Reports.Repeated(report, Html.HtmlReportRenderer.InlineDetailLimit + 1)) })
        {
            await using var page = await browser.Open(Write(name, r));
            if (name == "hostile-lazy")
            {
                await page.Page.Locator("#hs tbody tr a").First.ClickAsync();
                await page.Page.Locator("#h-1 svg.ladder").WaitForAsync();
            }
            page.AssertClean(name);
            var text = await page.Page.InnerTextAsync("#h-1");
            StringAssert.Contains(text, "<script>alert(3)</script>", name);
            StringAssert.Contains(text, "<svg onload=alert(5)>.pcaptls.test", name);
            var injected = await page.Page.EvaluateAsync<int>("() => document.querySelectorAll('img, iframe, object, embed, [onload], [onerror], body script:not([type])').length");
            Assert.AreEqual(1, injected, $"{name}: only the report's own script is an active element");
        }
    }

    [TestMethod]
    public async Task ALargeReportPagesAndOpensDetailsOnDemand()
    {
        var browser = await BrowserAsync();
        var one = Reports.Analyze(Reports.Get("tls12/java/untrusted-root.pcap"));
        var report = Reports.Repeated(one, 1000);
        await using var page = await browser.Open(Write("large", report));
        var p = page.Page;
        Assert.AreEqual(Html.HtmlReportRenderer.PageSize, await p.Locator("#hs tbody tr").CountAsync());
        Assert.AreEqual(0, await p.Locator("details.hs").CountAsync(), "no details until one is opened");
        await p.ClickAsync("#next");
        Assert.AreEqual("101", await p.Locator("#hs tbody tr td").First.TextContentAsync());
        StringAssert.Contains(await p.Locator("#page").TextContentAsync(), "page 2 of 10");

        await p.Locator("#hs tbody tr a", new() { HasText = "150" }).ClickAsync();
        var details = p.Locator("#h-150");
        await details.WaitForAsync();
        Assert.IsTrue(await details.EvaluateAsync<bool>("d => d.open"));
        Assert.AreEqual(one.Handshakes[0].Ladder.Count, await details.Locator("svg.ladder g.pkt").CountAsync());
        Assert.AreEqual(1, await details.Locator("ol.chain li.cert.missing").CountAsync(), "the shared chain diagram is filled in");
        page.AssertClean("large");
    }

    [TestMethod]
    public async Task ThemesFollowTheSystemAndPrintingHidesTheControls()
    {
        var browser = await BrowserAsync();
        var path = Write("theme", Reports.Analyze(Reports.Get("tls12/java/untrusted-root.pcap")));
        string light, dark;
        await using (var page = await browser.Open(path, ColorScheme.Light))
        {
            light = await page.Page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
            await page.Page.EmulateMediaAsync(new() { Media = Media.Print });
            Assert.AreEqual("none", await page.Page.EvaluateAsync<string>("() => getComputedStyle(document.getElementById('filters')).display"));
        }
        await using (var page = await browser.Open(path, ColorScheme.Dark))
        {
            dark = await page.Page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
            await page.Page.ScreenshotAsync(new() { Path = Path.Combine(ResultsDir(), "untrusted-root-dark.png"), FullPage = true });
            page.AssertClean("dark");
        }
        Assert.AreEqual("rgb(255, 255, 255)", light);
        Assert.AreNotEqual(light, dark);
    }

    [TestMethod]
    [DataRow("tls12/java/untrusted-root.pcap", "report-untrusted-root.png")]
    [DataRow("tls12/java/leaf-only.pcap", "report-incomplete-chain.png")]
    [DataRow("tls12/java/wrong-host.pcap", "report-name-mismatch.png")]
    public async Task Screenshots(string capture, string name)
    {
        var browser = await BrowserAsync();
        await using var page = await browser.Open(Write(capture, Reports.Analyze(Reports.Get(capture))), width: 1100);
        page.AssertClean(capture);
        var shot = Path.Combine(ResultsDir(), name);
        await page.Page.Locator("#h-1").ScreenshotAsync(new() { Path = shot });
        Assert.IsGreaterThan(10_000, new FileInfo(shot).Length, "a picture, not an empty frame");
        TestContext.AddResultFile(shot);
        if (Environment.GetEnvironmentVariable("PCAPTLS_UPDATE_SCREENSHOTS") == "1")
        {
            File.Copy(shot, Path.Combine(RepoPaths.Root, "docs", name), overwrite: true);
        }
    }

    private string ResultsDir()
    {
        var dir = TestContext.TestResultsDirectory ?? _dir;
        Directory.CreateDirectory(dir);
        return dir;
    }
}
