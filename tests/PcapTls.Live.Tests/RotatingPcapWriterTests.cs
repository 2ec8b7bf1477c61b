using PcapTls.Capture;

namespace PcapTls.Live.Tests;

[TestClass]
public sealed class RotatingPcapWriterTests
{
    public TestContext TestContext { get; set; } = null!;

    private string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pcaptls-live-tests", TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    [TestMethod]
    public void RotatesBySizeAndEveryFileReadsBack()
    {
        var dir = NewDirectory();
        var path = Path.Combine(dir, "all.pcap");
        var frame = Frames.Tcp(1, 40000, 2, 443, Frames.Ack, 46); // 100 bytes
        Assert.HasCount(100, frame);
        // File header 24 + three records of 16 + 100: three frames per file.
        using (var writer = new RotatingPcapWriter(path, LinkType.Ethernet, nanosecond: true, snapLength: 262_144, rotateBytes: 24 + 3 * 116))
        {
            for (var n = 1; n <= 10; n++)
            {
                writer.Write(Frames.Packet(n, frame));
            }
            writer.Complete();
            CollectionAssert.AreEqual(new[] { path, path + ".1", path + ".2", path + ".3" }, writer.CompletedFiles.ToList());
        }

        var seconds = new[] { path, path + ".1", path + ".2", path + ".3" }.Select(f => Frames.ReadBack(f)).ToList();
        CollectionAssert.AreEqual(new long[] { 1, 2, 3 }, seconds[0].Seconds);
        CollectionAssert.AreEqual(new long[] { 10 }, seconds[3].Seconds);
        Assert.IsTrue(seconds.All(s => s.Anomalies == 0));
        Assert.AreEqual(4, Directory.GetFiles(dir).Length, "no temporary file is left");
    }

    [TestMethod]
    public void KeepFilesDeletesTheOldestAsNewOnesStart()
    {
        var dir = NewDirectory();
        var path = Path.Combine(dir, "ring.pcap");
        var frame = Frames.Tcp(1, 40000, 2, 443, Frames.Ack, 46); // 100 bytes
        // Three frames per file, at most two files on disk.
        using (var writer = new RotatingPcapWriter(path, LinkType.Ethernet, nanosecond: true, snapLength: 262_144, rotateBytes: 24 + 3 * 116, keepFiles: 2))
        {
            for (var n = 1; n <= 10; n++)
            {
                writer.Write(Frames.Packet(n, frame));
                Assert.IsLessThanOrEqualTo(2, Directory.GetFiles(dir).Length, $"after frame {n}");
            }
            writer.Complete();
            CollectionAssert.AreEqual(new[] { path + ".2", path + ".3" }, writer.CompletedFiles.ToList());
            Assert.AreEqual(2, writer.DeletedFiles);
        }
        CollectionAssert.AreEquivalent(new[] { path + ".2", path + ".3" }, Directory.GetFiles(dir));
        // The newest frames are the ones kept.
        CollectionAssert.AreEqual(new long[] { 7, 8, 9 }, Frames.ReadBack(path + ".2").Seconds);
        CollectionAssert.AreEqual(new long[] { 10 }, Frames.ReadBack(path + ".3").Seconds);
    }

    [TestMethod]
    public void WithoutRotationOneFileHoldsEverything()
    {
        var dir = NewDirectory();
        var path = Path.Combine(dir, "all.pcap");
        using (var writer = new RotatingPcapWriter(path, LinkType.Ethernet, nanosecond: false, snapLength: 262_144, rotateBytes: 0))
        {
            for (var n = 1; n <= 50; n++)
            {
                writer.Write(Frames.Packet(n, Frames.Tcp(1, 40000, 2, 443, Frames.Ack, 1000)));
            }
            writer.Complete();
        }

        Assert.HasCount(50, Frames.ReadBack(path).Seconds);
        Assert.HasCount(1, Directory.GetFiles(dir));
    }

