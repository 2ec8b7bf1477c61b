using System.Net;
using System.Net.Sockets;
using PcapTls.Testing;

namespace PcapTls.Probe.Tests;

[TestClass]
public sealed class ServerProbeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly Lock PkiLock = new();
    private static TestPki? _pki;

    public TestContext TestContext { get; set; } = null!;

    private static (string OpenSsl, TestPki Pki) Setup()
    {
        var openssl = Requires.Tool("openssl");
        lock (PkiLock)
        {
            _pki ??= TestPki.Create(openssl);
            return (openssl, _pki);
        }
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        if (_pki is not null && Directory.Exists(_pki.Directory))
        {
            Directory.Delete(_pki.Directory, true);
        }
    }

    public static IEnumerable<object[]> Versions => [[TlsVersionChoice.Tls12, "-tls1_2", "TLS 1.2"], [TlsVersionChoice.Tls13, "-tls1_3", "TLS 1.3"]];

    private void AssertHandshakeNeverCompleted(string serverOutput)
    {
        TestContext.WriteLine(serverOutput);
        Assert.DoesNotContain("CIPHER is", serverOutput, "s_server prints 'CIPHER is' only after a completed handshake:\n" + serverOutput);
    }

    [TestMethod]
    [DynamicData(nameof(Versions))]
    public async Task RecordsTheChainInTheOrderSent(TlsVersionChoice version, string serverFlag, string expectedVersion)
    {
        var (openssl, pki) = Setup();
        using var server = new OpenSslServer(openssl, serverFlag, "-cert", pki.Leaf, "-key", pki.LeafKey, "-cert_chain", pki.Intermediate);

        var result = await ServerProbe.ProbeAsync("127.0.0.1", server.Port, "probe.pcaptls.test", version, Timeout, TestContext.CancellationToken);

        Assert.IsNull(result.Error, result.Error);
        Assert.AreEqual(ProbeFailure.None, result.Failure);
        Assert.AreEqual(expectedVersion, result.NegotiatedVersion);
        Assert.AreEqual(expectedVersion == "TLS 1.2" ? (ushort)0x0303 : (ushort)0x0304, result.NegotiatedVersionWire);
        Assert.HasCount(2, result.ServerCertificates);
        CollectionAssert.AreEqual(TestPki.Der(pki.Leaf), result.ServerCertificates[0]);
        CollectionAssert.AreEqual(TestPki.Der(pki.Intermediate), result.ServerCertificates[1]);
        Assert.IsFalse(result.CertificateRequested);
        Assert.IsNotNull(result.CipherSuite);
        AssertHandshakeNeverCompleted(server.Stop());
    }

    [TestMethod]
    [DynamicData(nameof(Versions))]
    public async Task ReportsExactlyTheLeafWhenOnlyTheLeafIsSent(TlsVersionChoice version, string serverFlag, string expectedVersion)
    {
        var (openssl, pki) = Setup();
        using var server = new OpenSslServer(openssl, serverFlag, "-cert", pki.Leaf, "-key", pki.LeafKey);

        var result = await ServerProbe.ProbeAsync("127.0.0.1", server.Port, "probe.pcaptls.test", version, Timeout, TestContext.CancellationToken);

        Assert.IsNull(result.Error, result.Error);
        Assert.AreEqual(expectedVersion, result.NegotiatedVersion);
        Assert.HasCount(1, result.ServerCertificates);
        CollectionAssert.AreEqual(TestPki.Der(pki.Leaf), result.ServerCertificates[0]);
        AssertHandshakeNeverCompleted(server.Stop());
    }

    [TestMethod]
    [DynamicData(nameof(Versions))]
    public async Task NoticesACertificateRequest(TlsVersionChoice version, string serverFlag, string expectedVersion)
    {
        var (openssl, pki) = Setup();
        using var server = new OpenSslServer(openssl, serverFlag, "-cert", pki.Leaf, "-key", pki.LeafKey, "-verify", "1");

        var result = await ServerProbe.ProbeAsync("127.0.0.1", server.Port, null, version, Timeout, TestContext.CancellationToken);

        Assert.IsNull(result.Error, result.Error);
        Assert.AreEqual(expectedVersion, result.NegotiatedVersion);
        Assert.IsTrue(result.CertificateRequested);
        Assert.HasCount(1, result.ServerCertificates);
        AssertHandshakeNeverCompleted(server.Stop());
    }

    [TestMethod]
    [DynamicData(nameof(Versions))]
    public async Task RsaChain(TlsVersionChoice version, string serverFlag, string expectedVersion)
    {
        var (openssl, pki) = Setup();
        using var server = new OpenSslServer(openssl, serverFlag, "-cert", pki.RsaLeaf, "-key", pki.RsaLeafKey, "-cert_chain", pki.Intermediate);

        var result = await ServerProbe.ProbeAsync("127.0.0.1", server.Port, "probe.pcaptls.test", version, Timeout, TestContext.CancellationToken);

        Assert.IsNull(result.Error, result.Error);
        Assert.AreEqual(expectedVersion, result.NegotiatedVersion);
        Assert.HasCount(2, result.ServerCertificates);
        CollectionAssert.AreEqual(TestPki.Der(pki.RsaLeaf), result.ServerCertificates[0]);
        CollectionAssert.AreEqual(TestPki.Der(pki.Intermediate), result.ServerCertificates[1]);
        AssertHandshakeNeverCompleted(server.Stop());
    }

    [TestMethod]
    [DataRow("probe.pcaptls.test", true)]
    [DataRow("other.pcaptls.test", false)]
    [DataRow(null, false)]
    public async Task SendsTheGivenServerName(string? sni, bool expectSniCertificate)
    {
        // s_server answers a ClientHello naming -servername with -cert2, anything else with -cert.
        var (openssl, pki) = Setup();
        using var server = new OpenSslServer(openssl, "-cert", pki.Leaf, "-key", pki.LeafKey,
            "-servername", "probe.pcaptls.test", "-cert2", pki.RsaLeaf, "-key2", pki.RsaLeafKey);

        var result = await ServerProbe.ProbeAsync("127.0.0.1", server.Port, sni, TlsVersionChoice.Any, Timeout, TestContext.CancellationToken);

        Assert.IsNull(result.Error, result.Error);
        Assert.HasCount(1, result.ServerCertificates);
        CollectionAssert.AreEqual(TestPki.Der(expectSniCertificate ? pki.RsaLeaf : pki.Leaf), result.ServerCertificates[0]);
    }

    [TestMethod]
    [DataRow("-tls1_2", "-cipher", "AES128-GCM-SHA256", "TLS 1.2", DisplayName = "TLS 1.2, RSA key exchange only")]
    [DataRow("-tls1_2", "-cipher", "ECDHE-RSA-AES256-SHA", "TLS 1.2", DisplayName = "TLS 1.2, CBC suite only")]
    [DataRow("-tls1_3", "-groups", "secp384r1", "TLS 1.3", DisplayName = "TLS 1.3, HelloRetryRequest for P-384")]
    [DataRow("-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256", "TLS 1.3", DisplayName = "TLS 1.3, CCM only")]
    public async Task ReachesTheCertificateWithPickyServers(string versionFlag, string option, string value, string expectedVersion)
    {
        var (openssl, pki) = Setup();
        using var server = new OpenSslServer(openssl, versionFlag, option, value, "-cert", pki.RsaLeaf, "-key", pki.RsaLeafKey);

        var result = await ServerProbe.ProbeAsync("127.0.0.1", server.Port, "probe.pcaptls.test", TlsVersionChoice.Any, Timeout, TestContext.CancellationToken);

        Assert.IsNull(result.Error, result.Error);
        Assert.AreEqual(expectedVersion, result.NegotiatedVersion);
        Assert.HasCount(1, result.ServerCertificates);
        AssertHandshakeNeverCompleted(server.Stop());
    }

    [TestMethod]
    public async Task OffersBothVersionsByDefault()
    {
        var (openssl, pki) = Setup();
        using var server = new OpenSslServer(openssl, "-cert", pki.Leaf, "-key", pki.LeafKey);

        var result = await ServerProbe.ProbeAsync("127.0.0.1", server.Port, "probe.pcaptls.test", TlsVersionChoice.Any, Timeout, TestContext.CancellationToken);

        Assert.IsNull(result.Error, result.Error);
        Assert.AreEqual("TLS 1.3", result.NegotiatedVersion);
        Assert.HasCount(1, result.ServerCertificates);
    }

    [TestMethod]
    public async Task VersionMismatchIsAnErrorWithTheServersAlert()
    {
        var (openssl, pki) = Setup();
        using var server = new OpenSslServer(openssl, "-tls1_2", "-cert", pki.Leaf, "-key", pki.LeafKey);

        var result = await ServerProbe.ProbeAsync("127.0.0.1", server.Port, "probe.pcaptls.test", TlsVersionChoice.Tls13, Timeout, TestContext.CancellationToken);

        TestContext.WriteLine(result.Error);
        Assert.IsNotNull(result.Error);
        Assert.AreEqual("protocol_version(70)", result.Alert, result.Error);
        Assert.AreEqual((byte)70, result.AlertDescriptionWire);
        Assert.AreEqual(ProbeFailure.ServerAlert, result.Failure);
        Assert.IsEmpty(result.ServerCertificates);
        Assert.AreEqual("", result.NegotiatedVersion);
    }

    [TestMethod]
    public async Task RefusedConnectionIsAnError()
    {
        var port = OpenSslServer.FreePort();

        var result = await ServerProbe.ProbeAsync("127.0.0.1", port, null, TlsVersionChoice.Any, Timeout, TestContext.CancellationToken);

        Assert.AreEqual($"connect to 127.0.0.1:{port} failed: ConnectionRefused", result.Error);
        Assert.AreEqual(ProbeFailure.ConnectFailed, result.Failure);
        Assert.IsEmpty(result.ServerCertificates);
    }

    [TestMethod]
    public async Task SilentServerEndsWithTheTimeout()
    {
        // Accepts the connection and never answers the ClientHello.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = listener.AcceptTcpClientAsync(TestContext.CancellationToken).AsTask();

        var result = await ServerProbe.ProbeAsync("127.0.0.1", port, null, TlsVersionChoice.Any, TimeSpan.FromSeconds(1), TestContext.CancellationToken);

        Assert.AreEqual("no answer within 1 s", result.Error);
        Assert.AreEqual(ProbeFailure.NoAnswer, result.Failure);
        Assert.IsEmpty(result.ServerCertificates);
        (await accept).Dispose();
    }

    [TestMethod]
    public async Task NotTlsIsAnError()
    {
        // A server that answers with plain HTTP.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync(TestContext.CancellationToken);
            await peer.GetStream().WriteAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray(), TestContext.CancellationToken);
            await Task.Delay(500, TestContext.CancellationToken);
        }, TestContext.CancellationToken);

        var result = await ServerProbe.ProbeAsync("127.0.0.1", port, null, TlsVersionChoice.Any, Timeout, TestContext.CancellationToken);

        TestContext.WriteLine(result.Error);
        Assert.AreEqual(ProbeFailure.NotTls, result.Failure);
        Assert.AreEqual("the server's reply is not TLS: \"HTTP/1.1 400 Bad Request\"", result.Error);
        Assert.IsEmpty(result.ServerCertificates);
        await serve;
    }
}
