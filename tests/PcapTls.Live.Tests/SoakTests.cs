using System.Globalization;
using System.Text.RegularExpressions;
using PcapTls.Testing;

namespace PcapTls.Live.Tests;

/// <summary>
/// tools/soak in its CI-sized form: 20 s of real openssl/curl clients in a network namespace plus replayed real
/// handshakes through a veth pair, against this build of pcaptls live. The checks are the soak's own (nothing
/// reported twice, nothing lost without a counted drop, rotation bounds, a clean SIGTERM); memory growth needs
/// minutes after warm-up and is judged by the full run (tools/soak, 10 minutes by default).
/// </summary>
[TestClass]
public sealed partial class SoakTests
{
    [TestMethod]
    public void ACiSizedSoakPassesWithEveryHandshakeReportedOnce()
    {
        Requires.Root();
        Requires.Libpcap();
        foreach (var tool in new[] { "openssl", "curl", "tcpdump", "tcpreplay", "ip", "ss", "python3", "flock" })
        {
            Requires.Tool(tool);
        }
        if (!File.Exists(RepoPaths.Capture(Path.Combine("pki", "backend.pem"))))
        {
            Assert.Inconclusive("skipped: captures/pki is missing (tools/make-captures makes it)");
        }
        var dll = Path.Combine(AppContext.BaseDirectory, "pcaptls.dll");
        var soak = Path.Combine(RepoPaths.Root, "tools", "soak");
        using var run = BackgroundProcess.StartWithEnvironment("bash", new Dictionary<string, string>
        {
            ["PCAPTLS_CLI"] = $"{Requires.Find("dotnet") ?? "dotnet"} {dll}",
        }, soak, "-d", "20", "-r", "200");
        // A hang guard: the run takes about a minute (recording, 20 s of load, the end checks).
        var exit = run.WaitForExit(TimeSpan.FromMinutes(10));
        if (exit == 3 && run.StdErr.Any(l => l.Contains("another soak is running", StringComparison.Ordinal)))
        {
            Assert.Inconclusive("skipped: another tools/soak is running on this machine");
        }

        Assert.AreEqual(0, exit, run.Describe());
        Assert.AreEqual("soak: PASS", run.StdOut[^1], run.Describe());
        var replayed = run.StdOut.Select(l => Replayed().Match(l)).First(m => m.Success);
        Assert.AreEqual(200 * 20, int.Parse(replayed.Groups[2].Value, CultureInfo.InvariantCulture), "the replay's expected count: 200/s for 20 s");
        Assert.IsGreaterThan(0, int.Parse(replayed.Groups[4].Value, CultureInfo.InvariantCulture), "the real clients made connections: " + run.Describe());
        Assert.IsTrue(run.StdOut.Any(l => l.StartsWith("soak: rotation: ", StringComparison.Ordinal) && l.EndsWith("held at every sample", StringComparison.Ordinal)), run.Describe());
    }

    [GeneratedRegex(@"^soak: replayed: reported (\d+) of (\d+) .*; real clients: reported (\d+) of (\d+) connections")]
    private static partial Regex Replayed();
}
