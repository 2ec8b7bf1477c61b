using System.Text.Json;
using PcapTls.Cli;
using PcapTls.Testing;

namespace PcapTls.Cli.Tests;

/// <summary>analyze --mp-log (issue #17): the log joined in console and JSON; bad logs never stop the analysis.</summary>
[TestClass]
public sealed class SupportOptionsTests
{
    private static readonly string Capture = RepoPaths.Capture("tls12/java/untrusted-root.pcap");
    private static readonly string Truststore = RepoPaths.Capture("truststores/unrelated-root.pem");

    // The corpus capture's own connection (127.0.0.1:21004 -> 127.0.0.1:20004) and time (its alert at 00:29:53.113 UTC).
    private const string Log = """
        2026-11-27 00:29:53,120 org:myorg env:test api:MyProxy rev:1 messageid:myorg-28247-3541813-1 NIOThread@1 ERROR HTTP.CLIENT - HTTPClient$Context.handshakeFailed() : SSLClientChannel[Connected: Remote:127.0.0.1:20004 Local:127.0.0.1:21004]@64596 useCount=1 bytesRead=0 bytesWritten=0 age=233ms lastIO=233ms isOpen=true handshake failed, message: General SSLEngine problem
        2026-11-27 00:29:53,121 org:myorg env:test api:MyProxy rev:1 messageid:myorg-28247-3541813-1 NIOThread@1 ERROR ADAPTORS.HTTP.FLOW - RequestWriteListener.onException() : RequestWriteListener.onException(HTTPRequest@1522922c)
        javax.net.ssl.SSLHandshakeException: General SSLEngine problem
        	at sun.security.ssl.Handshaker.checkThrown(Handshaker.java:1478)
        Caused by: sun.security.validator.ValidatorException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target
        	at sun.security.validator.PKIXValidator.doBuild(PKIXValidator.java:397)

        """;

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Temp(byte[] content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pcaptls-mplog-{Guid.NewGuid():N}.log");
        File.WriteAllBytes(path, content);
        return path;
    }

    [TestMethod]
    public void TheConsoleAndJsonShowTheProxyTheMessageIdAndTheAgreement()
    {
        var log = Temp(System.Text.Encoding.UTF8.GetBytes(Log));
        try
        {
            var (code, text, err) = Run("analyze", Capture, "--truststore", Truststore, "--mp-log", log, "--color", "never");
            Assert.AreEqual(0, code, err);
            StringAssert.Contains(text, "Handshake 1  127.0.0.1:21004 -> 127.0.0.1:20004  api MyProxy rev 1 (org myorg, env test), message ID myorg-28247-3541813-1");
            StringAssert.Contains(text, ": the same as logged");

            var (jcode, json, jerr) = Run("analyze", Capture, "--truststore", Truststore, "--mp-log", log, "--format", "json");
            Assert.AreEqual(0, jcode, jerr);
            var mp = JsonDocument.Parse(json).RootElement.GetProperty("support").GetProperty("messageProcessorLog");
            var j = mp.GetProperty("joined")[0];
            Assert.AreEqual(1, j.GetProperty("handshake").GetInt32());
            Assert.AreEqual("MyProxy", j.GetProperty("api").GetString());
            Assert.AreEqual("1", j.GetProperty("revision").GetString());
            Assert.AreEqual("myorg-28247-3541813-1", j.GetProperty("messageId").GetString());
            Assert.AreEqual("equal", j.GetProperty("agreement").GetString());
            Assert.AreEqual("sun.security.validator.ValidatorException", j.GetProperty("exceptions")[1].GetProperty("class").GetString());
            Assert.AreEqual(5, mp.GetProperty("skewSeconds").GetDouble());
        }
        finally
        {
            File.Delete(log);
        }
    }

    [TestMethod]
    public void AMissingLogIsAnInputErrorInOneLine()
    {
        var (code, _, err) = Run("analyze", Capture, "--mp-log", "/nonexistent/system.log");
        Assert.AreEqual((int)ExitCode.InputError, code);
        Assert.AreEqual(1, err.TrimEnd().Split('\n').Length, err);
        StringAssert.Contains(err, "no such Message Processor log file");
    }

    [TestMethod]
    public void ABinaryLogIsAWarningAndTheAnalysisStillCompletes()
    {
        var bytes = new byte[1 << 20];
        new Random(3).NextBytes(bytes);
        var log = Temp(bytes);
        try
        {
            var (code, text, err) = Run("analyze", Capture, "--truststore", Truststore, "--mp-log", log, "--color", "never", "--no-keylog-search");
            Assert.AreEqual(0, code, err);
            Assert.AreEqual(1, err.TrimEnd().Split('\n').Length, err);
            StringAssert.Contains(err, "binary data");
            StringAssert.Contains(text, "truststore-missing-anchor", "the capture was analysed all the same");
            StringAssert.Contains(text, "anomaly binary-data");
            StringAssert.Contains(text, "Failed handshakes without a log event: 1");
        }
        finally
        {
            File.Delete(log);
        }
    }

    [TestMethod]
    public void BadSkewOrOffsetIsAUsageError()
    {
        var log = Temp(System.Text.Encoding.UTF8.GetBytes(Log));
        try
        {
            Assert.AreEqual((int)ExitCode.Usage, Run("analyze", Capture, "--mp-log", log, "--log-skew", "-1").Code);
            Assert.AreEqual((int)ExitCode.Usage, Run("analyze", Capture, "--mp-log", log, "--log-utc-offset", "CET").Code);
        }
        finally
        {
            File.Delete(log);
        }
    }
}
