using System.Text.Json;
using PcapTls.Capture;
using PcapTls.Testing;

namespace PcapTls.Cli.Tests;

/// <summary>
/// A capture given as several files names each packet by its file and the file's own frame number (what the user
/// opens in Wireshark) in the text, the JSON and the CSV, and summarises each file; files from different hosts
/// (no handshake continues from one into another) are summarised side by side.
/// </summary>
[TestClass]
public sealed class ManyFilesTests
{
    private static readonly string Plain = RepoPaths.Capture("tls12/java/untrusted-root.pcap");

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Args(string format, params string[] first) =>
        ["analyze", .. first, "--truststore", RepoPaths.Capture("truststores/unrelated-root.pem"), "--format", format];

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pcaptls-many-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Writes the frames of <paramref name="source"/> into files of <paramref name="perFile"/> frames, named
    /// as tcpdump -C names them (cap.pcap, cap.pcap1, cap.pcap2, ...).</summary>
    private static List<string> Split(string source, int perFile, string dir)
    {
        var frames = new List<(long Time, byte[] Data, int Length)>();
        CaptureFileReader.Open(source).Read(new Collector(frames));
        var files = new List<string>();
        for (var i = 0; i * perFile < frames.Count; i++)
        {
            var path = Path.Combine(dir, i == 0 ? "cap.pcap" : $"cap.pcap{i}");
            using (var w = new PcapFileWriter(path, LinkType.Ethernet, nanosecond: true))
            {
                foreach (var f in frames.Skip(i * perFile).Take(perFile))
                {
                    w.Write(f.Time, f.Data, f.Length);
                }
                w.Complete();
            }
            files.Add(path);
        }
        return files;
    }

    private sealed class Collector(List<(long, byte[], int)> frames) : IPacketHandler
    {
        public void OnPacket(in RawPacket packet) => frames.Add((packet.TimestampNanos, packet.Data.ToArray(), packet.OriginalLength));
    }

