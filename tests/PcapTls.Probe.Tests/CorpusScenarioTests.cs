using System.Text.Json;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Probe.Tests;

/// <summary>
/// The acceptance check of issue 5: for every corpus scenario, an <c>openssl s_server</c> configured as
/// <c>tools/make-captures</c> configures it is probed with the client's truststore, host and (mtls) client
/// certificate, and the probe must report the causes the manifest expects of that client's capture of the same
/// scenario. The mtls scenarios need the probe's second, client-authentication connection.
/// </summary>
[TestClass]
public sealed class CorpusScenarioTests
{
    private const string Password = "changeit";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    // Fixed, inside the corpus certificates' 2024-2045 window and between the expired (2020-2021) and
    // not-yet-valid (2040-2041) leaves, so the verdicts never depend on the day the tests run.
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    public TestContext TestContext { get; set; } = null!;

    /// <summary>What listens on the server port in a scenario.</summary>
    internal enum ServerKind
    {
        /// <summary>openssl s_server with the scenario's certificate.</summary>
        Tls,
        /// <summary>s_server accepting only TLS 1.3; in the TLS 1.3 twin it shares no cipher suite with the client.</summary>
        RejectsHello,
        /// <summary>A plain HTTP server that answers the ClientHello with 400.</summary>
        PlainHttp,
        /// <summary>s_server requiring a client certificate issued by the client CA (-Verify 1 -verify_return_error).</summary>
        RequiresClientCertificate,
    }

    /// <summary>How tools/make-captures sets up one scenario (server certificate, chain, client truststore and host)
    /// and the Java client's expected causes as tools/make-captures.d/manifest.py declares them. ClientCertificate
    /// names the pki/ certificate (and key) the client presents.</summary>
    internal sealed record Scenario(string Name, ServerKind Server, string Certificate, bool SendsIntermediate, string TrustStore, string Host, string[] JavaCauses, string? ClientCertificate = null);

    internal static readonly Scenario[] Scenarios =
    [
        new("ok", ServerKind.Tls, "backend", true, "root", "backend.pcaptls.test", []),
        new("untrusted-root", ServerKind.Tls, "backend", true, "unrelated-root", "backend.pcaptls.test", ["truststore-missing-anchor"]),
        new("impostor-root", ServerKind.Tls, "backend", true, "impostor-root", "backend.pcaptls.test", ["truststore-missing-anchor"]),
        new("leaf-only", ServerKind.Tls, "backend", false, "root", "backend.pcaptls.test", ["incomplete-chain"]),
        new("wrong-host", ServerKind.Tls, "other", true, "root", "backend.pcaptls.test", ["hostname-mismatch"]),
        new("cn-only", ServerKind.Tls, "cn-only", true, "root", "backend.pcaptls.test", []),
        new("cn-only-other", ServerKind.Tls, "cn-only-other", true, "root", "backend.pcaptls.test", ["hostname-mismatch"]),
        new("ip-literal", ServerKind.Tls, "backend", true, "root", "127.0.0.1", ["hostname-mismatch"]),
        new("expired", ServerKind.Tls, "expired", true, "root", "backend.pcaptls.test", ["certificate-expired"]),
        new("not-yet-valid", ServerKind.Tls, "not-yet-valid", true, "root", "backend.pcaptls.test", ["certificate-not-yet-valid"]),
        new("intermediate-only", ServerKind.Tls, "backend", true, "intermediate-only", "backend.pcaptls.test", []),
        new("empty-truststore", ServerKind.Tls, "backend", true, "empty", "backend.pcaptls.test", ["truststore-empty"]),
        new("mtls-no-client-cert", ServerKind.RequiresClientCertificate, "backend", true, "root", "backend.pcaptls.test", ["client-certificate-missing"]),
        new("mtls-untrusted-client-cert", ServerKind.RequiresClientCertificate, "backend", true, "root", "backend.pcaptls.test", ["client-certificate-rejected"], "untrusted-client"),
        new("server-rejects-hello", ServerKind.RejectsHello, "backend", true, "root", "backend.pcaptls.test", ["server-rejected-hello"]),
        new("plain-http", ServerKind.PlainHttp, "", false, "root", "backend.pcaptls.test", ["not-tls"]),
    ];

