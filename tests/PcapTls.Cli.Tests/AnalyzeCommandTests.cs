using PcapTls.Cli;
using PcapTls.Testing;

namespace PcapTls.Cli.Tests;

/// <summary>Bad input gets one clear line on stderr and a documented exit code; never a stack trace, never a
/// half-written output file; the input is never modified.</summary>
[TestClass]
public sealed class AnalyzeCommandTests
{
    private static string Fixture => Path.Combine(RepoPaths.Root, "tests", "PcapTls.Capture.Tests", "Data", "lo-eth.pcap");

    private static string TempFile(byte[] content, string ext = ".pcap")
    {
        var path = Path.Combine(Path.GetTempPath(), $"pcaptls-cli-{Guid.NewGuid():N}{ext}");
        File.WriteAllBytes(path, content);
        return path;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void AssertOneLineError(string err)
    {
        var lines = err.TrimEnd().Split('\n');
        Assert.AreEqual(1, lines.Length, err);
        StringAssert.StartsWith(lines[0], "pcaptls: ");
        Assert.IsFalse(err.Contains("   at ", StringComparison.Ordinal), "stack trace printed: " + err);
    }

    [TestMethod]
    public void ThreadsGiveTheSameReportAndABadCountIsAUsageError()
    {
        var (one, outOne, errOne) = Run("analyze", Fixture, "--format", "json", "--threads", "1");
        var (two, outTwo, errTwo) = Run("analyze", Fixture, "--format", "json", "--threads", "2");
        Assert.AreEqual((int)ExitCode.Ok, one, errOne);
        Assert.AreEqual((int)ExitCode.Ok, two, errTwo);
        Assert.AreEqual(outOne, outTwo);
        // Written to a file (bytes straight to the file, not through a TextWriter): the same document.
        var file = Path.Combine(Path.GetTempPath(), $"pcaptls-threads-{Environment.ProcessId}.json");
        try
        {
            var (toFile, _, errFile) = Run("analyze", Fixture, "--format", "json", "-o", file);
            Assert.AreEqual((int)ExitCode.Ok, toFile, errFile);
            Assert.AreEqual(outOne, File.ReadAllText(file));
        }
        finally
        {
            File.Delete(file);
        }
        var (bad, _, err) = Run("analyze", Fixture, "--threads", "0");
        Assert.AreEqual((int)ExitCode.Usage, bad, err);
        AssertOneLineError(err);
    }

    /// <summary>The launcher users run (tools/pcaptls) passes the tool's one-line error through to stderr. It runs
    /// the build next to these tests (PCAPTLS_DLL): a Release build of its own inside the test would race the
    /// solution's build for obj/ and take minutes on a loaded machine.</summary>
    [TestMethod]
    public void TheLauncherShowsTheErrorLine()
    {
        var path = TempFile("hello, this is a text file, not a capture\n"u8.ToArray(), ".txt");
        var dll = Path.Combine(AppContext.BaseDirectory, "pcaptls.dll");
        Assert.IsTrue(File.Exists(dll), dll);
        var (code, _, err) = Requires.Run("env", "PCAPTLS_DLL=" + dll, "bash", Path.Combine(PcapTls.Testing.RepoPaths.Root, "tools", "pcaptls"), "analyze", path);
        Assert.AreEqual((int)ExitCode.InputError, code, err);
        StringAssert.Contains(err, "pcaptls: " + path);
    }

    [TestMethod]
    public void AFileThatIsNotACaptureIsAnInputError()
    {
        var path = TempFile("hello, this is a text file, not a capture\n"u8.ToArray(), ".txt");
        var (code, _, err) = Run("analyze", path);
        Assert.AreEqual((int)ExitCode.InputError, code, err);
        AssertOneLineError(err);
    }

    [TestMethod]
    public void AnEmptyFileIsAnInputError()
    {
        var (code, _, err) = Run("analyze", TempFile([]));
        Assert.AreEqual((int)ExitCode.InputError, code, err);
        AssertOneLineError(err);
    }

    [TestMethod]
    public void ADirectoryWithoutCapturesIsAnInputError()
    {
        // A directory is read as a set of captures (its files merged); one that holds none is one line.
        var dir = Path.Combine(Path.GetTempPath(), $"pcaptls-cli-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not a capture");
        try
        {
            var (code, _, err) = Run("analyze", dir);
            Assert.AreEqual((int)ExitCode.InputError, code, err);
            AssertOneLineError(err);
            Assert.AreEqual($"pcaptls: {dir}: the directory holds no capture files", err.TrimEnd());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void AGzipThatIsNotACaptureIsAnInputError()
    {
        using var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write("just text inside gzip"u8);
        }
        var (code, _, err) = Run("analyze", TempFile(ms.ToArray(), ".pcap.gz"));
        Assert.AreEqual((int)ExitCode.InputError, code, err);
        AssertOneLineError(err);
    }

    [TestMethod]
    public void ATruncatedCaptureIsAnalyzedAndTheDamageReported()
    {
        var bytes = File.ReadAllBytes(Fixture);
        var path = TempFile(bytes[..(bytes.Length - 37)]);
        var (code, output, err) = Run("analyze", path, "--format", "json");
        Assert.AreEqual((int)ExitCode.Ok, code, err);
        StringAssert.Contains(output, "\"anomalies\"");
        StringAssert.Contains(output, "truncated", "the cut final record is reported");
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        Assert.AreEqual(1, doc.RootElement.GetProperty("handshakes").GetArrayLength());
    }

    [TestMethod]
    public void TheInputIsNeverModified()
    {
        var before = File.ReadAllBytes(Fixture);
        var stamp = File.GetLastWriteTimeUtc(Fixture);
        Run("analyze", Fixture, "--format", "json");
        CollectionAssert.AreEqual(before, File.ReadAllBytes(Fixture));
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(Fixture));
    }

    [TestMethod]
    public void AnUnwritableOutputLeavesNoFileBehind()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pcaptls-missing-{Guid.NewGuid():N}");
        var output = Path.Combine(dir, "report.json");
        var (code, _, err) = Run("analyze", Fixture, "--format", "json", "--output", output);
        Assert.AreEqual((int)ExitCode.OutputError, code, err);
        AssertOneLineError(err);
        Assert.IsFalse(File.Exists(output));
    }

