using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using PcapTls.Cli;
using PcapTls.Testing;

namespace PcapTls.Cli.Tests;

/// <summary>
/// analyze on the other input kinds (a pipe, compressed files, a rotated set, a pcapng carrying its key log) must
/// report the handshakes, outcomes and causes of the plain corpus file.
/// </summary>
[TestClass]
public sealed partial class InputKindsTests
{
    private static string Corpus(string relative) => RepoPaths.Capture(relative);

    private static (int Code, string Out, string Err) Run(Func<Stream>? stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr, stdin);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Each handshake's client, server, SNI, outcome, cause codes and key log note.</summary>
    private static List<string> Handshakes(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("handshakes").EnumerateArray().Select(h =>
            $"{h.GetProperty("client")} {h.GetProperty("server")} {h.GetProperty("sni")} {h.GetProperty("outcome")} " +
            string.Join(",", h.GetProperty("causes").EnumerateArray().Select(c => c.GetProperty("code").GetString())) +
            $" certs={h.GetProperty("serverCertificates").GetArrayLength()}").ToList();
    }

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pcaptls-kinds-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static readonly string[] Trust = ["--truststore", "captures/truststores/unrelated-root.pem"];

    /// <summary>The corpus keeps each capture's key log next to it (cap.pcap.keys): these comparisons of input kinds
    /// leave it out, as a pipe or a copy elsewhere would.</summary>
    private static string[] Args(params string[] first) => [.. first, "--truststore", RepoPaths.Capture("truststores/unrelated-root.pem"), "--format", "json", "--no-keylog-search"];

    /// <summary>The TLS 1.3 corpus capture the key-log tests copy, analysed with --keylog (its JSON).</summary>
    private static string AnalyzedWithItsKeyLog()
    {
        var (code, json, err) = Run(null, Args("analyze", Corpus("tls13/openssl/untrusted-root.pcap"), "--keylog", Corpus("tls13/openssl/untrusted-root.pcap.keys")));
        Assert.AreEqual(0, code, err);
        return json;
    }

