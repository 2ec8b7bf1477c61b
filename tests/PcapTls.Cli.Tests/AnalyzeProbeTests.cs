using System.Diagnostics;
using System.Net.Sockets;
using PcapTls.Cli;
using PcapTls.Testing;

namespace PcapTls.Cli.Tests;

/// <summary>`analyze --probe`: a TLS 1.3 capture without a key log hides the chain; probing the (still running)
/// server fetches it and explains the failure with the same validation.</summary>
[TestClass]
public sealed class AnalyzeProbeTests
{
    [TestMethod]
    public void ProbeFetchesTheChainTheCaptureHides()
    {
        var openssl = Requires.Tool("openssl");
        // The corpus capture tls13/java/untrusted-root.pcap talks to 127.0.0.1:20051; serve the same chain there.
        var pki = RepoPaths.Capture("pki");
        var psi = new ProcessStartInfo(openssl) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "s_server", "-accept", "127.0.0.1:20051", "-tls1_3", "-cert", Path.Combine(pki, "backend.pem"),
                     "-key", Path.Combine(pki, "keys", "backend.key"), "-cert_chain", Path.Combine(pki, "intermediate.pem"), "-www" })
        {
            psi.ArgumentList.Add(a);
        }
        using var server = Process.Start(psi)!;
        try
        {
            WaitForPort(20051);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = Program.Run(["analyze", RepoPaths.Capture("tls13/java/untrusted-root.pcap"), "--truststore",
                RepoPaths.Capture("truststores/unrelated-root.pem"), "--probe", "--format", "json"], stdout, stderr);
            Assert.AreEqual(0, code, stderr.ToString());
            using var doc = System.Text.Json.JsonDocument.Parse(stdout.ToString());
            var handshake = doc.RootElement.GetProperty("handshakes")[0];
            Assert.AreEqual("certificate-not-visible", handshake.GetProperty("causes")[0].GetProperty("code").GetString());
            var probe = doc.RootElement.GetProperty("probes")[0];
            Assert.AreEqual("127.0.0.1:20051", probe.GetProperty("server").GetString());
            Assert.AreEqual(2, probe.GetProperty("serverCertificates").GetArrayLength());
            Assert.AreEqual("truststore-missing-anchor", probe.GetProperty("causes")[0].GetProperty("code").GetString());
        }
        finally
        {
            server.Kill(true);
        }
    }

    private static void WaitForPort(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        Assert.Inconclusive($"openssl s_server did not listen on {port} within 20 s");
    }
}