    [TestMethod]
    public void OutputFileIsWrittenWhole()
    {
        var output = Path.Combine(Path.GetTempPath(), $"pcaptls-report-{Guid.NewGuid():N}.json");
        var (code, stdout, err) = Run("analyze", Fixture, "--format", "json", "--output", output);
        Assert.AreEqual((int)ExitCode.Ok, code, err);
        Assert.AreEqual("", stdout);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(output));
        Assert.AreEqual("pcap", doc.RootElement.GetProperty("capture").GetProperty("format").GetString());
        Assert.AreEqual(0, Directory.GetFiles(Path.GetTempPath(), $".{Path.GetFileName(output)}*").Length, "no temporary file left");
    }

    [TestMethod]
    public void AWrongTruststorePasswordIsAnInputErrorInOneLine()
    {
        var keytool = Requires.Tool("keytool");
        var dir = Directory.CreateTempSubdirectory("pcaptls-ts").FullName;
        var pem = Path.Combine(dir, "ca.pem");
        var p12 = Path.Combine(dir, "ts.p12");
        var (rc, _, _) = Requires.Run(Requires.Tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", Path.Combine(dir, "k.pem"),
            "-out", pem, "-subj", "/CN=Test CA", "-days", "30");
        Assert.AreEqual(0, rc);
        (rc, _, _) = Requires.Run(keytool, "-importcert", "-noprompt", "-alias", "ca", "-file", pem, "-keystore", p12, "-storetype", "PKCS12", "-storepass", "rightpass");
        Assert.AreEqual(0, rc);
        Environment.SetEnvironmentVariable("PCAPTLS_TEST_WRONG_PW", "wrongpass");
        var (code, _, err) = Run("analyze", Fixture, "--truststore", p12, "--truststore-password-env", "PCAPTLS_TEST_WRONG_PW");
        Assert.AreEqual((int)ExitCode.InputError, code, err);
        AssertOneLineError(err);
        StringAssert.Contains(err.ToLowerInvariant(), "password");
    }

    [TestMethod]
    public void JsonHasTheDocumentedNames()
    {
        var (code, output, err) = Run("analyze", Fixture, "--format", "json");
        Assert.AreEqual(0, code, err);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var root = doc.RootElement;
        foreach (var name in new[] { "file", "packets", "linkTypes", "firstPacketTime" })
        {
            Assert.IsTrue(root.GetProperty("capture").TryGetProperty(name, out _), "capture." + name);
        }
        var h = root.GetProperty("handshakes")[0];
        foreach (var name in new[] { "client", "server", "startPacket", "sni", "version", "cipher", "outcome", "serverCertificates", "clientCertificates", "certificateRequested", "alerts", "teardown", "causes" })
        {
            Assert.IsTrue(h.TryGetProperty(name, out _), "handshake." + name);
        }
        Assert.AreEqual("TLS 1.2", h.GetProperty("version").GetString());
        Assert.AreEqual("127.0.0.1:41676", h.GetProperty("client").GetString());
        var cert = h.GetProperty("serverCertificates")[0];
        foreach (var name in new[] { "subject", "issuer", "serial", "sha256", "notBefore", "notAfter", "dnsNames" })
        {
            Assert.IsTrue(cert.TryGetProperty(name, out _), "certificate." + name);
        }
        Assert.AreEqual(64, cert.GetProperty("sha256").GetString()!.Length);
        Assert.IsTrue(root.TryGetProperty("anomalies", out _));
        var teardown = h.GetProperty("teardown");
        Assert.IsTrue(teardown.GetArrayLength() >= 1);
        Assert.AreEqual("fin", teardown[0].GetProperty("kind").GetString());
    }

    [TestMethod]
    public void CsvHasOneRowPerHandshake()
    {
        var (code, output, err) = Run("analyze", Fixture, "--format", "csv");
        Assert.AreEqual(0, code, err);
        var lines = output.TrimEnd('\n').Split('\n');
        Assert.AreEqual(2, lines.Length, output);
        StringAssert.StartsWith(lines[0], "client,server,startPacket");
        StringAssert.StartsWith(lines[1], "127.0.0.1:41676,127.0.0.1:29443,4,");
    }

    [TestMethod]
    public void HelpDescribesEveryAnalyzeOption()
    {
        var (code, output, _) = Run("analyze", "--help");
        Assert.AreEqual(0, code);
        foreach (var option in new[] { "--truststore", "--host", "--at", "--client", "--keylog", "--target-endpoint", "--format", "--export-certs", "--write-pcap" })
        {
            StringAssert.Contains(output, option);
        }
    }
}
