using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using PcapTls.Analysis;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Live.Tests;

/// <summary>
/// pcaptls live on the loopback interface, as a process, against real TLS handshakes (openssl s_server, openssl
/// s_client, the Java client), compared with analyze on a tcpdump of the same traffic. Needs root (live capture),
/// openssl and tcpdump; java is used when installed. Ports 23000-23999 belong to these tests.
/// </summary>
[TestClass]
public sealed partial class LiveEndToEndTests
{
    private const string Host = "backend.pcaptls.test";

    public TestContext TestContext { get; set; } = null!;

    private static string Pki(string name) => RepoPaths.Capture(Path.Combine("pki", name));

    private static string TrustStoreFile(string name) => RepoPaths.Capture(Path.Combine("truststores", name));

    private string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pcaptls-live-tests", TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void RequireCorpusPki()
    {
        if (!File.Exists(Pki("backend.pem")) || !File.Exists(TrustStoreFile("unrelated-root.pem")))
        {
            Assert.Inconclusive("skipped: captures/pki and captures/truststores are missing (tools/make-captures makes them)");
        }
    }

    [TestMethod]
    public void LiveReportsEachHandshakeAsAnalyzeDoesOnATcpdumpOfTheSameTraffic()
    {
        Requires.Libpcap();
        Requires.Root();
        var openssl = Requires.Tool("openssl");
        var tcpdump = Requires.Tool("tcpdump");
        Requires.Tool("ss");
        RequireCorpusPki();
        var dir = NewDirectory();
        // A block of 100 ports no socket uses (in any state, TIME_WAIT of an earlier run included): the servers
        // listen on its first two, the clients bind the next ones, the capture filter is the block.
        var block = FreePortBlock();
        var filter = $"tcp portrange {block}-{block + 99}";
        var tls12Port = block + 1;
        var tls13Port = block + 2;

        // The servers write key logs while live runs: live follows them (TLS 1.3 certificates are encrypted).
        var keys12 = Path.Combine(dir, "server12.keys");
        var keys13 = Path.Combine(dir, "server13.keys");
        File.WriteAllText(keys12, "");
        File.WriteAllText(keys13, "");
        using var server12 = StartServer(openssl, tls12Port, "-tls1_2", keys12);
        using var server13 = StartServer(openssl, tls13Port, "-tls1_3", keys13);
        using var dump = BackgroundProcess.Start(tcpdump, "-i", "lo", "-s", "0", "-U", "--immediate-mode", "-w", Path.Combine(dir, "tcpdump.pcap"), filter);
        dump.WaitForStdErr(l => l.Contains("listening on", StringComparison.Ordinal), "tcpdump starts");
        using var live = BackgroundProcess.StartPcapTls("live", "-i", "lo", "--filter", filter,
            "--truststore", TrustStoreFile("unrelated-root.pem"), "--host", Host, "--format", "jsonl", "--keylog", keys12, "--keylog", keys13,
            "--write-failures", Path.Combine(dir, "failures"), "--write-pcap", Path.Combine(dir, "live.pcap"));
        live.WaitForStdErr(l => l.StartsWith("pcaptls: capturing on lo", StringComparison.Ordinal), "live starts");

        // The clients: each from its own source port, so the tests know which line is which.
        var expected = new Dictionary<int, (string Outcome, string? Cause)>();
        var clientPort = block + 50;
        foreach (var (port, version) in new[] { (tls12Port, "-tls1_2"), (tls13Port, "-tls1_3") })
        {
            foreach (var trust in new[] { "root", "unrelated-root" })
            {
                var bind = clientPort++;
                RunOpenSslClient(openssl, port, bind, version, trust);
                expected[bind] = trust == "root" ? ("completed", null) : ("failed", CauseCode.TruststoreMissingAnchor.ToCode());
            }
        }
        if (JavaClient.Compiled is { } classes)
        {
            foreach (var (port, protocol) in new[] { (tls12Port, "TLSv1.2"), (tls13Port, "TLSv1.3") })
            {
                foreach (var trust in new[] { "root", "unrelated-root" })
                {
                    var bind = clientPort++;
                    JavaClient.Run(classes, port, bind, protocol, TrustStoreFile(trust + ".jks"));
                    expected[bind] = trust == "root" ? ("completed", null) : ("failed", CauseCode.TruststoreMissingAnchor.ToCode());
                }
            }
        }

        // Every handshake is reported while live runs (a grace period after its connection closed), not only at the end.
        live.WaitUntil(() => live.StdOut.Count >= expected.Count, $"{expected.Count} handshakes reported");
        live.Signal("TERM");
        Assert.AreEqual(0, live.WaitForExit(), live.Describe());
        dump.Signal("INT");
        dump.WaitForExit();

        var liveLines = live.StdOut.Select(ParseLine).ToList();
        var options = new AnalysisOptions
        {
            TrustStore = TrustStore.Load(TrustStoreFile("unrelated-root.pem"), null),
            Host = Host,
            Decryptors = KeyLogDecryptors.Load(keys12, keys13),
        };
        var analyzed = CaptureAnalyzer.AnalyzeFile(Path.Combine(dir, "tcpdump.pcap"), options);
        var report = analyzed.Handshakes.ToDictionary(h => h.Client, h => (Outcome: h.Outcome.ToCode(), Causes: Codes(h)));

        Assert.HasCount(expected.Count, liveLines, live.Describe());
        Assert.HasCount(expected.Count, report, "handshakes analyze finds in the tcpdump");
        foreach (var line in liveLines)
        {
            Assert.IsTrue(report.TryGetValue(line.Client, out var offline), $"{line.Client} is not in the tcpdump analysis");
            Assert.AreEqual(offline.Outcome, line.Outcome, line.Client);
            // Strict: s_server writes a TLS 1.3 connection's key log lines while its handshake runs (the client's
            // secrets after its own); live reads the lines appended when a record does not open, so it sees what
            // analyze sees reading the finished key log afterwards.
            CollectionAssert.AreEqual(offline.Causes, line.Causes, $"{line.Client}: live {string.Join(",", line.Causes)}, analyze {string.Join(",", offline.Causes)}");
            var port = int.Parse(line.Client[(line.Client.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
            var (outcome, cause) = expected[port];
            Assert.AreEqual(outcome, line.Outcome, line.Client);
            if (cause is not null)
            {
                CollectionAssert.Contains(line.Causes, cause, line.Client);
            }
        }

        // The summary analyze would print, on stderr with jsonl; the files it kept read back the same way.
        Assert.IsTrue(live.StdErr.Any(l => l.StartsWith("Capture: live:lo", StringComparison.Ordinal)), live.Describe());
        var kept = CaptureAnalyzer.AnalyzeFile(Path.Combine(dir, "live.pcap"), options);
        CollectionAssert.AreEquivalent(analyzed.Handshakes.Select(h => $"{h.Client} {h.Outcome.ToCode()}").ToList(), kept.Handshakes.Select(h => $"{h.Client} {h.Outcome.ToCode()}").ToList());
        var failureFiles = Directory.GetFiles(Path.Combine(dir, "failures"), "*.pcap");
        Assert.HasCount(analyzed.Handshakes.Count(h => h.IsFailure), failureFiles);
        foreach (var f in failureFiles)
        {
            var single = CaptureAnalyzer.AnalyzeFile(f, options);
            Assert.HasCount(1, single.Handshakes, f);
            Assert.IsTrue(single.Handshakes[0].IsFailure, f);
        }
    }

    [TestMethod]
    public void SigtermMidRunLeavesCompleteReadableRotatedFiles()
    {
        Requires.Libpcap();
        Requires.Root();
        var dir = NewDirectory();
        var path = Path.Combine(dir, "all.pcap");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var live = BackgroundProcess.StartPcapTls("live", "-i", "lo", "--filter", $"tcp port {port}", "--write-pcap", path, "--rotate-mb", "1", "--color", "never");
        live.WaitForStdErr(l => l.StartsWith("pcaptls: capturing on lo", StringComparison.Ordinal), "live starts");

        using var stopSending = new CancellationTokenSource();
        var receiver = Task.Run(async () =>
        {
            using var server = await listener.AcceptTcpClientAsync();
            var buffer = new byte[1 << 16];
            var stream = server.GetStream();
            while (await stream.ReadAsync(buffer) > 0)
            {
            }
        });
        long sent = 0;
        var sender = Task.Run(async () =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var chunk = new byte[32 << 10];
            var stream = client.GetStream();
            while (!stopSending.IsCancellationRequested)
            {
                await stream.WriteAsync(chunk);
                Interlocked.Add(ref sent, chunk.Length);
                await Task.Delay(1);
            }
        });

        // Traffic is still flowing when SIGTERM arrives, and at least one rotation happened before.
        live.WaitUntil(() => File.Exists(path) && Interlocked.Read(ref sent) > 4 << 20, "a rotated file");
        live.Signal("TERM");
        var exit = live.WaitForExit();
        stopSending.Cancel();
        sender.Wait(TimeSpan.FromSeconds(30));
        listener.Stop();

        Assert.AreEqual(0, exit, live.Describe());
        var files = Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToList();
        Assert.IsFalse(files.Any(f => Path.GetFileName(f).StartsWith('.')), "a temporary file was left: " + string.Join(", ", files));
        Assert.IsGreaterThanOrEqualTo(2, files.Count, string.Join(", ", files));
        long frames = 0;
        foreach (var f in files)
        {
            var (seconds, anomalies) = Frames.ReadBack(f);
            Assert.AreEqual(0, anomalies, f);
            Assert.IsNotEmpty(seconds, f);
            frames += seconds.Count;
        }
        var wrote = live.StdOut.Select(l => WroteFrames().Match(l)).FirstOrDefault(m => m.Success);
        Assert.IsNotNull(wrote, live.Describe());
        Assert.AreEqual(long.Parse(wrote.Groups[1].Value, CultureInfo.InvariantCulture), frames, "every frame counted is in the files");
    }

    /// <summary>A TCP connection on loopback that sends <paramref name="bytes"/> in 32 KB chunks when asked.</summary>
    private sealed class LoopbackSender : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly TcpClient _client = new();
        private readonly Task _receiver;
        private readonly NetworkStream _stream;

        public LoopbackSender()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            var accepted = _listener.AcceptTcpClientAsync();
            _client.Connect(IPAddress.Loopback, Port);
            _stream = _client.GetStream();
            _receiver = Task.Run(async () =>
            {
                using var server = await accepted;
                var buffer = new byte[1 << 16];
                var stream = server.GetStream();
                while (await stream.ReadAsync(buffer) > 0)
                {
                }
            });
        }

        public int Port { get; }

        public void Send(int bytes)
        {
            var chunk = new byte[32 << 10];
            for (var sent = 0; sent < bytes; sent += chunk.Length)
            {
                _stream.Write(chunk);
            }
        }

        public void Dispose()
        {
            _client.Dispose();
            _receiver.Wait(TimeSpan.FromSeconds(30));
            _listener.Stop();
        }
    }

