using System.IO.Pipes;
using PcapTls.Capture;
using PcapTls.Capture.Inputs;
using PcapTls.Testing;

namespace PcapTls.Capture.Tests;

/// <summary>
/// The capture inputs besides a plain file: a pipe (read once), compressed files made by the real zstd, xz, bzip2
/// and lz4 tools, and a set of files made by editcap -c (as tcpdump -C rotates) merged back. Each must deliver the
/// frames of the plain file: same count, times, lengths and bytes, in the same order.
/// </summary>
[TestClass]
public sealed class InputsTests
{
    private static string Corpus(string relative) => RepoPaths.Capture(relative);

    private static string Plain => Corpus("tls12/java/untrusted-root.pcap");

    /// <summary>Each frame as (time, length, a hash of its bytes).</summary>
    private sealed class Frames : IPacketHandler
    {
        public readonly List<(long Number, long Time, int Length, int Hash)> All = [];

        public void OnPacket(in RawPacket packet)
        {
            var h = new HashCode();
            h.AddBytes(packet.Data);
            All.Add((packet.Number, packet.TimestampNanos, packet.Data.Length, h.ToHashCode()));
        }
    }

    private static List<(long Number, long Time, int Length, int Hash)> Read(ICaptureInput input, List<CaptureAnomaly>? anomalies = null)
    {
        var frames = new Frames();
        input.Read(frames, anomalies is null ? null : new Sink(anomalies));
        return frames.All;
    }

