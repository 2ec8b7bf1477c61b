using Microsoft.Playwright;

namespace PcapTls.Reporting.Tests;

/// <summary>
/// Debian's chromium, headless, driven by Playwright (its own browser download cannot run here). A page opened
/// through <see cref="Open"/> records console errors, uncaught exceptions, dialogs (alert) and every request
/// other than the page's own file.
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>Skips the test (inconclusive, with the reason) when chromium is not installed.</summary>
    public static async Task<Browser> StartAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Inconclusive($"skipped: {ChromiumPath} is not installed (CI installs Debian's chromium with apt-get)");
        }
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox", "--disable-gpu"] });
        return new Browser(playwright, browser);
    }

    public async Task<OpenedPage> Open(string file, ColorScheme scheme = ColorScheme.Light, int width = 1280)
    {
        var context = await _browser.NewContextAsync(new() { ColorScheme = scheme, ViewportSize = new() { Width = width, Height = 900 } });
        var page = await context.NewPageAsync();
        var opened = new OpenedPage(context, page);
        await opened.GoToAsync(file);
        return opened;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

internal sealed class OpenedPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;

    public OpenedPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning")
            {
                ConsoleErrors.Add($"{m.Type}: {m.Text}");
            }
        };
        page.PageError += (_, e) => ConsoleErrors.Add("uncaught: " + e);
        page.Dialog += async (_, d) =>
        {
            Dialogs.Add($"{d.Type}: {d.Message}");
            await d.DismissAsync();
        };
        page.Request += (_, r) =>
        {
            if (r.Url != Url && !r.Url.StartsWith(Url + "#", StringComparison.Ordinal))
            {
                Requests.Add(r.Url);
            }
        };
    }

    public IPage Page { get; }

    public string Url { get; private set; } = "";

    /// <summary>Loads another report in the same page (what was recorded so far is cleared).</summary>
    public async Task GoToAsync(string file)
    {
        ConsoleErrors.Clear();
        Dialogs.Clear();
        Requests.Clear();
        Url = new Uri(Path.GetFullPath(file)).AbsoluteUri;
        await Page.GotoAsync(Url, new() { WaitUntil = WaitUntilState.Load });
    }

    public List<string> ConsoleErrors { get; } = [];

    public List<string> Dialogs { get; } = [];

    public List<string> Requests { get; } = [];

    /// <summary>Nothing went wrong on the page: no console error, no request, no dialog.</summary>
    public void AssertClean(string what)
    {
        Assert.IsEmpty(ConsoleErrors, $"{what}: console: {string.Join(" | ", ConsoleErrors)}");
        Assert.IsEmpty(Requests, $"{what}: requests: {string.Join(" | ", Requests)}");
        Assert.IsEmpty(Dialogs, $"{what}: dialogs: {string.Join(" | ", Dialogs)}");
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
