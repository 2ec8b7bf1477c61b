using System.Text.Json;
using PcapTls.Cli;
using PcapTls.Testing;

namespace PcapTls.Support.Tests;

/// <summary>
/// The support corpus end to end: for each failure kind, analyze CAPTURE --mp-log --router-log --truststore-api
/// --bundle joins every log event to its handshake and writes a bundle whose SUMMARY.md (a golden file) names the
/// right cause and fix; with another capture's log every event is unmatched.
/// </summary>
[TestClass]
public sealed class SupportCorpusTests
{
    public static IEnumerable<object[]> Kinds => SampleCorpus.Kinds.Select(k => new object[] { k.Name });

    private static SampleCorpus.Kind Get(string name) => SampleCorpus.Kinds.Single(k => k.Name == name);

    [TestMethod]
    [DynamicData(nameof(Kinds))]
    public void TheCommittedCorpusIsWhatTheWriterWrites(string name)
    {
        var k = Get(name);
        var folder = SampleCorpus.Folder(k);
        foreach (var (relative, content) in SampleCorpus.Files(k))
        {
            var path = Path.Combine(folder, relative);
            if (Environment.GetEnvironmentVariable("PCAPTLS_UPDATE_GOLDEN") == "1")
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, content);
                continue;
            }
            Assert.IsTrue(File.Exists(path), $"{path} is missing (tools/make-support-corpus writes it)");
            Assert.AreEqual(content, File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal), $"{path} differs from what the writer makes");
        }
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Args(SampleCorpus.Kind k, string logsOf, params string[] more)
    {
        var folder = SampleCorpus.Folder(logsOf == k.Name ? k : Get(logsOf));
        var args = new List<string> { "analyze", RepoPaths.Capture(k.Capture), "--color", "never", "--mp-log", Path.Combine(folder, "system.log"), "--router-log", Path.Combine(folder, "router_access_log") };
        args.AddRange(k.TrustStorePem is null ? ["--truststore", RepoPaths.Capture("truststores/empty.jks"), "--truststore-password-env", "PCAPTLS_SUPPORT_TEST_PW"] : ["--truststore", RepoPaths.Capture(k.TrustStorePem)]);
        if (Directory.Exists(Path.Combine(folder, "myCompanyTruststore")))
        {
            args.AddRange(["--truststore-api", Path.Combine(folder, "myCompanyTruststore")]);
        }
        args.AddRange(more);
        return [.. args];
    }

    [TestMethod]
    [DynamicData(nameof(Kinds))]
    public void EveryLogEventJoinsItsHandshakeAndTheBundleNamesTheCauseAndFix(string name)
    {
        Environment.SetEnvironmentVariable("PCAPTLS_SUPPORT_TEST_PW", "changeit");
        var k = Get(name);
        var dir = Directory.CreateTempSubdirectory("pcaptls-bundle-");
        try
        {
            var bundle = Path.Combine(dir.FullName, "case");
            var (code, _, err) = Run(Args(k, k.Name, "--bundle", bundle));
            Assert.AreEqual(0, code, err);
            var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(bundle, "report.json"))).RootElement;
            var support = json.GetProperty("support");
            var mp = support.GetProperty("messageProcessorLog");
            Assert.AreEqual(1, mp.GetProperty("joined").GetArrayLength(), "the MP event joins the capture's handshake");
            Assert.AreEqual(0, mp.GetProperty("unmatched").GetArrayLength());
            Assert.AreEqual(0, mp.GetProperty("failedWithoutEvent").GetArrayLength());
            Assert.AreEqual(k.Agreement, mp.GetProperty("joined")[0].GetProperty("agreement").GetString(), "the logged message against the predicted one");
            var router = support.GetProperty("routerLog").GetProperty("requests");
            Assert.AreEqual(1, router.GetArrayLength(), "only the failed request is kept");
            Assert.AreEqual(1, router[0].GetProperty("handshake").GetInt32(), "router 503 -> MP event -> handshake");
            Assert.AreEqual(k.ExpectedCause, json.GetProperty("handshakes")[0].GetProperty("causes")[0].GetProperty("code").GetString());

            var summary = File.ReadAllText(Path.Combine(bundle, "SUMMARY.md"));
            StringAssert.Contains(summary, $"`{k.ExpectedCause}`");
            var fix = json.GetProperty("handshakes")[0].GetProperty("causes")[0].GetProperty("fix").GetString()!;
            StringAssert.Contains(summary, "**Fix**: " + fix);
            Assert.IsTrue(File.Exists(Path.Combine(bundle, "failed-handshakes.pcap")));
            Assert.IsTrue(Directory.EnumerateFiles(Path.Combine(bundle, "chain"), "*.pem").Any());
            Assert.IsFalse(Directory.EnumerateDirectories(dir.FullName, ".*partial").Any(), "no partial folder left");
            GoldenFiles.Check($"{k.Name}.SUMMARY.md", GoldenFiles.Pin(summary, dir.FullName));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void WithALogFromAnotherCaptureEveryEventIsUnmatched()
    {
        Environment.SetEnvironmentVariable("PCAPTLS_SUPPORT_TEST_PW", "changeit");
        var k = Get("untrusted-root");
        var (code, text, err) = Run(Args(k, "name-mismatch", "--format", "json"));
        Assert.AreEqual(0, code, err);
        var mp = JsonDocument.Parse(text).RootElement.GetProperty("support").GetProperty("messageProcessorLog");
        Assert.AreEqual(0, mp.GetProperty("joined").GetArrayLength());
        Assert.AreEqual(1, mp.GetProperty("unmatched").GetArrayLength());
        Assert.AreEqual("no-such-connection", mp.GetProperty("unmatched")[0].GetProperty("reason").GetString());
        Assert.AreEqual(1, mp.GetProperty("failedWithoutEvent")[0].GetInt32());
        var router = JsonDocument.Parse(text).RootElement.GetProperty("support").GetProperty("routerLog").GetProperty("requests");
        Assert.AreEqual(JsonValueKind.Null, router[0].GetProperty("handshake").ValueKind, "the 503 joins the MP event, which joins no handshake here");
    }

    [TestMethod]
    public void ANameOnlyMatchInTheListingIsNeverProofOfTrust()
    {
        // impostor-root: the listing's JSON names the real root (same subject), no PEM exported: never proven.
        var k = Get("impostor-root");
        var (code, text, err) = Run(Args(k, k.Name, "--format", "json"));
        Assert.AreEqual(0, code, err);
        var h = JsonDocument.Parse(text).RootElement.GetProperty("support").GetProperty("truststoreApi").GetProperty("handshakes")[0];
        Assert.IsFalse(h.GetProperty("provenByKey").GetBoolean());
        Assert.AreEqual(JsonValueKind.Null, h.GetProperty("exportedVerdict").ValueKind);
        var m = h.GetProperty("matches")[0];
        Assert.AreEqual("issuer-name-only", m.GetProperty("match").GetString());
        Assert.IsFalse(m.GetProperty("provenByKey").GetBoolean());
        var (_, console, _) = Run(Args(k, k.Name));
        StringAssert.Contains(console, "a name match only, which never proves trust");
        StringAssert.Contains(console, "/keystores/myCompanyTruststore/certs/pcaptls-test-root-ca/export");
    }

    [TestMethod]
    public void AnExportedPemIsComparedByKey()
    {
        // untrusted-root: the exported PEM is an unrelated root: not the issuer by key, the chain not trusted.
        var k = Get("untrusted-root");
        var (code, text, err) = Run(Args(k, k.Name, "--format", "json"));
        Assert.AreEqual(0, code, err);
        var h = JsonDocument.Parse(text).RootElement.GetProperty("support").GetProperty("truststoreApi").GetProperty("handshakes")[0];
        Assert.IsFalse(h.GetProperty("exportedVerdict").GetProperty("trusted").GetBoolean());
        Assert.AreEqual(0, h.GetProperty("matches").GetArrayLength(), "an unrelated root has neither the fingerprint nor the name");

        // name-mismatch: the exported real root verifies the chain's signature by key.
        var n = Get("name-mismatch");
        var (_, t2, _) = Run(Args(n, n.Name, "--format", "json"));
        var h2 = JsonDocument.Parse(t2).RootElement.GetProperty("support").GetProperty("truststoreApi").GetProperty("handshakes")[0];
        Assert.AreEqual("issuer-by-key", h2.GetProperty("matches")[0].GetProperty("match").GetString());
    }

    [TestMethod]
    public void ABundleIsNeverWrittenOverAFileOrIntoAMissingFolder()
    {
        var k = Get("untrusted-root");
        var dir = Directory.CreateTempSubdirectory("pcaptls-bundle-");
        try
        {
            var input = Path.Combine(dir.FullName, "capture.pcap");
            File.Copy(RepoPaths.Capture(k.Capture), input);
            var before = File.ReadAllBytes(input);
            var (code, _, err) = Run(Args(k, k.Name, "--bundle", input));
            Assert.AreEqual((int)ExitCode.OutputError, code, err);
            Assert.AreEqual(1, err.TrimEnd().Split('\n').Length, err);
            StringAssert.Contains(err, "is a file");
            CollectionAssert.AreEqual(before, File.ReadAllBytes(input), "the input is untouched");

            (code, _, err) = Run(Args(k, k.Name, "--bundle", Path.Combine(dir.FullName, "no", "such", "case")));
            Assert.AreEqual((int)ExitCode.OutputError, code, err);
            StringAssert.Contains(err, "does not exist");
            CollectionAssert.AreEqual(new[] { "capture.pcap" }, Directory.EnumerateFileSystemEntries(dir.FullName).Select(Path.GetFileName).ToArray());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void ABundleIsNeverWrittenOverAnExistingOne()
    {
        var k = Get("untrusted-root");
        var dir = Directory.CreateTempSubdirectory("pcaptls-bundle-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "keep.txt"), "x");
            var (code, _, err) = Run(Args(k, k.Name, "--bundle", dir.FullName));
            Assert.AreEqual((int)ExitCode.OutputError, code, err);
            Assert.AreEqual(1, err.TrimEnd().Split('\n').Length, err);
            CollectionAssert.AreEqual(new[] { "keep.txt" }, Directory.EnumerateFileSystemEntries(dir.FullName).Select(Path.GetFileName).ToArray());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>Golden files of this project (PCAPTLS_UPDATE_GOLDEN=1 rewrites them).</summary>
internal static class GoldenFiles
{
    public static string Pin(string text, string tempDir) => text.Replace(tempDir, "<tmp>", StringComparison.Ordinal)
        .Replace(RepoPaths.Root + "/", "", StringComparison.Ordinal).Replace("\r\n", "\n", StringComparison.Ordinal);

    public static void Check(string name, string actual)
    {
        var path = Path.Combine(RepoPaths.Root, "tests", "PcapTls.Support.Tests", "Golden", name);
        if (Environment.GetEnvironmentVariable("PCAPTLS_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }
        Assert.IsTrue(File.Exists(path), $"golden file {path} is missing (run with PCAPTLS_UPDATE_GOLDEN=1 to create it)");
        Assert.AreEqual(File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal), actual, $"{name} differs from its golden file (PCAPTLS_UPDATE_GOLDEN=1 rewrites it)");
    }
}