    [TestMethod]
    public void ARotatedSetNamesEachPacketByItsFileEverywhere()
    {
        var dir = TempDir();
        try
        {
            // 13 frames in files of 5: the ClientHello (#4) in cap.pcap, the Certificate (#6) and the alert (#8) in
            // cap.pcap1 (its frames 1 and 3), the client's FIN (#12) in cap.pcap2 (its frame 2).
            Split(Plain, 5, dir);
            var (code, text, err) = Run(Args("console", Path.Combine(dir, "cap.pcap*")));
            Assert.AreEqual(0, code, err);
            StringAssert.Contains(text, "    cap.pcap#4   ");
            StringAssert.Contains(text, "client -> server  ClientHello");
            StringAssert.Contains(text, "    cap.pcap1#3  ");
            StringAssert.Contains(text, "evidence: ClientHello cap.pcap#4 (SNI backend.pcaptls.test); Certificate cap.pcap1#1: 2 certificate(s)");
            StringAssert.Contains(text, "client alert certificate_unknown (46) cap.pcap1#3; server FIN cap.pcap1#5, client FIN cap.pcap2#2");
            StringAssert.Contains(text, "Files (3): merged in time order; handshakes continue from one file into another");
            Assert.IsFalse(text.Contains("    #4 ", StringComparison.Ordinal), "no merged number is left on the ladder");

            var (jc, json, je) = Run(Args("json", dir));
            Assert.AreEqual(0, jc, je);
            using var doc = JsonDocument.Parse(json);
            var files = doc.RootElement.GetProperty("files");
            Assert.AreEqual(3, files.GetArrayLength());
            CollectionAssert.AreEqual(new long[] { 5, 5, 3 }, files.EnumerateArray().Select(f => f.GetProperty("packets").GetInt64()).ToArray());
            Assert.IsTrue(files[0].GetProperty("sharesConnections").GetBoolean());
            Assert.AreEqual(1, files[0].GetProperty("handshakes").GetInt32());
            var h = doc.RootElement.GetProperty("handshakes")[0];
            Assert.AreEqual("cap.pcap", h.GetProperty("file").GetString());
            Assert.AreEqual("cap.pcap#4", h.GetProperty("startFilePacket").GetString());
            Assert.AreEqual(4, h.GetProperty("startPacket").GetInt64(), "the merged number stays beside it");
            Assert.AreEqual("cap.pcap1#3", h.GetProperty("alerts")[0].GetProperty("filePacket").GetString());
            Assert.AreEqual("cap.pcap2#2", h.GetProperty("teardown")[1].GetProperty("filePacket").GetString());
            CollectionAssert.AreEqual(
                new[] { "cap.pcap#1", "cap.pcap#2", "cap.pcap#4", "cap.pcap1#1", "cap.pcap1#3", "cap.pcap1#5", "cap.pcap2#2" },
                h.GetProperty("ladder").EnumerateArray().Select(s => s.GetProperty("filePacket").GetString()).ToArray());

            var (cc, csv, ce) = Run(Args("csv", dir));
            Assert.AreEqual(0, cc, ce);
            var lines = csv.TrimEnd().Split('\n');
            StringAssert.EndsWith(lines[0], ",fix,file,startFilePacket");
            StringAssert.EndsWith(lines[1], ",cap.pcap,cap.pcap#4");
            StringAssert.Contains(lines[1], "client fatal certificate_unknown cap.pcap1#3");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void FilesFromDifferentHostsAreSummarisedSideBySide()
    {
        var dir = TempDir();
        try
        {
            // Two Message Processors' captures, both named capture.pcap: named by their folders.
            Directory.CreateDirectory(Path.Combine(dir, "mp01"));
            Directory.CreateDirectory(Path.Combine(dir, "mp02"));
            File.Copy(Plain, Path.Combine(dir, "mp01", "capture.pcap"));
            File.Copy(RepoPaths.Capture("tls12/openssl/wrong-host.pcap"), Path.Combine(dir, "mp02", "capture.pcap"));
            var (code, text, err) = Run(Args("console", Path.Combine(dir, "mp01", "capture.pcap"), Path.Combine(dir, "mp02", "capture.pcap")));
            Assert.AreEqual(0, code, err);
            StringAssert.Contains(text, "Files (2): merged in time order; no handshake continues from one file into another, so each file's summary stands alone");
            var rows = text.Split('\n').Where(l => l.StartsWith("  mp0", StringComparison.Ordinal)).ToList();
            Assert.AreEqual(2, rows.Count, text);
            StringAssert.Matches(rows[0], new System.Text.RegularExpressions.Regex(@"^  mp01/capture\.pcap +pcap +13 .* 1 +1 +truststore-missing-anchor$"));
            StringAssert.Matches(rows[1], new System.Text.RegularExpressions.Regex(@"^  mp02/capture\.pcap +pcap +12 .* 1 +1 +truststore-missing-anchor,hostname-mismatch$"));
            StringAssert.Contains(text, "#  FILE               CLIENT");
            StringAssert.Contains(text, "    mp01/capture.pcap#8   ");

            var (jc, json, je) = Run(Args("json", Path.Combine(dir, "mp01", "capture.pcap"), Path.Combine(dir, "mp02", "capture.pcap")));
            Assert.AreEqual(0, jc, je);
            using var doc = JsonDocument.Parse(json);
            Assert.IsTrue(doc.RootElement.GetProperty("files").EnumerateArray().All(f => !f.GetProperty("sharesConnections").GetBoolean()));
            CollectionAssert.AreEquivalent(new[] { "mp01/capture.pcap", "mp02/capture.pcap" },
                doc.RootElement.GetProperty("handshakes").EnumerateArray().Select(h => h.GetProperty("file").GetString()).ToArray());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void OneFileKeepsPlainPacketNumbersAndNoFilesSection()
    {
        var (code, json, err) = Run(Args("json", Plain));
        Assert.AreEqual(0, code, err);
        using var doc = JsonDocument.Parse(json);
        Assert.IsFalse(doc.RootElement.TryGetProperty("files", out _));
        Assert.IsFalse(json.Contains("filePacket", StringComparison.Ordinal));
        var (tc, text, te) = Run(Args("console", Plain));
        Assert.AreEqual(0, tc, te);
        StringAssert.Contains(text, "    #4   00:29:52.261421  client -> server  ClientHello");
        Assert.IsFalse(text.Contains("Files (", StringComparison.Ordinal));
    }
}
