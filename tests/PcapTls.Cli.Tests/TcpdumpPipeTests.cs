using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PcapTls.Testing;

namespace PcapTls.Cli.Tests;

/// <summary>
/// The pipe as engineers use it: <c>tcpdump -i lo -U -w - | pcaptls analyze -</c> with real traffic (openssl
/// s_server and s_client on loopback), analysed as it arrives; the report comes when tcpdump stops. Needs root.
/// </summary>
[TestClass]
public sealed partial class TcpdumpPipeTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public void TcpdumpToStandardInputReportsTheHandshakesWhenTcpdumpStops()
    {
        Requires.Root();
        var tcpdump = Requires.Tool("tcpdump");
        var openssl = Requires.Tool("openssl");
        var pki = RepoPaths.Capture("pki");
        using var server = Start(openssl, "s_server", "-accept", "127.0.0.1:0", "-tls1_2", "-cert", Path.Combine(pki, "backend.pem"),
            "-key", Path.Combine(pki, "keys", "backend.key"), "-cert_chain", Path.Combine(pki, "intermediate.pem"), "-www");
        Process? dump = null;
        try
        {
            _ = server.StandardError.ReadToEndAsync(TestContext.CancellationToken);
            var port = AcceptedPort(server);
            dump = Start(tcpdump, "-i", "lo", "-U", "--immediate-mode", "-s", "0", "-w", "-", $"tcp port {port}");
            // Readiness: tcpdump says "listening on lo" on stderr once the capture runs.
            var listening = new TaskCompletionSource();
            var dumpErr = new StringBuilder();
            var proc = dump;
            _ = Task.Run(() =>
            {
                while (proc.StandardError.ReadLine() is { } line)
                {
                    dumpErr.AppendLine(line);
                    if (line.Contains("listening on lo", StringComparison.Ordinal))
                    {
                        listening.TrySetResult();
                    }
                }
                listening.TrySetResult();
            }, TestContext.CancellationToken);
            listening.Task.Wait(TestContext.CancellationToken);
            Assert.IsFalse(dump.HasExited, "tcpdump stopped: " + dumpErr);

            // The analyzer reads tcpdump's output as it arrives; the marker tells the test when the traffic went by.
            var marker = Encoding.ASCII.GetBytes($"PCAPTLS-PIPE-END-{Guid.NewGuid():N}");
            var piped = new MarkerStream(dump.StandardOutput.BaseStream, marker);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var analysis = Task.Run(() => Program.Run(["analyze", "-", "--truststore", RepoPaths.Capture("truststores/unrelated-root.pem"), "--format", "json"],
                stdout, stderr, () => piped), TestContext.CancellationToken);

            using (var client = Start(openssl, "s_client", "-connect", $"127.0.0.1:{port}", "-servername", "backend.pcaptls.test",
                "-CAfile", RepoPaths.Capture("truststores/unrelated-root.pem"), "-verify_return_error"))
            {
                client.StandardInput.Close();
                _ = client.StandardOutput.ReadToEndAsync(TestContext.CancellationToken);
                _ = client.StandardError.ReadToEndAsync(TestContext.CancellationToken);
                client.WaitForExitAsync(TestContext.CancellationToken).Wait(TestContext.CancellationToken);
                Assert.AreNotEqual(0, client.ExitCode, "s_client must reject the chain (unrelated root)");
            }
            using (var socket = new TcpClient())
            {
                socket.Connect("127.0.0.1", port);
                socket.GetStream().Write(marker);
            }
            piped.Seen.Wait(TestContext.CancellationToken);
            using (var kill = Process.Start("kill", ["-INT", dump.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                kill.WaitForExit();
            }
            analysis.Wait(TestContext.CancellationToken);
            Assert.AreEqual(0, analysis.Result, stderr.ToString());

            using var doc = JsonDocument.Parse(stdout.ToString());
            Assert.AreEqual("-", doc.RootElement.GetProperty("capture").GetProperty("file").GetString());
            var tls = doc.RootElement.GetProperty("handshakes").EnumerateArray()
                .Where(h => h.GetProperty("sni").ValueKind == JsonValueKind.String).ToList();
            Assert.AreEqual(1, tls.Count, stdout.ToString());
            Assert.AreEqual($"127.0.0.1:{port}", tls[0].GetProperty("server").GetString());
            Assert.AreEqual("failed", tls[0].GetProperty("outcome").GetString());
            Assert.AreEqual("truststore-missing-anchor", tls[0].GetProperty("causes")[0].GetProperty("code").GetString());
            Assert.AreEqual(2, tls[0].GetProperty("serverCertificates").GetArrayLength());
        }
        finally
        {
            if (dump is { HasExited: false })
            {
                dump.Kill(true);
            }
            dump?.Dispose();
            server.Kill(true);
        }
    }

    private static Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return Process.Start(psi)!;
    }

    /// <summary>s_server prints "ACCEPT 127.0.0.1:PORT" once it listens: the readiness signal and the port.</summary>
    private static int AcceptedPort(Process server)
    {
        while (server.StandardOutput.ReadLine() is { } line)
        {
            var accepted = AcceptLine().Match(line);
            if (accepted.Success)
            {
                return int.Parse(accepted.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }
        Assert.Fail("openssl s_server exited before it listened");
        return 0;
    }

    [GeneratedRegex(@"^ACCEPT .*:(\d+)$")]
    private static partial Regex AcceptLine();

    /// <summary>Passes a stream through unchanged and says when a marker went by (the marker may be split
    /// between two reads: the last bytes of each read are kept for the next).</summary>
    private sealed class MarkerStream(Stream inner, byte[] marker) : Stream
    {
        private readonly List<byte> _tail = [];
        private readonly ManualResetEventSlim _seen = new();

        public ManualResetEventSlim Seen => _seen;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            if (!_seen.IsSet && n > 0)
            {
                _tail.AddRange(buffer[..n]);
                if (_tail.ToArray().AsSpan().IndexOf(marker) >= 0)
                {
                    _seen.Set();
                }
                if (_tail.Count > marker.Length)
                {
                    _tail.RemoveRange(0, _tail.Count - marker.Length);
                }
            }
            return n;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