    [TestMethod]
    public void AnUnfinishedFileNeverAppearsUnderItsFinalName()
    {
        var dir = NewDirectory();
        var path = Path.Combine(dir, "all.pcap");
        using (var writer = new RotatingPcapWriter(path, LinkType.Ethernet, nanosecond: true, snapLength: 262_144, rotateBytes: 24 + 116))
        {
            writer.Write(Frames.Packet(1, Frames.Tcp(1, 40000, 2, 443, Frames.Ack, 46)));
            writer.Write(Frames.Packet(2, Frames.Tcp(1, 40000, 2, 443, Frames.Ack, 46)));
            // Disposed without Complete (a crash): the finished first file stays, the second disappears.
        }

        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(dir).ToList());
        Assert.HasCount(1, Frames.ReadBack(path).Seconds);
    }

    [TestMethod]
    public void ANextFileRequestCompletesTheCurrentFileWithoutWaitingForAFrame()
    {
        var dir = NewDirectory();
        var path = Path.Combine(dir, "all.pcap");
        var frame = Frames.Tcp(1, 40000, 2, 443, Frames.Ack, 46);
        using var writer = new RotatingPcapWriter(path, LinkType.Ethernet, nanosecond: true, snapLength: 262_144, rotateBytes: 0);
        writer.ServiceRequests();
        for (var n = 1; n <= 3; n++)
        {
            writer.Write(Frames.Packet(n, frame));
        }
        Assert.IsFalse(File.Exists(path), "still being written");

        // SIGHUP on a quiet interface: the file is complete at once, under its final name.
        writer.RequestNextFile();
        writer.ServiceRequests();
        CollectionAssert.AreEqual(new long[] { 1, 2, 3 }, Frames.ReadBack(path).Seconds);
        writer.ServiceRequests();
        writer.Write(Frames.Packet(4, frame));
        writer.RequestNextFile();
        writer.Write(Frames.Packet(5, frame));
        writer.Complete();

        CollectionAssert.AreEqual(new[] { path, path + ".1", path + ".2" }, writer.CompletedFiles.ToList());
        CollectionAssert.AreEqual(new long[] { 4 }, Frames.ReadBack(path + ".1").Seconds);
        CollectionAssert.AreEqual(new long[] { 5 }, Frames.ReadBack(path + ".2").Seconds);
        Assert.AreEqual(5, writer.FramesWritten);
    }

    [TestMethod]
    public void AFailedWriteLosesThatFileCountsItsFramesAndTheCaptureGoesOn()
    {
        var dir = NewDirectory();
        var path = Path.Combine(dir, "all.pcap");
        var frame = Frames.Tcp(1, 40000, 2, 443, Frames.Ack, 46); // 100 bytes
        var problems = new List<string>();
        using var writer = new RotatingPcapWriter(path, LinkType.Ethernet, nanosecond: true, snapLength: 262_144, rotateBytes: 24 + 3 * 116);
        writer.Problem += problems.Add;
        for (var n = 1; n <= 3; n++)
        {
            writer.Write(Frames.Packet(n, frame));
        }
        // The folder goes away under the open file (a full disk fails the same way: at the next write or rename).
        Directory.Delete(dir, recursive: true);
        writer.Write(Frames.Packet(4, frame));

        Assert.AreEqual(1, writer.WriteErrors);
        Assert.AreEqual(4, writer.FramesNotWritten, "the lost file's three frames and the fourth");
        Assert.AreEqual(0, writer.FramesWritten);
        Assert.HasCount(1, problems);
        StringAssert.StartsWith(problems[0], "cannot write " + path);
        // Until the retry time (capture time: frame n is at n seconds) frames are counted, not written.
        var retry = (long)RotatingPcapWriter.RetryAfter.TotalSeconds;
        for (var n = 5; n < 4 + retry; n++)
        {
            writer.Write(Frames.Packet(n, frame));
        }
        Assert.AreEqual(4 + retry - 5 + 4, writer.FramesNotWritten);
        Directory.CreateDirectory(dir);
        writer.Write(Frames.Packet(4 + retry, frame));
        writer.Write(Frames.Packet(5 + retry, frame));
        writer.Complete();

        Assert.HasCount(2, problems);
        StringAssert.StartsWith(problems[1], "writing " + path + " again after 1 failed write(s)");
        CollectionAssert.AreEqual(new[] { path }, writer.CompletedFiles.ToList(), "the lost file's name is used again");
        CollectionAssert.AreEqual(new long[] { 4 + retry, 5 + retry }, Frames.ReadBack(path).Seconds);
        Assert.AreEqual(2, writer.FramesWritten);
    }
}
