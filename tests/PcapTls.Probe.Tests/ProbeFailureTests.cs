using System.Net;
using System.Net.Sockets;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Probe.Tests;

/// <summary>Servers that give no chain: each must end in the right cause, never in an exception or a hang.</summary>
[TestClass]
public sealed class ProbeFailureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public TestContext TestContext { get; set; } = null!;

    private static ProbeOptions Options(TlsVersionChoice versions = TlsVersionChoice.Any, TimeSpan? timeout = null) => new()
    {
        HostName = "backend.pcaptls.test",
        // No chain arrives in these tests, so the truststore is never consulted; an empty one keeps them off the system bundle.
        TrustStore = TrustStore.FromCertificates("test: empty", []),
        Versions = versions,
        Timeout = timeout ?? Timeout,
    };

    private static string Pki(string file) => RepoPaths.Capture(Path.Combine("pki", file));

    [TestMethod]
    [DataRow("-tls1_2", TlsVersionChoice.Tls13, DisplayName = "server TLS 1.2 only, probe TLS 1.3 only")]
    [DataRow("-tls1_3", TlsVersionChoice.Tls12, DisplayName = "server TLS 1.3 only, probe TLS 1.2 only")]
    public async Task ServerRefusingTheVersionIsServerRejectedHello(string serverVersion, TlsVersionChoice probeVersion)
    {
        var openssl = Requires.Tool("openssl");
        using var server = new OpenSslServer(openssl, serverVersion, "-cert", Pki("backend.pem"), "-key", Pki("keys/backend.key"));

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", server.Port), Options(probeVersion), TestContext.CancellationToken);

        var serverOutput = server.Stop();
        TestContext.WriteLine(serverOutput);
        Assert.AreEqual(ProbeFailure.ServerAlert, result.Probe.Failure, result.Probe.Error);
        Assert.AreEqual(ProbeOutcome.NoChain, result.Outcome);
        CollectionAssert.AreEqual(new[] { CauseCode.ServerRejectedHello }, result.CauseCodes.ToArray());
        Assert.Contains("protocol_version(70)", result.Findings[0].Summary);
        Assert.Contains(probeVersion == TlsVersionChoice.Tls13 ? "TLS 1.3 only" : "TLS 1.2 only", result.Findings[0].Evidence);
        Assert.IsNull(result.Verdict);
        Assert.DoesNotContain("CIPHER is", serverOutput);
    }

    [TestMethod]
    public async Task PlainTcpServerIsNotTls()
    {
        // Answers any connection with an HTTP error, as a plain HTTP port does to a ClientHello.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync(TestContext.CancellationToken);
            var hello = new byte[5];
            await peer.GetStream().ReadExactlyAsync(hello, TestContext.CancellationToken);
            await peer.GetStream().WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), TestContext.CancellationToken);
            return hello;
        }, TestContext.CancellationToken);

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", port), Options(), TestContext.CancellationToken);

        var hello = await serve;
        Assert.AreEqual((byte)22, hello[0], "the probe opens with a handshake record");
        Assert.AreEqual(ProbeFailure.NotTls, result.Probe.Failure, result.Probe.Error);
        Assert.AreEqual(ProbeOutcome.NoChain, result.Outcome);
        CollectionAssert.AreEqual(new[] { CauseCode.NotTls }, result.CauseCodes.ToArray());
        Assert.Contains("\"HTTP/1.1 400 Bad Request\"", result.Findings[0].Evidence);
    }

    [TestMethod]
    public async Task NobodyListeningIsNoServerResponse()
    {
        var port = LoopbackPorts.Next();

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", port), Options(), TestContext.CancellationToken);

        Assert.AreEqual(ProbeFailure.ConnectFailed, result.Probe.Failure);
        Assert.AreEqual(ProbeOutcome.Unreachable, result.Outcome);
        CollectionAssert.AreEqual(new[] { CauseCode.NoServerResponse }, result.CauseCodes.ToArray());
        Assert.AreEqual($"connect to 127.0.0.1:{port} failed: ConnectionRefused", result.Findings[0].Evidence);
    }

    [TestMethod]
    public async Task SilentServerIsNoServerResponse()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = listener.AcceptTcpClientAsync(TestContext.CancellationToken).AsTask();

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", port), Options(timeout: TimeSpan.FromSeconds(1)), TestContext.CancellationToken);

        (await accept).Dispose();
        Assert.AreEqual(ProbeFailure.NoAnswer, result.Probe.Failure);
        Assert.AreEqual(ProbeOutcome.Unreachable, result.Outcome);
        CollectionAssert.AreEqual(new[] { CauseCode.NoServerResponse }, result.CauseCodes.ToArray());
        Assert.Contains("did not answer", result.Findings[0].Summary);
    }

    [TestMethod]
    public async Task ServerClosingOnTheHelloIsNoServerResponse()
    {
        // Reads the ClientHello, then closes without a byte: what a TLS proxy with no backend for the SNI does.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync(TestContext.CancellationToken);
            await peer.GetStream().ReadExactlyAsync(new byte[5], TestContext.CancellationToken);
        }, TestContext.CancellationToken);

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", port), Options(), TestContext.CancellationToken);

        await serve;
        Assert.AreEqual(ProbeFailure.ClosedWithoutAnswer, result.Probe.Failure, result.Probe.Error);
        Assert.AreEqual(ProbeOutcome.NoChain, result.Outcome);
        CollectionAssert.AreEqual(new[] { CauseCode.NoServerResponse }, result.CauseCodes.ToArray());
        Assert.Contains("closed the connection", result.Findings[0].Summary);
    }

    [TestMethod]
    public async Task ServerStallingInsideARecordIsNoServerResponse()
    {
        // 16 03 03 00 40: a handshake record header promising 64 bytes, then only 4 of them and silence.
        byte[] partial = [0x16, 0x03, 0x03, 0x00, 0x40, 0x02, 0x00, 0x00, 0x3C];
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var release = new SemaphoreSlim(0);
        var serve = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync(TestContext.CancellationToken);
            await peer.GetStream().ReadExactlyAsync(new byte[5], TestContext.CancellationToken);
            await peer.GetStream().WriteAsync(partial, TestContext.CancellationToken);
            await release.WaitAsync(TestContext.CancellationToken);
        }, TestContext.CancellationToken);

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", port), Options(timeout: TimeSpan.FromSeconds(1)), TestContext.CancellationToken);

        release.Release();
        await serve;
        Assert.AreEqual(ProbeFailure.StalledAfterAnswer, result.Probe.Failure, result.Probe.Error);
        Assert.AreEqual(ProbeOutcome.NoChain, result.Outcome);
        CollectionAssert.AreEqual(new[] { CauseCode.NoServerResponse }, result.CauseCodes.ToArray());
        CollectionAssert.AreEqual(partial, result.Probe.FirstServerBytes.ToArray());
    }

    [TestMethod]
    public async Task AChattyPlaintextServerIsKeptToTheFirstBytesLimit()
    {
        // 4000 bytes of banner on one line: the probe keeps only ServerProbe.FirstBytesKept of them.
        var banner = System.Text.Encoding.ASCII.GetBytes(new string('x', 4000) + "\r\n");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync(TestContext.CancellationToken);
            await peer.GetStream().WriteAsync(banner, TestContext.CancellationToken);
            await Task.Delay(200, TestContext.CancellationToken);
        }, TestContext.CancellationToken);

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", port), Options(), TestContext.CancellationToken);

        await serve;
        Assert.AreEqual(ProbeFailure.NotTls, result.Probe.Failure, result.Probe.Error);
        Assert.HasCount(ServerProbe.FirstBytesKept, result.Probe.FirstServerBytes);
        Assert.Contains("\"" + new string('x', ServerProbe.FirstBytesKept) + "\"", result.Findings[0].Evidence);
    }

    [TestMethod]
    [DataRow("-tls1_2", TlsVersionChoice.Tls12)]
    [DataRow("-tls1_3", TlsVersionChoice.Tls13)]
    public async Task ServerRequiringAClientCertificateIsSaidAndTheChainStillJudged(string serverVersion, TlsVersionChoice probeVersion)
    {
        // The corpus's mtls-no-client-cert server: -Verify 1 (a client certificate is required) with the client CA.
        // The client authentication check is off: only the first connection's view (ClientAuthenticationTests has the check).
        var openssl = Requires.Tool("openssl");
        using var server = new OpenSslServer(openssl, serverVersion, "-cert", Pki("backend.pem"), "-key", Pki("keys/backend.key"),
            "-cert_chain", Pki("intermediate-chain.pem"), "-Verify", "1", "-CAfile", RepoPaths.Capture("truststores/client-ca.pem"), "-no-CApath", "-no-CAstore");
        var options = Options(probeVersion) with
        {
            TrustStore = TrustStore.Load(RepoPaths.Capture("truststores/root.pem")),
            At = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero),
            CheckClientAuthentication = false,
        };

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", server.Port), options, TestContext.CancellationToken);

        var serverOutput = server.Stop();
        TestContext.WriteLine(serverOutput);
        Assert.IsTrue(result.Probe.CertificateRequested);
        Assert.AreEqual(ProbeOutcome.Trusted, result.Outcome);
        Assert.IsEmpty(result.Findings);
        Assert.IsTrue(result.Notes.Any(n => n.StartsWith("certificateRequested:", StringComparison.Ordinal)), string.Join("\n", result.Notes));
        Assert.IsNull(result.ClientAuthentication);
        var json = new StringWriter();
        ProbeReport.WriteJson(result, json);
        Assert.Contains("\"certificateRequested\": true", json.ToString());
        Assert.DoesNotContain("CIPHER is", serverOutput);
    }
}
