using System.Text.Json;
using PcapTls.Cli;
using PcapTls.Testing;

namespace PcapTls.Probe.Tests;

/// <summary><c>pcaptls probe</c> run in-process through <see cref="Program.Run"/>: exit codes and output lines.</summary>
[TestClass]
public sealed class ProbeCommandTests
{
    // An environment variable only these tests set, so the JKS password never appears on a command line.
    private const string PasswordVariable = "PCAPTLS_PROBE_TESTS_STOREPASS";
    private const string At = "2026-11-26T12:00:00Z";

    public TestContext TestContext { get; set; } = null!;

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Capture(string relative) => RepoPaths.Capture(relative);

    private OpenSslServer BackendServer(string openssl, string version) =>
        new(openssl, version, "-cert", Capture("pki/backend.pem"), "-key", Capture("pki/keys/backend.key"), "-cert_chain", Capture("pki/intermediate-chain.pem"));

    [TestMethod]
    public void TrustedChainExitsZero()
    {
        var openssl = Requires.Tool("openssl");
        using var server = BackendServer(openssl, "-tls1_3");

        var (code, stdout, stderr) = Run("probe", $"127.0.0.1:{server.Port}", "--host", "backend.pcaptls.test", "--tls1.3",
            "--truststore", Capture("truststores/root.pem"), "--at", At, "--timeout", "20s");

        var serverOutput = server.Stop();
        TestContext.WriteLine(stdout + stderr + serverOutput);
        Assert.AreEqual(0, code, stderr);
        var lines = stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        CollectionAssert.Contains(lines, "Verdict: trusted");
        CollectionAssert.Contains(lines, "Server: TLS 1.3, TLS_AES_256_GCM_SHA384");
        Assert.AreEqual("", stderr);
        Assert.DoesNotContain("CIPHER is", serverOutput);
    }