    private static long StatsValue(BackgroundProcess live, string key)
    {
        var last = live.StdErr.LastOrDefault(l => l.StartsWith("pcaptls: stats ", StringComparison.Ordinal));
        var pair = last?.Split(' ').FirstOrDefault(p => p.StartsWith(key + "=", StringComparison.Ordinal));
        return pair is null ? -1 : long.Parse(pair[(key.Length + 1)..], CultureInfo.InvariantCulture);
    }

    [TestMethod]
    public void SighupCompletesTheCurrentPcapFileAndTheCaptureGoesOn()
    {
        Requires.Libpcap();
        Requires.Root();
        var dir = NewDirectory();
        var path = Path.Combine(dir, "all.pcap");
        using var sender = new LoopbackSender();
        using var live = BackgroundProcess.StartPcapTls("live", "-i", "lo", "--filter", $"tcp port {sender.Port}", "--write-pcap", path,
            "--rotate-mb", "0", "--stats-every", "1s", "--color", "never");
        live.WaitForStdErr(l => l.StartsWith("pcaptls: capturing on lo", StringComparison.Ordinal), "live starts");

        sender.Send(256 << 10);
        live.WaitUntil(() => StatsValue(live, "pcap_frames") > 0, "frames written");
        Assert.IsFalse(File.Exists(path), "without rotation the file is complete only at the end");
        live.Signal("HUP");
        live.WaitUntil(() => File.Exists(path), "SIGHUP completes the file under its final name");
        var first = Frames.ReadBack(path);
        Assert.AreEqual(0, first.Anomalies);
        Assert.IsNotEmpty(first.Seconds);

        var before = StatsValue(live, "pcap_frames");
        sender.Send(256 << 10);
        live.WaitUntil(() => StatsValue(live, "pcap_frames") > before, "more frames after SIGHUP");
        live.Signal("TERM");
        Assert.AreEqual(0, live.WaitForExit(), live.Describe());

        var files = Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToList();
        CollectionAssert.AreEqual(new[] { path, path + ".1" }, files, "SIGHUP started the next file");
        var wrote = live.StdOut.Select(l => WroteFrames().Match(l)).First(m => m.Success);
        Assert.AreEqual(long.Parse(wrote.Groups[1].Value, CultureInfo.InvariantCulture),
            files.Sum(f => (long)Frames.ReadBack(f).Seconds.Count), "every frame counted is in the two files");
    }

