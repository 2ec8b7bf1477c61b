using System.IO.Compression;
using System.Text.Json;
using PcapTls.Capture.Inputs;
using PcapTls.Testing;

namespace PcapTls.Cli.Tests;

/// <summary>
/// Archives of captures (.zip by zip(1), .tar and .tar.gz/.tar.zst by GNU tar) are read in place and give the
/// handshakes of the plain files; hostile archives (path traversal, bombs, nesting, no capture, cut short) are
/// one line and exit code 3.
/// </summary>
[TestClass]
public sealed class ArchiveTests
{
    private static readonly string[] Plain =
    [
        RepoPaths.Capture("tls12/java/untrusted-root.pcap"), RepoPaths.Capture("tls12/openssl/wrong-host.pcap"),
    ];

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Json(params string[] first) =>
        ["analyze", .. first, "--truststore", RepoPaths.Capture("truststores/unrelated-root.pem"), "--format", "json"];

    /// <summary>Each handshake's client, server, SNI, outcome and cause codes.</summary>
    private static List<string> Handshakes(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.GetProperty("handshakes").EnumerateArray().Select(h =>
            $"{h.GetProperty("client")} {h.GetProperty("server")} {h.GetProperty("sni")} {h.GetProperty("outcome")} " +
            string.Join(",", h.GetProperty("causes").EnumerateArray().Select(c => c.GetProperty("code").GetString())))];
    }

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pcaptls-archive-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>mp01/capture.pcap and mp02/capture.pcap.gz (a compressed capture inside the archive), and a note.</summary>
    private static string Tree(string dir)
    {
        var tree = Path.Combine(dir, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "mp01"));
        Directory.CreateDirectory(Path.Combine(tree, "mp02"));
        File.Copy(Plain[0], Path.Combine(tree, "mp01", "capture.pcap"));
        using (var gz = new GZipStream(File.Create(Path.Combine(tree, "mp02", "capture.pcap.gz")), CompressionLevel.Optimal))
        using (var src = File.OpenRead(Plain[1]))
        {
            src.CopyTo(gz);
        }
        File.WriteAllText(Path.Combine(tree, "README.txt"), "captures from two message processors\n");
        return tree;
    }

    private static void Expect3(string archive, string message)
    {
        var (code, _, err) = Run(Json(archive));
        Assert.AreEqual((int)ExitCode.InputError, code, err);
        Assert.AreEqual(1, err.TrimEnd().Split('\n').Length, err);
        Assert.AreEqual($"pcaptls: {archive}: {message}", err.TrimEnd());
    }

    [TestMethod]
    public void ZipTarAndCompressedTarGiveThePlainFilesHandshakes()
    {
        var zip = Requires.Tool("zip");
        var tar = Requires.Tool("tar");
        var dir = TempDir();
        try
        {
            var tree = Tree(dir);
            var (pc, plain, pe) = Run(Json(Plain));
            Assert.AreEqual(0, pc, pe);
            var archives = new List<string> { Path.Combine(dir, "c.zip"), Path.Combine(dir, "c.tar"), Path.Combine(dir, "c.tar.gz") };
            Assert.AreEqual(0, Requires.Run("/bin/sh", "-c", $"cd '{tree}' && '{zip}' -q -r '{archives[0]}' .").ExitCode);
            Assert.AreEqual(0, Requires.Run(tar, "-C", tree, "-cf", archives[1], ".").ExitCode);
            Assert.AreEqual(0, Requires.Run(tar, "-C", tree, "-czf", archives[2], ".").ExitCode);
            if (Requires.Find("zstd") is not null)
            {
                archives.Add(Path.Combine(dir, "c.tar.zst"));
                Assert.AreEqual(0, Requires.Run(tar, "-C", tree, "--zstd", "-cf", archives[^1], ".").ExitCode);
            }
            foreach (var archive in archives)
            {
                var (code, json, err) = Run(Json(archive));
                Assert.AreEqual(0, code, $"{archive}: {err}");
                CollectionAssert.AreEquivalent(Handshakes(plain), Handshakes(json), archive);
                using var doc = JsonDocument.Parse(json);
                var names = doc.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToList();
                // Named without their folders: the two names differ.
                CollectionAssert.AreEquivalent(new[] { "capture.pcap", "capture.pcap.gz" }, names, archive);
                Assert.IsTrue(json.Contains("\"filePacket\": \"capture.pcap#8\"", StringComparison.Ordinal), archive);
            }
            // A directory holding an archive reads the archive's captures too.
            var holder = Path.Combine(dir, "holder");
            Directory.CreateDirectory(holder);
            File.Copy(archives[0], Path.Combine(holder, "c.zip"));
            var (hc, held, he) = Run(Json(holder));
            Assert.AreEqual(0, hc, he);
            CollectionAssert.AreEquivalent(Handshakes(plain), Handshakes(held));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void APathTraversalNameIsRefused()
    {
        var dir = TempDir();
        try
        {
            var archive = Path.Combine(dir, "evil.zip");
            using (var z = ZipFile.Open(archive, ZipArchiveMode.Create))
            {
                z.CreateEntryFromFile(Plain[0], "../../etc/cron.d/capture.pcap");
            }
            Expect3(archive, "entry '../../etc/cron.d/capture.pcap' points outside the archive (path traversal): refused");
            var absolute = Path.Combine(dir, "absolute.zip");
            using (var z = ZipFile.Open(absolute, ZipArchiveMode.Create))
            {
                z.CreateEntryFromFile(Plain[0], "/tmp/capture.pcap");
            }
            Expect3(absolute, "entry '/tmp/capture.pcap' points outside the archive (path traversal): refused");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void AZipBombAndATarBombAreRefused()
    {
        var dir = TempDir();
        try
        {
            // 64 MiB of zeros deflate to ~64 KB: a ratio of ~1000, over the limit; nothing is inflated to disk.
            var zeros = new byte[64 << 20];
            var bomb = Path.Combine(dir, "bomb.zip");
            using (var z = ZipFile.Open(bomb, ZipArchiveMode.Create))
            {
                using var s = z.CreateEntry("capture.pcap", CompressionLevel.SmallestSize).Open();
                s.Write(zeros);
            }
            var (code, _, err) = Run(Json(bomb));
            Assert.AreEqual((int)ExitCode.InputError, code, err);
            StringAssert.StartsWith(err, $"pcaptls: {bomb}: entry 'capture.pcap' inflates to 67108864 bytes from ");
            StringAssert.EndsWith(err.TrimEnd(), $"(over {CaptureArchive.MaxCompressionRatio:0}x: a zip bomb?): refused");

            var tar = Requires.Tool("tar");
            var tree = Path.Combine(dir, "tree");
            Directory.CreateDirectory(tree);
            File.Copy(Plain[0], Path.Combine(tree, "a.pcap"));
            File.WriteAllBytes(Path.Combine(tree, "zeros.bin"), zeros);
            var tgz = Path.Combine(dir, "bomb.tar.gz");
            Assert.AreEqual(0, Requires.Run(tar, "-C", tree, "-czf", tgz, "a.pcap", "zeros.bin").ExitCode);
            var (tc, _, te) = Run(Json(tgz));
            Assert.AreEqual((int)ExitCode.InputError, tc, te);
            StringAssert.StartsWith(te, $"pcaptls: {tgz}: the tar inflates to over ");
            StringAssert.EndsWith(te.TrimEnd(), "a compression bomb?): refused");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void NestedArchivesAnArchiveWithoutCapturesAndACutTarAreOneLine()
    {
        var dir = TempDir();
        try
        {
            var inner = Path.Combine(dir, "inner.zip");
            using (var z = ZipFile.Open(inner, ZipArchiveMode.Create))
            {
                z.CreateEntryFromFile(Plain[0], "capture.pcap");
            }
            var outer = Path.Combine(dir, "outer.zip");
            using (var z = ZipFile.Open(outer, ZipArchiveMode.Create))
            {
                z.CreateEntryFromFile(inner, "inner.zip");
            }
            Expect3(outer, "holds no capture, only archives inside it (inner.zip (an archive inside the archive)): nested archives are not read; extract the inner one first");

            var notes = Path.Combine(dir, "notes.zip");
            using (var z = ZipFile.Open(notes, ZipArchiveMode.Create))
            {
                using var w = new StreamWriter(z.CreateEntry("README.txt").Open());
                w.Write("no capture here");
            }
            Expect3(notes, "holds no capture (1 other entries, e.g. README.txt)");

            var tar = Requires.Tool("tar");
            var tree = Path.Combine(dir, "tree");
            Directory.CreateDirectory(tree);
            File.Copy(Plain[0], Path.Combine(tree, "a.pcap"));
            var whole = Path.Combine(dir, "whole.tar");
            Assert.AreEqual(0, Requires.Run(tar, "-C", tree, "-cf", whole, "a.pcap").ExitCode);
            var cut = Path.Combine(dir, "cut.tar");
            File.WriteAllBytes(cut, File.ReadAllBytes(whole)[..1000]);
            Expect3(cut, "the tar ends inside an entry (cut short)");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