    [TestMethod]
    public void AKeyLogNextToTheCaptureIsUsedAndSaidSo()
    {
        var dir = TempDir();
        try
        {
            var capture = Path.Combine(dir, "mp01.pcap");
            File.Copy(Corpus("tls13/openssl/untrusted-root.pcap"), capture);
            var (n, without, ne) = Run(null, Args("analyze", capture));
            Assert.AreEqual(0, n, ne);
            var (k, withKeylog, ke) = Run(null, Args("analyze", capture, "--keylog", Corpus("tls13/openssl/untrusted-root.pcap.keys")));
            Assert.AreEqual(0, k, ke);
            CollectionAssert.AreNotEqual(Handshakes(without), Handshakes(withKeylog), "the key log shows the TLS 1.3 chain");

            foreach (var name in new[] { "mp01.keys", "mp01.pcap.keys", "mp01.keylog" })
            {
                var keys = Path.Combine(dir, name);
                File.Copy(Corpus("tls13/openssl/untrusted-root.pcap.keys"), keys);
                var (code, found, err) = Run(null, "analyze", capture, "--truststore", RepoPaths.Capture("truststores/unrelated-root.pem"), "--format", "json");
                Assert.AreEqual(0, code, err);
                Assert.AreEqual($"pcaptls: using key log {keys} (found next to {capture})", err.TrimEnd(), name);
                CollectionAssert.AreEqual(Handshakes(withKeylog), Handshakes(found), name);
                File.Delete(keys);
            }

            // Given with --keylog as well: read once, said nothing.
            File.Copy(Corpus("tls13/openssl/untrusted-root.pcap.keys"), Path.Combine(dir, "mp01.keys"));
            var (g, given, ge) = Run(null, "analyze", capture, "--keylog", Path.Combine(dir, "mp01.keys"), "--truststore", RepoPaths.Capture("truststores/unrelated-root.pem"), "--format", "json");
            Assert.AreEqual(0, g, ge);
            Assert.AreEqual("", ge);
            CollectionAssert.AreEqual(Handshakes(withKeylog), Handshakes(given));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void ADirectoryWithACaptureItsKeyLogAndAnSslKeyLogFileReadsTheCaptureWithBothKeyLogs()
    {
        var dir = TempDir();
        try
        {
            File.Copy(Corpus("tls13/openssl/untrusted-root.pcap"), Path.Combine(dir, "mp01.pcap"));
            File.Copy(Corpus("tls13/openssl/untrusted-root.pcap.keys"), Path.Combine(dir, "mp01.pcap.keys"));
            File.Copy(Corpus("tls13/openssl/untrusted-root.pcap.keys"), Path.Combine(dir, "sslkeylog.log"));
            var withKeylog = AnalyzedWithItsKeyLog();

            var (code, found, err) = Run(null, "analyze", dir, "--truststore", RepoPaths.Capture("truststores/unrelated-root.pem"), "--format", "json");

            Assert.AreEqual(0, code, err);
            var said = err.TrimEnd().Split('\n');
            Assert.HasCount(2, said, err);
            Assert.AreEqual($"pcaptls: using key log {Path.Combine(dir, "mp01.pcap.keys")} (found next to {Path.Combine(dir, "mp01.pcap")})", said[0]);
            Assert.AreEqual($"pcaptls: using key log {Path.Combine(dir, "sslkeylog.log")} (found in the directory {dir})", said[1]);
            CollectionAssert.AreEqual(Handshakes(withKeylog), Handshakes(found));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void AnSslKeyLogFileInTheDirectoryIsUsedAndItsMalformedLinesSaid()
    {
        var dir = TempDir();
        try
        {
            File.Copy(Corpus("tls13/openssl/untrusted-root.pcap"), Path.Combine(dir, "mp01.pcap"));
            var keys = Path.Combine(dir, "sslkeylog.log");
            File.WriteAllText(keys, "CLIENT_RANDOM not-hex\n" + File.ReadAllText(Corpus("tls13/openssl/untrusted-root.pcap.keys")));
            var withKeylog = AnalyzedWithItsKeyLog();

            var (code, found, err) = Run(null, "analyze", dir, "--truststore", RepoPaths.Capture("truststores/unrelated-root.pem"), "--format", "json");

            Assert.AreEqual(0, code, err);
            var said = err.TrimEnd().Split('\n');
            Assert.AreEqual($"pcaptls: using key log {keys} (found in the directory {dir})", said[0]);
            Assert.HasCount(2, said, err);
            StringAssert.StartsWith(said[1], $"pcaptls: warning: {keys}:1: ");
            CollectionAssert.AreEqual(Handshakes(withKeylog), Handshakes(found), "the good lines still decrypt");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void AKeyLogInsideAZipIsUsedForItsCaptures()
    {
        var dir = TempDir();
        try
        {
            var zip = Path.Combine(dir, "case-4711.zip");
            using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            {
                archive.CreateEntryFromFile(Corpus("tls13/openssl/untrusted-root.pcap"), "mp01/capture.pcap");
                archive.CreateEntryFromFile(Corpus("tls13/openssl/untrusted-root.pcap.keys"), "mp01/sslkeylog.keys");
            }
            var withKeylog = AnalyzedWithItsKeyLog();

            var (code, found, err) = Run(null, "analyze", zip, "--truststore", RepoPaths.Capture("truststores/unrelated-root.pem"), "--format", "json");
            Assert.AreEqual(0, code, err);
            Assert.AreEqual($"pcaptls: using key log {zip}/mp01/sslkeylog.keys (found in the archive)", err.TrimEnd());
            CollectionAssert.AreEqual(Handshakes(withKeylog), Handshakes(found));

            var (n, without, ne) = Run(null, "analyze", zip, "--truststore", RepoPaths.Capture("truststores/unrelated-root.pem"), "--format", "json", "--no-keylog-search");
            Assert.AreEqual(0, n, ne);
            Assert.AreEqual("", ne);
            CollectionAssert.AreNotEqual(Handshakes(withKeylog), Handshakes(without), "--no-keylog-search leaves it out");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    [DataRow("tls12/java/untrusted-root.pcap")]
    [DataRow("tls13/openssl/untrusted-root.pcap")]
    public void StandardInputReportsThePlainFilesHandshakes(string relative)
    {
        var path = Corpus(relative);
        var (code, plain, err) = Run(null, Args("analyze", path));
        Assert.AreEqual(0, code, err);
        var (pipeCode, piped, pipeErr) = Run(() => File.OpenRead(path), Args("analyze", "-"));
        Assert.AreEqual(0, pipeCode, pipeErr);
        CollectionAssert.AreEqual(Handshakes(plain), Handshakes(piped));
        Assert.AreEqual(plain.Replace(JsonEncodedText.Encode(path).ToString(), "-", StringComparison.Ordinal), piped);
    }

    [TestMethod]
    public void WritePcapFromAPipeIsAUsageError()
    {
        var path = Corpus("tls12/java/untrusted-root.pcap");
        var (code, _, err) = Run(() => File.OpenRead(path), "analyze", "-", "--write-pcap", Path.Combine(Path.GetTempPath(), "never.pcap"));
        Assert.AreEqual((int)ExitCode.Usage, code, err);
        Assert.AreEqual("pcaptls: --write-pcap reads the capture a second time: give a file, not standard input", err.TrimEnd());
    }

    [TestMethod]
    public void ARotatedSetSplitInTheHandshakeReportsTheUnsplitAnswer()
    {
        var editcap = Requires.Tool("editcap");
        var dir = TempDir();
        try
        {
            var path = Corpus("tls12/java/untrusted-root.pcap");
            Assert.AreEqual(0, Requires.Run(editcap, "-F", "pcap", "-c", "5", path, Path.Combine(dir, "ring.pcap")).ExitCode);
            var (code, plain, err) = Run(null, Args("analyze", path));
            Assert.AreEqual(0, code, err);
            foreach (var given in new[] { dir, Path.Combine(dir, "ring*.pcap") })
            {
                var (c, merged, e) = Run(null, Args("analyze", given));
                Assert.AreEqual(0, c, e);
                CollectionAssert.AreEqual(Handshakes(plain), Handshakes(merged));
                StringAssert.Contains(merged, "\"startFilePacket\": \"ring_00000_");
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void AZstdCaptureReportsThePlainFilesHandshakes()
    {
        var zstd = Requires.Tool("zstd");
        var dir = TempDir();
        try
        {
            var path = Corpus("tls12/java/untrusted-root.pcap");
            var compressed = Path.Combine(dir, "c.pcap.zst");
            Assert.AreEqual(0, Requires.Run("/bin/sh", "-c", $"'{zstd}' -q -c '{path}' > '{compressed}'").ExitCode);
            var (code, plain, err) = Run(null, Args("analyze", path));
            Assert.AreEqual(0, code, err);
            var (c, z, e) = Run(null, Args("analyze", compressed));
            Assert.AreEqual(0, c, e);
            CollectionAssert.AreEqual(Handshakes(plain), Handshakes(z));
            StringAssert.Contains(z, "\"format\": \"pcap.zst\"");
            // The same through a pipe.
            var (p, piped, pe) = Run(() => File.OpenRead(compressed), Args("analyze", "-"));
            Assert.AreEqual(0, p, pe);
            CollectionAssert.AreEqual(Handshakes(plain), Handshakes(piped));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void AHostileOrBrokenInputIsOneLineAndExitCode3()
    {
        var dir = TempDir();
        try
        {
            var notZstd = Path.Combine(dir, "bad.zst");
            File.WriteAllBytes(notZstd, [0x28, 0xB5, 0x2F, 0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01]);
            var (code, _, err) = Run(null, "analyze", notZstd);
            Assert.AreEqual((int)ExitCode.InputError, code, err);
            Assert.AreEqual(1, err.TrimEnd().Split('\n').Length, err);
            StringAssert.StartsWith(err, $"pcaptls: {notZstd}: ");
            var (empty, _, emptyErr) = Run(() => new MemoryStream(), "analyze", "-");
            Assert.AreEqual((int)ExitCode.InputError, empty, emptyErr);
            Assert.AreEqual("pcaptls: -: the stream is empty (no capture arrived)", emptyErr.TrimEnd());
            var (mixed, _, mixedErr) = Run(() => new MemoryStream(), "analyze", "-", notZstd);
            Assert.AreEqual((int)ExitCode.Usage, mixed, mixedErr);
            var (none, _, noneErr) = Run(null, "analyze", Path.Combine(dir, "nothing*.pcap"));
            Assert.AreEqual((int)ExitCode.InputError, none, noneErr);
            Assert.AreEqual($"pcaptls: {Path.Combine(dir, "nothing*.pcap")}: no file matches", noneErr.TrimEnd());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void APcapngDecryptionSecretsBlockDecryptsAsTheKeyLogDoes()
    {
        var editcap = Requires.Tool("editcap");
        var dir = TempDir();
        try
        {
            var path = Corpus("tls13/openssl/untrusted-root.pcap");
            var keys = path + ".keys";
            var withSecrets = Path.Combine(dir, "with-secrets.pcapng");
            var (ec, _, ee) = Requires.Run(editcap, "--inject-secrets", $"tls,{keys}", path, withSecrets);
            Assert.AreEqual(0, ec, ee);
            var (code, withKeylog, err) = Run(null, Args("analyze", path, "--keylog", keys));
            Assert.AreEqual(0, code, err);
            var (c, embedded, e) = Run(null, Args("analyze", withSecrets));
            Assert.AreEqual(0, c, e);
            var (n, without, ne) = Run(null, Args("analyze", path));
            Assert.AreEqual(0, n, ne);
            CollectionAssert.AreEqual(Handshakes(withKeylog), Handshakes(embedded));
            CollectionAssert.AreNotEqual(Handshakes(without), Handshakes(embedded), "the key log changes what is seen (the chain)");
            StringAssert.Contains(embedded, "key log matched (from with-secrets.pcapng, Decryption Secrets Block 1)");
            // Both: the secrets the block and the file share are taken from the file given first (--keylog).
            var (b, both, be) = Run(null, Args("analyze", withSecrets, "--keylog", keys));
            Assert.AreEqual(0, b, be);
            CollectionAssert.AreEqual(Handshakes(withKeylog), Handshakes(both));
            Assert.IsTrue(KeyLogFrom().IsMatch(both), both);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [GeneratedRegex("key log matched \\(from [^)]*untrusted-root\\.pcap\\.keys\\)")]
    private static partial Regex KeyLogFrom();
}