    [TestMethod]
    public void AFullDiskUnderWritePcapIsAWarningTheCaptureGoesOnAndTheLossIsCounted()
    {
        Requires.Libpcap();
        Requires.Root();
        var mount = Requires.Tool("mount");
        var umount = Requires.Tool("umount");
        var dir = NewDirectory();
        // A 64 KiB tmpfs: the 1 MiB write buffer cannot be flushed there (ENOSPC), as on a full disk.
        var mounted = Requires.Run(mount, "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir);
        if (mounted.ExitCode != 0)
        {
            Assert.Inconclusive($"skipped: cannot mount a tmpfs here: {mounted.StdErr.Trim()}");
        }
        try
        {
            using var sender = new LoopbackSender();
            using var live = BackgroundProcess.StartPcapTls("live", "-i", "lo", "--filter", $"tcp port {sender.Port}",
                "--write-pcap", Path.Combine(dir, "all.pcap"), "--stats-every", "1s", "--color", "never");
            live.WaitForStdErr(l => l.StartsWith("pcaptls: capturing on lo", StringComparison.Ordinal), "live starts");

            sender.Send(4 << 20);
            live.WaitUntil(() => live.StdErr.Any(l => l.StartsWith("pcaptls: warning: cannot write ", StringComparison.Ordinal)), "the write error is reported");
            var before = StatsValue(live, "packets");
            sender.Send(256 << 10);
            live.WaitUntil(() => StatsValue(live, "packets") > before, "the capture goes on after the write error");
            live.Signal("TERM");
            Assert.AreEqual(0, live.WaitForExit(), live.Describe());

            var warning = live.StdErr.First(l => l.StartsWith("pcaptls: warning: cannot write ", StringComparison.Ordinal));
            StringAssert.Contains(warning, "capture goes on", live.Describe());
            Assert.IsGreaterThanOrEqualTo(1L, StatsValue(live, "output_write_errors"), live.Describe());
            Assert.IsGreaterThan(0L, StatsValue(live, "pcap_frames_not_written"), live.Describe());
            Assert.IsTrue(live.StdOut.Any(l => l.StartsWith("Live capture: ", StringComparison.Ordinal) && l.Contains("write errors", StringComparison.Ordinal)), live.Describe());
            Assert.IsFalse(Directory.GetFiles(dir).Any(f => Path.GetFileName(f).StartsWith('.')), "no temporary file is left");
        }
        finally
        {
            Requires.Run(umount, dir);
        }
    }

    [TestMethod]
    public void AMissingInterfaceIsOneLineAndExitCode5()
    {
        Requires.Libpcap();
        var (code, stdout, stderr) = RunInProcess("live", "-i", "pcaptls-no-such-interface");

        Assert.AreEqual(5, code, stderr);
        Assert.AreEqual("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, stderr);
        StringAssert.StartsWith(lines[0], "pcaptls: no interface 'pcaptls-no-such-interface' (available: ");
        StringAssert.Contains(lines[0], "lo");
    }

    [TestMethod]
    [DataRow("0")]
    [DataRow("4096")]
    public void AKernelBufferOutsideItsRangeIsOneLineAndExitCode2(string megabytes)
    {
        AssertUsageError($"pcaptls: --buffer-mb must be from 1 to 2048, not {megabytes}", "live", "-i", "lo", "--buffer-mb", megabytes);
    }

    [TestMethod]
    [DataRow("0s")]
    [DataRow("500ms")]
    [DataRow("often")]
    public void AStatsIntervalThatIsNotADurationOfASecondOrMoreIsOneLineAndExitCode2(string interval)
    {
        AssertUsageError($"pcaptls: --stats-every: '{interval}' is not a duration of 1s or more (e.g. 10s, 1m)", "live", "-i", "lo", "--stats-every", interval);
    }

    /// <summary>A usage error: exit code 2, nothing on stdout, one line on stderr.</summary>
    private static void AssertUsageError(string expected, params string[] args)
    {
        var (code, stdout, stderr) = RunInProcess(args);

        Assert.AreEqual(2, code, stderr);
        Assert.AreEqual("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, stderr);
        Assert.AreEqual(expected, lines[0]);
    }

    [TestMethod]
    public void StatsEveryWritesKeyValueSamplesAndALastOneThatMatchesTheSummary()
    {
        Requires.Libpcap();
        Requires.Root();
        var (code, stdout, stderr) = RunInProcess("live", "-i", "lo", "--filter", "tcp port 1", "--duration", "2s", "--stats-every", "1s");

        Assert.AreEqual(0, code, stderr);
        var samples = stderr.Split('\n').Where(l => l.StartsWith("pcaptls: stats ", StringComparison.Ordinal)).ToList();
        Assert.IsNotEmpty(samples, stderr);
        string[] keys = ["elapsed_s", "packets", "bytes", "handshakes", "failed", "kernel_received", "kernel_drops", "interface_drops",
            "queue_drops", "flows", "evicted", "buffered_bytes", "rss_bytes", "gc_heap_bytes", "failure_files", "failure_frames_not_kept", "pcap_frames", "pcap_frames_not_written", "output_write_errors"];
        foreach (var sample in samples)
        {
            var pairs = sample["pcaptls: stats ".Length..].Split(' ').Select(p => p.Split('=')).ToList();
            CollectionAssert.AreEqual(keys, pairs.Select(p => p[0]).ToArray(), sample);
            Assert.IsTrue(pairs.All(p => p.Length == 2 && (p[1] == "?" || double.TryParse(p[1], NumberStyles.Float, CultureInfo.InvariantCulture, out _))), sample);
        }
        var last = samples[^1]["pcaptls: stats ".Length..].Split(' ').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
        Assert.IsGreaterThan(0L, long.Parse(last["rss_bytes"], CultureInfo.InvariantCulture));
        Assert.IsGreaterThan(0L, long.Parse(last["gc_heap_bytes"], CultureInfo.InvariantCulture));
        Assert.IsGreaterThanOrEqualTo(2.0, double.Parse(last["elapsed_s"], CultureInfo.InvariantCulture), "the last sample is taken at the end");
        StringAssert.Contains(stdout, $"Live capture: ", "the summary is printed too");
    }

    [TestMethod]
    public void AFilterThatDoesNotCompileIsOneLineWithLibpcapsMessageAndExitCode5()
    {
        Requires.Libpcap();
        Requires.Root();
        var (code, _, stderr) = RunInProcess("live", "-i", "lo", "--filter", "tcp port");

        Assert.AreEqual(5, code, stderr);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, stderr);
        StringAssert.StartsWith(lines[0], "pcaptls: the filter 'tcp port' does not compile: ");
        StringAssert.Contains(lines[0], "syntax error");
    }

    [TestMethod]
    public void InterfacesListsLoopbackWithItsAddress()
    {
        Requires.Libpcap();
        var (code, stdout, stderr) = RunInProcess("interfaces");

        Assert.AreEqual(0, code, stderr);
        var lo = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("lo ", StringComparison.Ordinal));
        Assert.IsNotNull(lo, stdout);
        StringAssert.Contains(lo, "127.0.0.1/8");
        StringAssert.Contains(lo, "loopback");
    }

    /// <summary>The first port of a block of 100 in 23000-23999 where `ss` shows no socket at all, starting at an
    /// offset from the process id so two runs at once look at different blocks first.</summary>
    private static int FreePortBlock()
    {
        var used = new HashSet<int>();
        foreach (var line in Requires.Run("ss", "-Htan").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // State Recv-Q Send-Q Local:Port Peer:Port
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 4 && int.TryParse(fields[3].AsSpan(fields[3].LastIndexOf(':') + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var local))
            {
                used.Add(local);
            }
        }
        for (var i = 0; i < 10; i++)
        {
            var block = 23000 + ((Environment.ProcessId + i) % 10 * 100);
            if (!Enumerable.Range(block, 100).Any(used.Contains))
            {
                return block;
            }
        }
        Assert.Inconclusive("skipped: every block of 100 ports in 23000-23999 has a socket in use");
        return 0;
    }

    [GeneratedRegex(@"wrote (\d+) frame\(s\)")]
    private static partial Regex WroteFrames();

    private static (int Code, string StdOut, string StdErr) RunInProcess(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = PcapTls.Cli.Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static List<string> Codes(HandshakeReport h) => h.Causes.Select(c => c.Code.ToCode()).Distinct().Order(StringComparer.Ordinal).ToList();

    private static (string Client, string Outcome, List<string> Causes) ParseLine(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        var causes = root.GetProperty("causes").EnumerateArray().Select(c => c.GetProperty("code").GetString()!).Distinct().Order(StringComparer.Ordinal).ToList();
        return (root.GetProperty("client").GetString()!, root.GetProperty("outcome").GetString()!, causes);
    }

    private static BackgroundProcess StartServer(string openssl, int port, string version, string keyLog)
    {
        var server = BackgroundProcess.Start(openssl, "s_server", "-accept", $"127.0.0.1:{port}", version, "-keylogfile", keyLog,
            "-cert", Pki("backend.pem"), "-key", Pki(Path.Combine("keys", "backend.key")),
            "-cert_chain", Pki("intermediate-chain.pem"), "-www", "-quiet");
        server.WaitUntil(() => Requires.Run("ss", "-Hltn", $"sport = :{port}").StdOut.Trim().Length > 0, $"s_server listens on {port}");
        return server;
    }

    private static void RunOpenSslClient(string openssl, int port, int bind, string version, string trust)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(openssl) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "s_client", "-connect", $"127.0.0.1:{port}", "-bind", $"127.0.0.1:{bind}", version,
            "-servername", Host, "-verify_hostname", Host, "-verify_return_error", "-CAfile", TrustStoreFile(trust + ".pem"),
            "-no-CApath", "-no-CAstore", "-ign_eof" })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write($"GET / HTTP/1.0\r\nHost: {Host}\r\n\r\n");
        p.StandardInput.Close();
        if (!p.WaitForExit(30_000))
        {
            p.Kill(true);
            Assert.Fail($"s_client to {port} did not finish");
        }
        _ = output.Result + error.Result;
    }

    /// <summary>tools/java-client compiled once (javac) so each run starts a plain JVM.</summary>
    private static class JavaClient
    {
        private static readonly Lazy<string?> CompiledLazy = new(() =>
        {
            var javac = Requires.Find("javac");
            var source = Path.Combine(RepoPaths.Root, "tools", "java-client", "PcapTlsClient.java");
            if (javac is null || Requires.Find("java") is null || !File.Exists(source))
            {
                return null;
            }
            var outDir = Path.Combine(Path.GetTempPath(), "pcaptls-live-tests", "java-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(outDir);
            var (code, _, err) = Requires.Run(javac, "-d", outDir, source);
            Assert.AreEqual(0, code, err);
            return outDir;
        });

        public static string? Compiled => CompiledLazy.Value;

        public static void Run(string classes, int port, int bind, string protocol, string truststore)
        {
            var (code, stdout, stderr) = Requires.Run(Requires.Find("java")!, "-XX:TieredStopAtLevel=1", "-cp", classes, "PcapTlsClient",
                "--connect", $"127.0.0.1:{port}", "--bind", $"127.0.0.1:{bind}", "--host", Host,
                "--truststore", truststore, "--storepass", "changeit", "--protocol", protocol);
            Assert.IsTrue(code is 0 or 1, $"java client: {code} {stdout} {stderr}");
        }
    }
}
