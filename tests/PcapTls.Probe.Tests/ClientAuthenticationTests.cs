using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Probe.Tests;

/// <summary>
/// The probe's second, client-authentication connection against a real <c>openssl s_server</c> asking for a client
/// certificate (the corpus's mtls scenarios are in <see cref="CorpusScenarioTests"/>): optional and accepted
/// certificates give no cause, an untrusted server chain stops the probe before any second connection, and the
/// client certificate files are read or refused.
/// </summary>
[TestClass]
public sealed class ClientAuthenticationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    public TestContext TestContext { get; set; } = null!;

    private static string Capture(string relative) => RepoPaths.Capture(relative);

    public static IEnumerable<object[]> Versions =>
    [
        ["-tls1_2", TlsVersionChoice.Tls12],
        ["-tls1_3", TlsVersionChoice.Tls13],
    ];

    private static string RequireCorpus()
    {
        var openssl = Requires.Tool("openssl");
        if (!File.Exists(Capture("pki/backend.pem")))
        {
            Assert.Inconclusive($"skipped: the corpus PKI ({Capture("pki/backend.pem")}) is missing; run tools/make-captures");
        }
        return openssl;
    }

    /// <summary>The corpus backend asking for a client certificate from the client CA: <paramref name="verify"/> is
    /// "-verify" (optional) or "-Verify" (required).</summary>
    private static OpenSslServer MtlsServer(string openssl, int connections, string version, string verify) => new(openssl, connections,
        version, "-cert", Capture("pki/backend.pem"), "-key", Capture("pki/keys/backend.key"), "-cert_chain", Capture("pki/intermediate-chain.pem"),
        verify, "1", "-verify_return_error", "-CAfile", Capture("truststores/client-ca.pem"), "-no-CApath", "-no-CAstore");

    private static ProbeOptions Options(TlsVersionChoice version, string trustStore) => new()
    {
        HostName = "backend.pcaptls.test",
        TrustStore = TrustStore.Load(Capture($"truststores/{trustStore}.pem")),
        Versions = version,
        Timeout = Timeout,
        At = At,
        // s_server ends the wait itself (an alert, or its session tickets): the verdict never depends on timing.
        ClientAuthenticationWait = Timeout,
    };

    private string Report(ProbeDiagnosisResult result, string serverOutput)
    {
        var console = new StringWriter();
        ProbeReport.WriteConsole(result, console);
        TestContext.WriteLine(serverOutput);
        TestContext.WriteLine(console.ToString());
        return console.ToString();
    }

    [TestMethod]
    [DynamicData(nameof(Versions))]
    public async Task OptionalClientCertificateGivesNoCause(string serverVersion, TlsVersionChoice version)
    {
        var openssl = RequireCorpus();
        using var server = MtlsServer(openssl, 2, serverVersion, "-verify");

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", server.Port), Options(version, "root"), TestContext.CancellationToken);

        var serverOutput = server.Stop();
        var console = Report(result, serverOutput);
        Assert.AreEqual(ProbeOutcome.Trusted, result.Outcome);
        Assert.IsEmpty(result.Findings);
        var check = result.ClientAuthentication;
        Assert.IsNotNull(check);
        Assert.AreEqual(ClientAuthenticationStatus.Optional, check.Status, check.Error);
        Assert.IsFalse(check.CertificateSent);
        Assert.IsTrue(check.HandshakeCompleted);
        Assert.IsNull(check.AlertDescriptionWire, check.Alert);
        Assert.IsFalse(check.ServerClosed);
        Assert.IsTrue(result.Notes[0].StartsWith("clientAuthentication: optional.", StringComparison.Ordinal), result.Notes[0]);
        Assert.Contains("Client authentication (second connection, TLS 1." + (version == TlsVersionChoice.Tls13 ? "3" : "2") + "): optional", console);
        // The second connection completed: s_server prints the cipher only then.
        Assert.Contains("CIPHER is", serverOutput);
    }

    [TestMethod]
    [DynamicData(nameof(Versions))]
    public async Task ATrustedClientCertificateIsAccepted(string serverVersion, TlsVersionChoice version)
    {
        var openssl = RequireCorpus();
        using var server = MtlsServer(openssl, 2, serverVersion, "-Verify");
        var options = Options(version, "root") with { ClientCredentials = ClientCredentials.FromPem(Capture("pki/client.pem"), Capture("pki/keys/client.key")) };

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", server.Port), options, TestContext.CancellationToken);

        var serverOutput = server.Stop();
        Report(result, serverOutput);
        Assert.AreEqual(ProbeOutcome.Trusted, result.Outcome);
        Assert.IsEmpty(result.Findings);
        var check = result.ClientAuthentication;
        Assert.IsNotNull(check);
        Assert.AreEqual(ClientAuthenticationStatus.Accepted, check.Status, check.Error);
        Assert.IsTrue(check.CertificateSent);
        Assert.IsNull(check.AlertDescriptionWire, check.Alert);
        Assert.Contains("CIPHER is", serverOutput);
    }

    [TestMethod]
    [DynamicData(nameof(Versions))]
    public async Task AnUntrustedServerChainMakesNoSecondConnection(string serverVersion, TlsVersionChoice version)
    {
        var openssl = RequireCorpus();
        // One connection only: a second one would be refused and show up as an inconclusive check, not as null.
        using var server = MtlsServer(openssl, 1, serverVersion, "-Verify");

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", server.Port), Options(version, "unrelated-root"), TestContext.CancellationToken);

        var serverOutput = server.Stop();
        Report(result, serverOutput);
        Assert.IsTrue(result.Probe.CertificateRequested);
        Assert.AreEqual(ProbeOutcome.NotTrusted, result.Outcome);
        CollectionAssert.AreEqual(new[] { CauseCode.TruststoreMissingAnchor }, result.CauseCodes.ToArray());
        Assert.IsNull(result.ClientAuthentication);
        Assert.IsTrue(result.Notes.Any(n => n.StartsWith("certificateRequested:", StringComparison.Ordinal) && n.Contains("Not checked", StringComparison.Ordinal)), string.Join("\n", result.Notes));
        Assert.DoesNotContain("CIPHER is", serverOutput);
    }

    [TestMethod]
    public async Task AnotherChainOnTheSecondConnectionStopsTheCheck()
    {
        // A relay sends the probe to the backend and the check to a server with another certificate (a load
        // balancer with two differently configured backends): the check must not go on with a chain nobody judged.
        var openssl = RequireCorpus();
        using var first = MtlsServer(openssl, 1, "-tls1_3", "-Verify");
        using var second = new OpenSslServer(openssl, "-tls1_3", "-cert", Capture("pki/other.pem"), "-key", Capture("pki/keys/other.key"),
            "-cert_chain", Capture("pki/intermediate-chain.pem"), "-Verify", "1", "-CAfile", Capture("truststores/client-ca.pem"), "-no-CApath", "-no-CAstore");
        using var relay = new Relay([first.Port, second.Port], TestContext.CancellationToken);

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", relay.Port), Options(TlsVersionChoice.Tls13, "root"), TestContext.CancellationToken);

        var serverOutput = first.Stop() + second.Stop();
        Report(result, serverOutput);
        Assert.AreEqual(ProbeOutcome.Trusted, result.Outcome);
        Assert.IsEmpty(result.Findings);
        var check = result.ClientAuthentication;
        Assert.IsNotNull(check);
        Assert.AreEqual(ClientAuthenticationStatus.Inconclusive, check.Status);
        Assert.Contains("another chain", check.Error!);
        Assert.IsFalse(check.ClientFlightSent);
        Assert.IsFalse(check.HandshakeCompleted);
        Assert.DoesNotContain("CIPHER is", serverOutput);
    }

    [TestMethod]
    public async Task AServerThatHangsUpWithoutAnAlertRequiresTheCertificateToo()
    {
        // TLS 1.2, where alerts are plaintext records: the relay turns the server's handshake_failure alert on the
        // second connection into a bare close, as some servers and proxies answer a client without a certificate.
        var openssl = RequireCorpus();
        using var server = MtlsServer(openssl, 2, "-tls1_2", "-Verify");
        using var relay = new Relay([server.Port, server.Port], TestContext.CancellationToken) { CloseInsteadOfServerAlertOnConnection = 2 };

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", relay.Port), Options(TlsVersionChoice.Tls12, "root"), TestContext.CancellationToken);

        Report(result, server.Stop());
        var check = result.ClientAuthentication;
        Assert.IsNotNull(check);
        Assert.AreEqual(ClientAuthenticationStatus.Required, check.Status, check.Error);
        Assert.IsNull(check.AlertDescriptionWire, check.Alert);
        Assert.IsTrue(check.ServerClosed);
        Assert.AreEqual(ProbeOutcome.ClientAuthenticationFailed, result.Outcome);
        var f = result.Findings.Single();
        Assert.AreEqual(CauseCode.ClientCertificateMissing, f.Code);
        Assert.AreEqual(Certainty.Medium, f.Certainty);
        Assert.Contains("the server closed the connection without an alert", f.Evidence);
    }

    [TestMethod]
    public async Task TheJsonReportCarriesTheCheck()
    {
        var openssl = RequireCorpus();
        using var server = MtlsServer(openssl, 2, "-tls1_3", "-Verify");

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", server.Port), Options(TlsVersionChoice.Tls13, "root"), TestContext.CancellationToken);

        server.Stop();
        var json = new StringWriter();
        ProbeReport.WriteJson(result, json);
        TestContext.WriteLine(json.ToString());
        using var doc = System.Text.Json.JsonDocument.Parse(json.ToString());
        var root = doc.RootElement;
        Assert.AreEqual("client-authentication-failed", root.GetProperty("outcome").GetString());
        var check = root.GetProperty("clientAuthentication");
        Assert.AreEqual("required", check.GetProperty("result").GetString());
        Assert.AreEqual(116, check.GetProperty("alert").GetInt32());
        Assert.AreEqual("certificate_required", check.GetProperty("alertName").GetString());
        Assert.IsFalse(check.GetProperty("certificateSent").GetBoolean());
        Assert.AreEqual("client-certificate-missing", root.GetProperty("causes")[0].GetProperty("code").GetString());
    }

    [TestMethod]
    public void ReadsPemAndPkcs12Credentials()
    {
        if (!File.Exists(Capture("pki/untrusted-client.pem")))
        {
            Assert.Inconclusive("skipped: the corpus PKI is missing; run tools/make-captures");
        }
        var pem = ClientCredentials.FromPem(Capture("pki/untrusted-client.pem"), Capture("pki/keys/untrusted-client.key"));
        var p12 = ClientCredentials.FromPkcs12(Capture("pki/untrusted-client.p12"), "changeit");

        CollectionAssert.AreEqual(TestPki.Der(Capture("pki/untrusted-client.pem")), pem.Chain[0]);
        CollectionAssert.AreEqual(pem.Chain[0], p12.Chain[0]);
        Assert.AreEqual(pem.Leaf.Sha256Hex, p12.Leaf.Sha256Hex);
    }

    [TestMethod]
    public void RefusesAKeyOfAnotherCertificate()
    {
        if (!File.Exists(Capture("pki/untrusted-client.pem")))
        {
            Assert.Inconclusive("skipped: the corpus PKI is missing; run tools/make-captures");
        }
        var e = Assert.Throws<ClientCredentialsException>(() => ClientCredentials.FromPem(Capture("pki/untrusted-client.pem"), Capture("pki/keys/client.key")));
        Assert.Contains("untrusted-client.pem", e.Message);
    }

    [TestMethod]
    public void RefusesAWrongKeystorePassword()
    {
        if (!File.Exists(Capture("pki/untrusted-client.p12")))
        {
            Assert.Inconclusive("skipped: the corpus PKI is missing; run tools/make-captures");
        }
        var e = Assert.Throws<ClientCredentialsException>(() => ClientCredentials.FromPkcs12(Capture("pki/untrusted-client.p12"), "not-the-password"));
        Assert.Contains("wrong password", e.Message);
    }

    [TestMethod]
    public void RefusesAMissingFile()
    {
        var missing = Path.Combine(Path.GetTempPath(), "pcaptls-no-such-client-cert.pem");

        var e = Assert.Throws<ClientCredentialsException>(() => ClientCredentials.FromPem(missing, missing));

        Assert.Contains("no such file", e.Message);
    }
}

