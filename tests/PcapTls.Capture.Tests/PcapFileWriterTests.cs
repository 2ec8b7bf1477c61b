using PcapTls.Capture;

namespace PcapTls.Capture.Tests;

[TestClass]
public sealed class PcapFileWriterTests
{
    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pcaptls-capture-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void WrittenFramesReadBack(bool nano)
    {
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "out.pcap");
            using (var w = new PcapFileWriter(path, LinkType.LinuxSll2, nano, snapLength: 100))
            {
                w.Write(1_700_000_000_123_456_789L, CaptureFiles.Frame(1, 60), 60);
                w.Write(1_700_000_001_000_000_001L, CaptureFiles.Frame(2, 150), 150);   // cut to the snapshot length
                Assert.IsFalse(File.Exists(path), "nothing at the final path before Complete");
                w.Complete();
            }
            Assert.AreEqual(1, Directory.GetFiles(dir).Length, "no temporary file left behind");

            var reader = CaptureFileReader.Open(path);
            Assert.AreEqual(nano ? CaptureFormat.PcapNanosecond : CaptureFormat.Pcap, reader.Format);
            Assert.AreEqual(100, reader.SnapLength);
            var h = new RecordingHandler();
            reader.Read(h, h);
            Assert.AreEqual(2, h.Packets.Count);
            Assert.AreEqual(0, h.Anomalies.Count);
            Assert.AreEqual(nano ? 1_700_000_000_123_456_789L : 1_700_000_000_123_456_000L, h.Packets[0].Ts);
            Assert.AreEqual(LinkType.LinuxSll2, h.Packets[0].LinkType);
            CollectionAssert.AreEqual(CaptureFiles.Frame(2, 150)[..100], h.Packets[1].Data);
            Assert.AreEqual(150, h.Packets[1].Orig);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void DisposingWithoutCompleteLeavesNothingBehind()
    {
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "out.pcap");
            File.WriteAllText(path, "previous content");
            using (var w = new PcapFileWriter(path, LinkType.Ethernet))
            {
                w.Write(0, CaptureFiles.Frame(1, 60), 60);
            }
            Assert.AreEqual("previous content", File.ReadAllText(path));
            Assert.AreEqual(1, Directory.GetFiles(dir).Length);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void CopiesRawPacketsAndRejectsAnotherLinkType()
    {
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "copy.pcap");
            using var w = new PcapFileWriter(path, LinkType.Ethernet);
            var frame = CaptureFiles.Frame(9, 70);
            w.Write(new RawPacket(1, 5_000, LinkType.Ethernet, frame, 70, 0));
            Assert.ThrowsExactly<ArgumentException>(() => w.Write(new RawPacket(2, 6_000, LinkType.Raw, frame, 70, 0)));
            w.Complete();
            Assert.AreEqual(1, w.PacketsWritten);
            CollectionAssert.AreEqual(frame, RecordingHandler.ReadAll(path).Packets.Single().Data);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void AnUnwritableFolderFailsAtCreation()
    {
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => new PcapFileWriter("/nonexistent-folder-pcaptls/x.pcap", LinkType.Ethernet));
    }
}