    private static readonly string[] Clients = ["java", "openssl", "curl"];

    public static IEnumerable<object[]> Cases =>
        from s in Scenarios
        from v in new[] { "1.2", "1.3" }
        from c in Clients
            // tools/make-captures leaves this one out: curl refuses a CA file without certificates and never connects.
        where !(c == "curl" && s.Name == "empty-truststore")
        select new object[] { s.Name, v, c };

    private static string Pki(string file) => RepoPaths.Capture(Path.Combine("pki", file));

    private static string ManifestPath => RepoPaths.Capture("manifest.json");

    /// <summary>The manifest's entry for a client's base capture of a scenario, or null when the corpus has no
    /// manifest (yet).</summary>
    private static JsonElement? ManifestEntry(string scenario, string tlsVersion, string client)
    {
        if (!File.Exists(ManifestPath))
        {
            return null;
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(ManifestPath));
        foreach (var e in doc.RootElement.GetProperty("captures").EnumerateArray())
        {
            if (e.GetProperty("client").GetString() == client && e.GetProperty("variant").GetString() == "base"
                && e.GetProperty("scenario").GetString() == scenario && e.GetProperty("tlsVersion").GetString() == tlsVersion)
            {
                return e.Clone();
            }
        }
        Assert.Fail($"{ManifestPath} has no {client}/base entry for {scenario} TLS {tlsVersion}");
        return null;
    }

