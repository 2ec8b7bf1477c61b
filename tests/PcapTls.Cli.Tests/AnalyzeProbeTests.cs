using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PcapTls.Cli;
using PcapTls.Testing;

namespace PcapTls.Cli.Tests;

/// <summary>`analyze --probe`: a TLS 1.3 capture without a key log hides the chain; probing the (still running)
/// server fetches it and explains the failure with the same validation.</summary>
[TestClass]
public sealed partial class AnalyzeProbeTests
{
    /// <summary>The server port in the corpus capture tls13/java/untrusted-root.pcap.</summary>
    private const ushort CapturedServerPort = 20051;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void ProbeFetchesTheChainTheCaptureHides()
    {
        var openssl = Requires.Tool("openssl");
        // The server listens on a port the kernel chooses (s_server prints it), and the capture is copied with
        // its server port rewritten to that one: no fixed port another process could hold.
        var pki = RepoPaths.Capture("pki");
        var psi = new ProcessStartInfo(openssl) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "s_server", "-accept", "127.0.0.1:0", "-tls1_3", "-cert", Path.Combine(pki, "backend.pem"),
                     "-key", Path.Combine(pki, "keys", "backend.key"), "-cert_chain", Path.Combine(pki, "intermediate.pem"), "-www" })
        {
            psi.ArgumentList.Add(a);
        }
        using var server = Process.Start(psi)!;
        _ = server.StandardError.ReadToEndAsync(TestContext.CancellationToken);
        try
        {
            var port = ReadAcceptedPort(server);
            var capture = Path.Combine(Directory.CreateTempSubdirectory("pcaptls-probe-").FullName, "untrusted-root.pcap");
            File.WriteAllBytes(capture, WithServerPort(File.ReadAllBytes(RepoPaths.Capture("tls13/java/untrusted-root.pcap")), CapturedServerPort, port));
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = Program.Run(["analyze", capture, "--truststore",
                RepoPaths.Capture("truststores/unrelated-root.pem"), "--probe", "--format", "json"], stdout, stderr);
            Assert.AreEqual(0, code, stderr.ToString());
            using var doc = System.Text.Json.JsonDocument.Parse(stdout.ToString());
            var handshake = doc.RootElement.GetProperty("handshakes")[0];
            Assert.AreEqual("certificate-not-visible", handshake.GetProperty("causes")[0].GetProperty("code").GetString());
            var probe = doc.RootElement.GetProperty("probes")[0];
            Assert.AreEqual($"127.0.0.1:{port}", probe.GetProperty("server").GetString());
            Assert.AreEqual(2, probe.GetProperty("serverCertificates").GetArrayLength());
            Assert.AreEqual("truststore-missing-anchor", probe.GetProperty("causes")[0].GetProperty("code").GetString());
            Directory.Delete(Path.GetDirectoryName(capture)!, recursive: true);
        }
        finally
        {
            server.Kill(true);
        }
    }

    /// <summary>s_server prints "ACCEPT 127.0.0.1:PORT" once it listens: the readiness signal and the port.</summary>
    private static ushort ReadAcceptedPort(Process server)
    {
        while (server.StandardOutput.ReadLine() is { } line)
        {
            var accepted = AcceptLine().Match(line);
            if (accepted.Success)
            {
                return ushort.Parse(accepted.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }
        Assert.Fail("openssl s_server exited before it listened");
        return 0;
    }

    [GeneratedRegex(@"^ACCEPT .*:(\d+)$")]
    private static partial Regex AcceptLine();

    /// <summary>A copy of a classic pcap (Ethernet, IPv4, TCP) with every TCP port <paramref name="from"/> set to
    /// <paramref name="to"/>. Checksums are left stale: the analyzer does not verify them (see PacketDecoder).</summary>
    private static byte[] WithServerPort(byte[] pcap, ushort from, ushort to)
    {
        const int GlobalHeader = 24, RecordHeader = 16, Ethernet = 14;
        Assert.AreEqual(0xa1b2c3d4u, BinaryPrimitives.ReadUInt32LittleEndian(pcap), "a little-endian microsecond pcap");
        Assert.AreEqual(1u, BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(20)), "Ethernet link type");
        var copy = (byte[])pcap.Clone();
        var rewritten = 0;
        for (var offset = GlobalHeader; offset + RecordHeader <= copy.Length;)
        {
            var captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(offset + 8));
            var frame = copy.AsSpan(offset + RecordHeader, captured);
            if (frame.Length > Ethernet + 20 && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == 0x0800 && frame[Ethernet + 9] == 6)
            {
                var tcp = frame[(Ethernet + ((frame[Ethernet] & 0x0f) * 4))..];
                for (var field = 0; field <= 2; field += 2)
                {
                    if (BinaryPrimitives.ReadUInt16BigEndian(tcp[field..]) == from)
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(tcp[field..], to);
                        rewritten++;
                    }
                }
            }
            offset += RecordHeader + captured;
        }
        Assert.IsGreaterThan(0, rewritten, "the capture talks to port " + from);
        return copy;
    }
}