    [TestMethod]
    public void UntrustedRootExitsOneWithTheCauseInJson()
    {
        var openssl = Requires.Tool("openssl");
        using var server = BackendServer(openssl, "-tls1_2");
        Environment.SetEnvironmentVariable(PasswordVariable, "changeit");

        var (code, stdout, stderr) = Run("probe", $"127.0.0.1:{server.Port}", "--sni", "backend.pcaptls.test", "--tls1.2",
            "--truststore", Capture("truststores/unrelated-root.jks"), "--truststore-password-env", PasswordVariable,
            "--client", "java", "--at", At, "--format", "json");

        TestContext.WriteLine(stdout + stderr);
        Assert.AreEqual(1, code, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.AreEqual("not-trusted", root.GetProperty("outcome").GetString());
        Assert.AreEqual("TLS 1.2", root.GetProperty("server").GetProperty("version").GetString());
        Assert.AreEqual(2, root.GetProperty("chain").GetArrayLength());
        Assert.AreEqual("backend.pcaptls.test", root.GetProperty("validation").GetProperty("host").GetString());
        Assert.AreEqual("--sni", root.GetProperty("validation").GetProperty("hostSource").GetString());
        Assert.AreEqual(46, root.GetProperty("validation").GetProperty("predictedAlert").GetInt32());
        Assert.AreEqual("truststore-missing-anchor", root.GetProperty("causes")[0].GetProperty("code").GetString());
    }

    [TestMethod]
    public void NobodyListeningExitsThreeWithOneLine()
    {
        var port = LoopbackPorts.Next();

        var (code, stdout, stderr) = Run("probe", $"127.0.0.1:{port}", "--truststore", Capture("truststores/root.pem"));

        Assert.AreEqual(3, code);
        Assert.AreEqual("", stdout);
        Assert.AreEqual($"pcaptls: probe 127.0.0.1:{port}: no-server-response: connect to 127.0.0.1:{port} failed: ConnectionRefused" + Environment.NewLine, stderr);
    }

    [TestMethod]
    [DataRow("localhost", DisplayName = "no port")]
    [DataRow("localhost:443", "--tls1.2", "--tls1.3", DisplayName = "both versions")]
    [DataRow("localhost:443", "--timeout", "10x", DisplayName = "bad timeout")]
    [DataRow("localhost:443", "--timeout", "0s", DisplayName = "zero timeout")]
    [DataRow("localhost:443", "--format", "csv", DisplayName = "no CSV form")]
    [DataRow("localhost:443", "--client", "wget", DisplayName = "unknown client")]
    [DataRow("localhost:443", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256", DisplayName = "OpenSSL cipher name")]
    [DataRow("localhost:443", "--ciphers", "TLS_NULL_WITH_NULL_NULL", DisplayName = "a suite the probe cannot offer")]
    [DataRow("localhost:443", "--no-such-option", DisplayName = "unknown option")]
    [DataRow("localhost:443", "--client-cert", "client.pem", DisplayName = "client certificate without its key")]
    [DataRow("localhost:443", "--client-key", "client.key", DisplayName = "client key without its certificate")]
    [DataRow("localhost:443", "--client-keystore", "client.p12", "--client-cert", "client.pem", "--client-key", "client.key", DisplayName = "keystore and PEM files")]
    [DataRow("localhost:443", "--client-keystore-password-env", "X", DisplayName = "keystore password without a keystore")]
    public void UsageErrorsExitTwoBeforeConnecting(params string[] args)
    {
        var (code, stdout, stderr) = Run(["probe", .. args]);

        Assert.AreEqual(2, code, stderr);
        Assert.AreEqual("", stdout);
        Assert.StartsWith("pcaptls: ", stderr);
    }

    [TestMethod]
    public void AClientCertificateTheServerDoesNotTrustExitsOne()
    {
        // The corpus's mtls-untrusted-client-cert: s_server requires a certificate from the client CA; the client
        // presents one from another CA. Two connections: the probe and its client authentication check.
        var openssl = Requires.Tool("openssl");
        using var server = new OpenSslServer(openssl, 2, "-tls1_2", "-cert", Capture("pki/backend.pem"), "-key", Capture("pki/keys/backend.key"),
            "-cert_chain", Capture("pki/intermediate-chain.pem"), "-Verify", "1", "-verify_return_error", "-CAfile", Capture("truststores/client-ca.pem"), "-no-CApath", "-no-CAstore");

        var (code, stdout, stderr) = Run("probe", $"127.0.0.1:{server.Port}", "--host", "backend.pcaptls.test", "--tls1.2",
            "--truststore", Capture("truststores/root.pem"), "--at", At, "--timeout", "20s", "--format", "json",
            "--client-cert", Capture("pki/untrusted-client.pem"), "--client-key", Capture("pki/keys/untrusted-client.key"));

        TestContext.WriteLine(stdout + stderr + server.Stop());
        Assert.AreEqual(1, code, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.AreEqual("client-authentication-failed", root.GetProperty("outcome").GetString());
        Assert.IsTrue(root.GetProperty("validation").GetProperty("trusted").GetBoolean());
        var check = root.GetProperty("clientAuthentication");
        Assert.AreEqual("rejected", check.GetProperty("result").GetString());
        Assert.AreEqual(48, check.GetProperty("alert").GetInt32());
        Assert.IsTrue(check.GetProperty("certificateSent").GetBoolean());
        Assert.AreEqual("CN=PcapTls Untrusted Client CA,O=PcapTls Test", check.GetProperty("clientCertificate").GetProperty("issuer").GetString());
        Assert.AreEqual("client-certificate-rejected", root.GetProperty("causes")[0].GetProperty("code").GetString());
    }

    [TestMethod]
    public void AClientKeyOfAnotherCertificateIsAnInputError()
    {
        var (code, _, stderr) = Run("probe", "localhost:443", "--truststore", Capture("truststores/root.pem"),
            "--client-cert", Capture("pki/untrusted-client.pem"), "--client-key", Capture("pki/keys/client.key"));

        Assert.AreEqual(3, code, stderr);
        Assert.Contains("untrusted-client.pem", stderr);
    }

    [TestMethod]
    public void MissingTruststoreIsAnInputError()
    {
        var (code, _, stderr) = Run("probe", "localhost:443", "--truststore", Capture("truststores/no-such-file.jks"));

        Assert.AreEqual(3, code);
        Assert.Contains("no such truststore file", stderr);
    }
}