    private static string[] ExpectedCauses(Scenario s, string tlsVersion, string client)
    {
        if (ManifestEntry(s.Name, tlsVersion, client) is { } e)
        {
            return e.GetProperty("expected").GetProperty("causes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        }
        if (client != "java")
        {
            Assert.Inconclusive($"skipped: {ManifestPath} does not exist yet; only the Java expectations are declared here");
        }
        return s.JavaCauses;
    }

    /// <summary>The alert the server sent in the capture (tools/make-captures records s_server's), or null.</summary>
    private static int? ServerAlertInCapture(Scenario s, string tlsVersion, string client) =>
        ManifestEntry(s.Name, tlsVersion, client) is { } e && e.TryGetProperty("serverResult", out var server)
            && server.ValueKind == JsonValueKind.Object && server.TryGetProperty("alertSent", out var alert) && alert.ValueKind == JsonValueKind.Number
            ? alert.GetInt32() : null;

    /// <summary>The client certificate as the client of tools/make-captures presents it: Java from its PKCS#12
    /// keystore, openssl and curl from the PEM certificate and key.</summary>
    private static ClientCredentials? Credentials(Scenario s, string client) => s.ClientCertificate switch
    {
        null => null,
        var name when client == "java" => ClientCredentials.FromPkcs12(Pki(name + ".p12"), Password),
        var name => ClientCredentials.FromPem(Pki(name + ".pem"), Pki(Path.Combine("keys", name + ".key"))),
    };

    // The TLS 1.3 twin of server-rejects-hello: the client offers only TLS_AES_128_GCM_SHA256, the server only
    // TLS_AES_256_GCM_SHA384 (tools/make-captures).
    private const int ClientOnlySuite = 0x1301;

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task ProbeReportsTheCausesOfTheCapture(string scenarioName, string tlsVersion, string client)
    {
        var openssl = Requires.Tool("openssl");
        var s = Scenarios.Single(x => x.Name == scenarioName);
        if (!File.Exists(Pki("backend.pem")))
        {
            Assert.Inconclusive($"skipped: the corpus PKI ({Pki("backend.pem")}) is missing; run tools/make-captures");
        }
        var expected = ExpectedCauses(s, tlsVersion, client);
        var tls13 = tlsVersion == "1.3";
        var store = client == "java" ? TrustStore.Load(RepoPaths.Capture(Path.Combine("truststores", s.TrustStore + ".jks")), Password)
            // As tools/make-captures: s_client cannot load a CA file without certificates and runs trusting nothing.
            : s.TrustStore == "empty" ? TrustStore.FromCertificates("s_client -no-CAfile -no-CApath -no-CAstore", [])
            : TrustStore.Load(RepoPaths.Capture(Path.Combine("truststores", s.TrustStore + ".pem")));
        var options = new ProbeOptions
        {
            HostName = s.Host,
            TrustStore = store,
            Versions = tls13 ? TlsVersionChoice.Tls13 : TlsVersionChoice.Tls12,
            CipherSuites = s.Server == ServerKind.RejectsHello && tls13 ? [ClientOnlySuite] : null,
            Profile = client switch { "java" => ClientProfile.Java, "curl" => ClientProfile.Curl, _ => ClientProfile.OpenSsl },
            AllowPartialChain = client == "curl",
            Timeout = Timeout,
            At = At,
            ClientCredentials = Credentials(s, client),
            // s_server ends the wait itself (an alert, or its session tickets): the verdict never depends on timing.
            ClientAuthenticationWait = Timeout,
        };
        var mtls = s.Server == ServerKind.RequiresClientCertificate;

        // Two connections for mtls: the probe, then its client authentication check.
        using var server = s.Server == ServerKind.PlainHttp ? null : new OpenSslServer(openssl, mtls ? 2 : 1, ServerArguments(s, tls13));
        using var http = s.Server == ServerKind.PlainHttp ? new PlainHttpServer(TestContext.CancellationToken) : null;
        var port = server?.Port ?? http!.Port;

        var result = await ProbeDiagnosis.RunAsync(new ProbeTarget("127.0.0.1", port), options, TestContext.CancellationToken);

        var serverOutput = server?.Stop() ?? "";
        TestContext.WriteLine(serverOutput);
        var report = new StringWriter();
        ProbeReport.WriteConsole(result, report);
        TestContext.WriteLine(report.ToString());
        var actual = result.CauseCodes.Select(c => c.ToCode()).ToArray();
        CollectionAssert.AreEqual(expected, actual, $"expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
        // No IP literal in the SNI (RFC 6066), the host name otherwise.
        Assert.AreEqual(s.Host == "127.0.0.1" ? null : s.Host, result.Sni);
        if (s.Server is ServerKind.Tls or ServerKind.RequiresClientCertificate)
        {
            Assert.IsNull(result.Probe.Error, result.Probe.Error);
            Assert.AreEqual("TLS " + tlsVersion, result.Probe.NegotiatedVersion);
            // The chain exactly as s_server sends it: the leaf, then the intermediate unless leaf-only.
            string[] sent = [s.Certificate + ".pem", .. s.SendsIntermediate ? new[] { "intermediate.pem" } : []];
            Assert.HasCount(sent.Length, result.Chain);
            for (var i = 0; i < sent.Length; i++)
            {
                var der = TestPki.Der(Pki(sent[i]));
                CollectionAssert.AreEqual(der, result.Chain[i].Der, "certificate #" + (i + 1));
                Assert.AreEqual(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(der)), result.Chain[i].Sha256Hex, "certificate #" + (i + 1));
            }
            Assert.AreEqual(expected.Length == 0 ? ProbeOutcome.Trusted : mtls ? ProbeOutcome.ClientAuthenticationFailed : ProbeOutcome.NotTrusted, result.Outcome);
            Assert.AreEqual(mtls, result.Probe.CertificateRequested);
            if (mtls)
            {
                var check = result.ClientAuthentication;
                Assert.IsNotNull(check);
                Assert.AreEqual(s.ClientCertificate is null ? ClientAuthenticationStatus.Required : ClientAuthenticationStatus.Rejected, check.Status, check.Error);
                Assert.AreEqual("TLS " + tlsVersion, check.NegotiatedVersion);
                Assert.AreEqual(s.ClientCertificate is not null, check.CertificateSent);
                // The server's answer is the alert it sent the real client in the capture (40/116 without a
                // certificate, 48 unknown_ca for the untrusted one).
                if (ServerAlertInCapture(s, tlsVersion, client) is { } alert)
                {
                    Assert.AreEqual((byte)alert, check.AlertDescriptionWire, check.Alert);
                }
                CollectionAssert.AreEqual(new[] { "CN=PcapTls Test Client CA, O=PcapTls Test" }, check.AcceptedIssuers.ToArray());
            }
            else
            {
                Assert.IsNull(result.ClientAuthentication);
            }
        }
        else
        {
            Assert.AreEqual(ProbeOutcome.NoChain, result.Outcome);
            Assert.IsEmpty(result.Chain);
        }
        Assert.DoesNotContain("CIPHER is", serverOutput, "s_server prints 'CIPHER is' only after a completed handshake");
    }

    private static string[] ServerArguments(Scenario s, bool tls13) => s.Server switch
    {
        ServerKind.RequiresClientCertificate =>
        [
            tls13 ? "-tls1_3" : "-tls1_2",
            "-cert", Pki(s.Certificate + ".pem"), "-key", Pki(Path.Combine("keys", s.Certificate + ".key")),
            "-cert_chain", Pki("intermediate-chain.pem"),
            "-Verify", "1", "-verify_return_error", "-CAfile", RepoPaths.Capture(Path.Combine("truststores", "client-ca.pem")), "-no-CApath", "-no-CAstore",
        ],
        ServerKind.RejectsHello =>
        [
            "-tls1_3", "-cert", Pki("backend.pem"), "-key", Pki("keys/backend.key"), "-cert_chain", Pki("intermediate-chain.pem"),
            .. tls13 ? new[] { "-ciphersuites", "TLS_AES_256_GCM_SHA384" } : [],
        ],
        _ =>
        [
            tls13 ? "-tls1_3" : "-tls1_2",
            "-cert", Pki(s.Certificate + ".pem"), "-key", Pki(Path.Combine("keys", s.Certificate + ".key")),
            .. s.SendsIntermediate ? new[] { "-cert_chain", Pki("intermediate-chain.pem") } : [],
        ],
    };

    [TestMethod]
    public void TheScenarioTableAgreesWithTheManifest()
    {
        if (!File.Exists(ManifestPath))
        {
            Assert.Inconclusive($"skipped: {ManifestPath} does not exist yet (tools/make-captures writes it)");
        }
        foreach (var s in Scenarios)
        {
            foreach (var v in new[] { "1.2", "1.3" })
            {
                var e = ManifestEntry(s.Name, v, "java")!.Value;
                var what = $"{s.Name} TLS {v}";
                Assert.AreEqual(s.Host, e.GetProperty("host").GetString(), what);
                Assert.AreEqual($"truststores/{s.TrustStore}.jks", e.GetProperty("truststore").GetProperty("jks").GetString(), what);
                string[] chain = s.Server == ServerKind.PlainHttp ? [] : [$"pki/{s.Certificate}.pem", .. s.SendsIntermediate ? new[] { "pki/intermediate.pem" } : []];
                CollectionAssert.AreEqual(chain, e.GetProperty("serverChain").EnumerateArray().Select(x => x.GetString()).ToArray(), what);
                CollectionAssert.AreEqual(s.JavaCauses, e.GetProperty("expected").GetProperty("causes").EnumerateArray().Select(x => x.GetString()).ToArray(), what);
                var clientCertificate = e.GetProperty("clientCertificate");
                Assert.AreEqual(s.ClientCertificate is null ? null : $"pki/{s.ClientCertificate}.pem",
                    clientCertificate.ValueKind == JsonValueKind.Null ? null : clientCertificate.GetString(), what);
            }
        }
    }
}

/// <summary>A one-connection plain HTTP server, as tools/make-captures.d/http-responder.py: reads the ClientHello,
/// answers 400 and closes.</summary>
internal sealed class PlainHttpServer : IDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener;
    private readonly Task _serve;

    public int Port { get; }

    public PlainHttpServer(CancellationToken cancellationToken)
    {
        _listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;
        _serve = Task.Run(async () =>
        {
            using var peer = await _listener.AcceptTcpClientAsync(cancellationToken);
            var stream = peer.GetStream();
            _ = await stream.ReadAsync(new byte[65536], cancellationToken);
            await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nBad Request\n"u8.ToArray(), cancellationToken);
        }, cancellationToken);
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
            // The probe may have closed first; the server's result does not matter.
        }
        _listener.Dispose();
    }
}