/// <summary>A loopback TCP relay that sends its n-th connection to the n-th port (one connection per port).</summary>
internal sealed class Relay : IDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener;
    private readonly Task _serve;

    public int Port { get; }

    /// <summary>On this connection (1-based), the server's TLS records are relayed one by one and a plaintext alert
    /// record (TLS 1.2) closes the connection to the client instead of being relayed.</summary>
    public int CloseInsteadOfServerAlertOnConnection { get; init; }

    public Relay(int[] ports, CancellationToken cancellationToken)
    {
        // Port 0: the kernel picks a free port while binding, so no other process can take it in between.
        _listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;
        _serve = Task.Run(async () =>
        {
            for (var i = 0; i < ports.Length; i++)
            {
                using var client = await _listener.AcceptTcpClientAsync(cancellationToken);
                using var server = new System.Net.Sockets.TcpClient();
                await server.ConnectAsync(System.Net.IPAddress.Loopback, ports[i], cancellationToken);
                var up = Pump(client, server, cancellationToken);
                var down = i + 1 == CloseInsteadOfServerAlertOnConnection ? PumpRecordsUntilAlert(server, client, cancellationToken) : Pump(server, client, cancellationToken);
                await Task.WhenAny(up, down);
            }
        }, cancellationToken);
    }

    /// <summary>Copies until either side closes, then closes the other direction too.</summary>
    private static async Task Pump(System.Net.Sockets.TcpClient from, System.Net.Sockets.TcpClient to, CancellationToken cancellationToken)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream(), cancellationToken);
            to.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // One side reset: the connection is over.
        }
    }

    /*
     * struct {
     *     ContentType type;            // 21 = alert
     *     ProtocolVersion version;
     *     uint16 length;
     *     opaque fragment[length];
     * } TLSPlaintext;                  (RFC 5246 section 6.2.1)
     */
    private const int RecordHeaderLength = 5;
    private const byte AlertContentType = 21;

    private static async Task PumpRecordsUntilAlert(System.Net.Sockets.TcpClient from, System.Net.Sockets.TcpClient to, CancellationToken cancellationToken)
    {
        try
        {
            var input = from.GetStream();
            var header = new byte[RecordHeaderLength];
            while (true)
            {
                await input.ReadExactlyAsync(header, cancellationToken);
                if (header[0] == AlertContentType)
                {
                    // A bare FIN to the client instead of the alert.
                    to.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                    return;
                }
                var body = new byte[System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(3))];
                await input.ReadExactlyAsync(body, cancellationToken);
                await to.GetStream().WriteAsync(header, cancellationToken);
                await to.GetStream().WriteAsync(body, cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // One side closed: the connection is over.
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        try
        {
            _serve.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // Closed before its connections: nothing to relay.
        }
        _listener.Dispose();
    }
}