    private sealed class Sink(List<CaptureAnomaly> list) : ICaptureAnomalySink
    {
        public void Report(in CaptureAnomaly anomaly) => list.Add(anomaly);
    }

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pcaptls-inputs-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    [TestMethod]
    [DataRow("zstd", ".zst", CaptureCompression.Zstd)]
    [DataRow("xz", ".xz", CaptureCompression.Xz)]
    [DataRow("bzip2", ".bz2", CaptureCompression.Bzip2)]
    [DataRow("lz4", ".lz4", CaptureCompression.Lz4)]
    [DataRow("gzip", ".gz", CaptureCompression.Gzip)]
    public void CompressedByTheRealToolGivesThePlainFrames(string tool, string suffix, CaptureCompression kind)
    {
        var exe = Requires.Tool(tool);
        var dir = TempDir();
        try
        {
            var compressed = Path.Combine(dir, "c.pcap" + suffix);
            var (code, _, err) = Requires.Run("/bin/sh", "-c", $"'{exe}' -c '{Plain}' > '{compressed}'");
            Assert.AreEqual(0, code, err);
            var reader = CaptureFileReader.Open(compressed);
            Assert.AreEqual(kind, reader.Compression);
            Assert.AreEqual("pcap" + suffix, reader.FormatName);
            var expected = Read(CaptureFileReader.Open(Plain));
            CollectionAssert.AreEqual(expected, Read(reader));
            Assert.AreEqual(new FileInfo(compressed).Length, reader.BytesRead);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    [DataRow("zstd", ".zst")]
    [DataRow("xz", ".xz")]
    [DataRow("bzip2", ".bz2")]
    [DataRow("lz4", ".lz4")]
    public void ATruncatedCompressedStreamIsOneLineOrAnAnomalyNeverAThrow(string tool, string suffix)
    {
        var exe = Requires.Tool(tool);
        var dir = TempDir();
        try
        {
            // A capture large enough that the cut falls after the header: the frames before it are delivered.
            var big = Corpus("tls13/openssl/ok.pcap");
            var compressed = Path.Combine(dir, "c.pcap" + suffix);
            var (code, _, err) = Requires.Run("/bin/sh", "-c", $"'{exe}' -c '{big}' > '{compressed}'");
            Assert.AreEqual(0, code, err);
            var bytes = File.ReadAllBytes(compressed);
            foreach (var keep in new[] { 40, bytes.Length / 2, bytes.Length - 3 })
            {
                File.WriteAllBytes(compressed, bytes[..keep]);
                try
                {
                    var reader = CaptureFileReader.Open(compressed);
                    var anomalies = new List<CaptureAnomaly>();
                    var frames = Read(reader, anomalies);
                    Assert.IsTrue(anomalies.Count > 0, $"{tool} cut at {keep} of {bytes.Length}: {frames.Count} frames and no anomaly");
                    Assert.IsTrue(anomalies.All(a => a.Kind is CaptureAnomalyKind.CompressedDataCorrupt or CaptureAnomalyKind.TruncatedRecord), string.Join("; ", anomalies));
                }
                catch (CaptureFormatException e)
                {
                    Assert.IsFalse(e.Message.Contains('\n'), e.Message);
                    StringAssert.StartsWith(e.Message, compressed + ": ");
                }
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    [DataRow("tls12/java/untrusted-root.pcap", false)]
    [DataRow("tls12/java/untrusted-root.pcap", true)]
    public void APipeIsReadOnceWithTheFileFrames(string relative, bool gzip)
    {
        var path = Corpus(relative);
        var content = File.ReadAllBytes(path);
        if (gzip)
        {
            using var ms = new MemoryStream();
            using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                gz.Write(content);
            }
            content = ms.ToArray();
        }
        // A real OS pipe: no length, no seek, as 'tcpdump -w - | pcaptls analyze -' gives.
        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
        var writer = Task.Run(() =>
        {
            // Small writes, so the reader sees the stream arrive in pieces.
            for (var i = 0; i < content.Length; i += 100)
            {
                server.Write(content, i, Math.Min(100, content.Length - i));
            }
            server.Dispose();
        });
        Assert.IsFalse(client.CanSeek);
        var reader = CaptureFileReader.Open(CaptureSource.Stream("-", client));
        Assert.IsFalse(reader.CanReadAgain);
        Assert.AreEqual(-1, reader.TotalBytes);
        var frames = Read(reader);
        writer.Wait();
        CollectionAssert.AreEqual(Read(CaptureFileReader.Open(path)), frames);
        Assert.AreEqual(content.Length, reader.BytesRead);
        Assert.ThrowsExactly<CaptureFormatException>(() => Read(reader));
    }

    [TestMethod]
    public void AnEmptyPipeIsOneLine()
    {
        var e = Assert.ThrowsExactly<CaptureFormatException>(() => CaptureFileReader.Open(CaptureSource.Stream("-", new NonSeekable(new MemoryStream()))));
        Assert.AreEqual("-: the stream is empty (no capture arrived)", e.Message);
    }

    [TestMethod]
    public void APipeThatIsNotACaptureWithinTheProbeLimitIsOneLine()
    {
        // Compressed zeros: the decompressor reads far ahead of the probe; the limit stops it.
        using var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(new byte[8 << 20]);
        }
        ms.Position = 0;
        var e = Assert.ThrowsExactly<CaptureFormatException>(() => CaptureFileReader.Open(CaptureSource.Stream("-", new NonSeekable(ms))));
        StringAssert.StartsWith(e.Message, "-: ");
        Assert.IsFalse(e.Message.Contains('\n'), e.Message);
    }

    [TestMethod]
    public void ARotatedSetSplitInsideTheHandshakeMergesBackToThePlainFrames()
    {
        var editcap = Requires.Tool("editcap");
        var dir = TempDir();
        try
        {
            // 5 frames per file: the ClientHello (#4) and the server's flight (#6) land in different files.
            var (code, _, err) = Requires.Run(editcap, "-F", "pcap", "-c", "5", Plain, Path.Combine(dir, "ring.pcap"));
            Assert.AreEqual(0, code, err);
            var files = Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToList();
            Assert.HasCount(3, files);
            // Given in reverse order: the merge goes by time, not by the order of the arguments.
            files.Reverse();
            var merged = new MergedCapture(files.Select(CaptureFileReader.Open).ToList());
            var frames = Read(merged);
            CollectionAssert.AreEqual(Read(CaptureFileReader.Open(Plain)), frames);
            Assert.IsTrue(merged.TryGetOrigin(6, out var file, out var local));
            Assert.AreEqual((1, 1L), (file, local), "frame 6 is the second file's first");
            Assert.AreEqual(Path.GetFileName(files[1]) + "#1", merged.Origin(6));
            Assert.AreEqual(Path.GetFileName(files[0]) + "#3", merged.Origin(13));
            Assert.HasCount(3, merged.Runs);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void FilesFromTwoHostsInterleaveByTime()
    {
        var a = Corpus("tls12/java/untrusted-root.pcap");
        var b = Corpus("tls12/java/ok.pcap");
        var merged = new MergedCapture([CaptureFileReader.Open(a), CaptureFileReader.Open(b)]);
        var frames = Read(merged);
        var expected = Read(CaptureFileReader.Open(a)).Concat(Read(CaptureFileReader.Open(b))).Select(f => (f.Time, f.Length, f.Hash))
            .OrderBy(f => f.Time).ToList();
        CollectionAssert.AreEqual(expected, frames.Select(f => (f.Time, f.Length, f.Hash)).ToList());
        CollectionAssert.AreEqual(Enumerable.Range(1, frames.Count).Select(i => (long)i).ToList(), frames.Select(f => f.Number).ToList());
        Assert.AreEqual(frames.Count, merged.Runs.Sum(r => r.Count));
    }

    private sealed class NonSeekable(Stream inner) : ForwardReadStream
    {
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
    }
}
