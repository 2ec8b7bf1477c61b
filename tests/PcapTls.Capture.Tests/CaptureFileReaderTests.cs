using PcapTls.Capture;
using static PcapTls.Capture.Tests.CaptureFiles;

namespace PcapTls.Capture.Tests;

[TestClass]
public sealed class CaptureFileReaderTests
{
    private readonly List<string> _files = [];

    [TestCleanup]
    public void DeleteFiles()
    {
        foreach (var f in _files) File.Delete(f);
    }

    private string Temp(byte[] bytes, string ext = ".pcap")
    {
        var p = WriteTemp(null, bytes, ext);
        _files.Add(p);
        return p;
    }

    private static readonly byte[] A = Frame(1, 60);
    private static readonly byte[] B = Frame(2, 1514);

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(true, false)]
    [DataRow(false, true)]
    [DataRow(true, true)]
    public void ClassicPcapInEitherByteOrderAndResolution(bool bigEndian, bool nano)
    {
        var bytes = Pcap(bigEndian, nano, 1,
            (1_700_000_000, nano ? 123_456_789u : 123_456u, A, 60),
            (1_700_000_001, 7, B, 1600));
        var path = Temp(bytes);

        var reader = CaptureFileReader.Open(path);
        Assert.AreEqual(nano ? CaptureFormat.PcapNanosecond : CaptureFormat.Pcap, reader.Format);
        Assert.IsFalse(reader.IsGzip);
        CollectionAssert.AreEqual(new[] { LinkType.Ethernet }, reader.LinkTypes.ToArray());
        Assert.AreEqual(65535, reader.SnapLength);

        var h = new RecordingHandler();
        reader.Read(h, h);
        Assert.AreEqual(0, h.Anomalies.Count);
        Assert.AreEqual(2, h.Packets.Count);
        Assert.AreEqual(1, h.Packets[0].Number);
        Assert.AreEqual(2, h.Packets[1].Number);
        Assert.AreEqual(1_700_000_000_123_456_789L - (nano ? 0 : 789), h.Packets[0].Ts);
        Assert.AreEqual(1_700_000_001_000_000_000L + (nano ? 7 : 7000), h.Packets[1].Ts);
        CollectionAssert.AreEqual(A, h.Packets[0].Data);
        CollectionAssert.AreEqual(B, h.Packets[1].Data);
        Assert.AreEqual(1600, h.Packets[1].Orig);
        Assert.AreEqual(LinkType.Ethernet, h.Packets[0].LinkType);
        Assert.AreEqual(2, reader.PacketCount);
        Assert.AreEqual(1, reader.TruncatedPacketCount);
        Assert.AreEqual(bytes.Length, reader.BytesRead);
        Assert.AreEqual(bytes.Length, reader.TotalBytes);
    }

    [TestMethod]
    public void PcapLinkTypeFieldIgnoresFcsBits()
    {
        // network = 0x1000_0001: FCS length 1 (x 16 bits) in bits 28-31, link type 1 (Ethernet) in bits 0-15.
        var reader = CaptureFileReader.Open(Temp(Pcap(false, false, 0x1000_0001, (1, 0, A, 60))));
        CollectionAssert.AreEqual(new[] { LinkType.Ethernet }, reader.LinkTypes.ToArray());
    }

    [TestMethod]
    public void EveryPrefixOfAPcapIsRejectedOrReadWithoutThrowing()
    {
        var bytes = Pcap(false, false, 1, (1, 0, A, 60), (2, 0, Frame(3, 100), 100));
        for (var n = 0; n <= bytes.Length; n++)
        {
            var path = Temp(bytes[..n]);
            if (n < 24)
            {
                Assert.ThrowsExactly<CaptureFormatException>(() => CaptureFileReader.Open(path), $"prefix {n}");
                continue;
            }
            var h = RecordingHandler.ReadAll(path);
            var complete = n >= 24 + 16 + 60 + 16 + 100 ? 2 : n >= 24 + 16 + 60 ? 1 : 0;
            Assert.AreEqual(complete, h.Packets.Count, $"prefix {n}");
            var atBoundary = n == 24 || n == 24 + 16 + 60 || n == bytes.Length;
            Assert.AreEqual(atBoundary ? 0 : 1, h.Anomalies.Count, $"prefix {n}");
            if (!atBoundary)
            {
                Assert.AreEqual(CaptureAnomalyKind.TruncatedRecord, h.Anomalies[0].Kind);
                Assert.AreEqual(complete + 1, h.Anomalies[0].PacketNumber);
            }
        }
    }

    [TestMethod]
    public void ACorruptRecordLengthStopsReadingWithAnAnomaly()
    {
        var good = Pcap(false, false, 1, (1, 0, A, 60));
        var bad = new Bytes(false).Raw(good)
            .U32(2).U32(0).U32(CaptureFileReader.MaxCapturedLength + 1).U32(100) // incl_len beyond the limit
            .Raw(new byte[64]).ToArray();
        var h = RecordingHandler.ReadAll(Temp(bad));
        Assert.AreEqual(1, h.Packets.Count);
        Assert.AreEqual(1, h.Anomalies.Count);
        Assert.AreEqual(CaptureAnomalyKind.RecordLengthInvalid, h.Anomalies[0].Kind);
        Assert.AreEqual(2, h.Anomalies[0].PacketNumber);
    }

    [TestMethod]
    public void ReadingResynchronizesAfterACorruptRecordHeader()
    {
        var good = Pcap(false, false, 1, (100, 0, A, 60));
        var bytes = new Bytes(false).Raw(good)
            .U32(100).U32(1).U32(0x7FFF0000).U32(60).Raw(new byte[37])   // a header whose length is garbage, 37 bytes of debris
            .U32(101).U32(2).U32(60).U32(60).Raw(A)                      // the next plausible record
            .U32(102).U32(3).U32(1514).U32(1514).Raw(B)
            .ToArray();
        var h = RecordingHandler.ReadAll(Temp(bytes));
        CollectionAssert.AreEqual(new long[] { 100_000_000_000, 101_000_002_000, 102_000_003_000 }, h.Packets.Select(p => p.Ts).ToArray());
        var anomaly = h.Anomalies.Single();
        Assert.AreEqual((CaptureAnomalyKind.RecordLengthInvalid, 2L), (anomaly.Kind, anomaly.PacketNumber));
        StringAssert.Contains(anomaly.Detail, "53 corrupt bytes skipped");
    }

    [TestMethod]
    public void ReadsAcrossManyBufferRefills()
    {
        // 6000 frames of 1514 bytes: about 9 MB, more than two read buffers, records straddle the refills.
        var records = Enumerable.Range(0, 6000).Select(i => ((uint)i, 0u, Frame(i, 1514 - i % 7), (uint)(1514 - i % 7))).ToArray();
        var bytes = Pcap(false, false, 1, records);
        Assert.IsTrue(bytes.Length > 2 * CaptureFileReader.ReadBufferSize);
        var h = RecordingHandler.ReadAll(Temp(bytes));
        Assert.AreEqual(6000, h.Packets.Count);
        Assert.AreEqual(0, h.Anomalies.Count);
        for (var i = 0; i < 6000; i += 599)
        {
            CollectionAssert.AreEqual(records[i].Item3, h.Packets[i].Data, $"frame {i + 1}");
            Assert.AreEqual(i * 1_000_000_000L, h.Packets[i].Ts);
        }
    }

    [TestMethod]
    public void GzipCompressedPcapIsReadTransparently()
    {
        var bytes = Pcap(false, true, 1, (1, 5, A, 60), (2, 6, B, 1514));
        var reader = CaptureFileReader.Open(Temp(Gzip(bytes), ".pcap.gz"));
        Assert.IsTrue(reader.IsGzip);
        Assert.AreEqual(CaptureFormat.PcapNanosecond, reader.Format);
        var h = new RecordingHandler();
        reader.Read(h, h);
        Assert.AreEqual(2, h.Packets.Count);
        CollectionAssert.AreEqual(B, h.Packets[1].Data);
        Assert.AreEqual(0, h.Anomalies.Count);
    }

    [TestMethod]
    public void ACutGzipIsAnAnomalyNotAnException()
    {
        var records = Enumerable.Range(0, 200).Select(i => ((uint)i, 0u, Frame(i, 700), 700u)).ToArray();
        var gz = Gzip(Pcap(false, false, 1, records));
        var h = RecordingHandler.ReadAll(Temp(gz[..(gz.Length * 2 / 3)], ".gz"));
        Assert.IsTrue(h.Packets.Count is > 0 and < 200, h.Packets.Count.ToString());
        Assert.AreEqual(1, h.Anomalies.Count);
        Assert.IsTrue(h.Anomalies[0].Kind is CaptureAnomalyKind.CompressedDataCorrupt or CaptureAnomalyKind.TruncatedRecord, h.Anomalies[0].ToString());
    }

    [TestMethod]
    public void InputsThatAreNotCapturesGiveOneLineErrors()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pcaptls-capture-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            AssertOpenFails(dir, "is a directory");
            AssertOpenFails(Path.Combine(dir, "missing.pcap"), "no such file");
            AssertOpenFails(Temp([]), "empty");
            AssertOpenFails(Temp("GET / HTTP/1.1\r\n"u8.ToArray()), "not a pcap or pcapng capture file (starts with 47455420)");
            AssertOpenFails(Temp(Gzip("just some text"u8.ToArray()), ".gz"), "gzip-compressed, but the content is not a pcap");
            // A gzip member holding zero bytes: magic, deflate, no flags, mtime 0, xfl 0, OS 3; empty block; CRC 0, size 0.
            AssertOpenFails(Temp([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]), "decompressed gzip content is empty");
            AssertOpenFails(Temp([0x1f, 0x8b, 0x08, 0x00, 0x01]), "gzip");
            AssertOpenFails(Temp([0xD4, 0xC3]), "too short");
            AssertOpenFails(Temp([0x28, 0xB5, 0x2F, 0xFD, 0, 0, 0, 0]), "not a valid compressed file");  // zstd frame magic, then garbage: zstd is decompressed now
            AssertOpenFails(Temp([0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0]), "zip/7z archive");       // zip local file header
            AssertOpenFails(Temp(Gzip([0x50, 0x4B, 0x03, 0x04, 0, 0])), "gzip-compressed, but the content is not a pcap or pcapng capture (it is a zip/7z archive");
            AssertOpenFails(Temp([0x0A, 0x0D, 0x0D, 0x0A, 28, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, .. new byte[16]]), "pcapng section header");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static void AssertOpenFails(string path, string expected)
    {
        var ex = Assert.ThrowsExactly<CaptureFormatException>(() => CaptureFileReader.Open(path));
        StringAssert.Contains(ex.Message, expected);
        Assert.IsFalse(ex.Message.Contains('\n'), ex.Message);
    }

    // ---- pcapng -------------------------------------------------------------------------------------

    private static byte[] TwoSectionPcapNg()
    {
        var b = new Bytes(false)
            .Shb()
            .Idb(1, 262144)                                 // if 0: Ethernet, default microseconds
            .Idb(276, 0, tsresol: 9)                        // if 1: LINUX_SLL2, nanoseconds
            .Block(4, x => x.U16(1).U16(8).Raw(new byte[] { 127, 0, 0, 1 }).Raw("h\0\0\0"u8).U16(0).U16(0)) // NRB: skipped
            .Epb(0, 1_700_000_000_123_456UL, A)             // frame 1: if 0
            .Epb(1, 1_700_000_000_123_456_789UL, B, 2000)   // frame 2: if 1, cut by snaplen
            .Block(5, x => x.U32(0).U32(0).U32(0).U16(0).U16(0)) // ISB: skipped
            .Block(0x40000BAD, x => x.U32(0xDEADBEEF))      // custom block: skipped
            .ToArray();
        var section2 = new Bytes(true)                      // second section, big-endian
            .Shb()
            .Idb(101, 65535, tsresol: 0x80 | 10)            // if 2 (global): raw IP, 2^-10 s
            .Idb(0, 65535, tsresol: 3, tsoffset: 100)       // if 3: BSD null, milliseconds, +100 s
            .Epb(0, (5UL << 10) | 512, Frame(4, 40))        // frame 3: if 2, 5.5 s
            .Epb(1, 1024, Frame(5, 41))                     // frame 4: if 3, 1.024 s + 100 s
            .Spb(50, Frame(6, 50))                          // frame 5: interface 0, no timestamp
            .ObsoletePb(1, 2500, Frame(7, 44))              // frame 6: 2.5 s + 100 s
            .ToArray();
        return [.. b, .. section2];
    }

    [TestMethod]
    public void PcapNgSectionsInterfacesResolutionsAndBlockKinds()
    {
        var bytes = TwoSectionPcapNg();
        var reader = CaptureFileReader.Open(Temp(bytes, ".pcapng"));
        Assert.AreEqual(CaptureFormat.PcapNg, reader.Format);
        CollectionAssert.AreEqual(new[] { LinkType.Ethernet, LinkType.LinuxSll2, LinkType.Raw, LinkType.Null }, reader.LinkTypes.ToArray());
        Assert.AreEqual(262144, reader.SnapLength);

        var h = new RecordingHandler();
        reader.Read(h, h);
        Assert.AreEqual(0, h.Anomalies.Count, string.Join("; ", h.Anomalies));
        Assert.AreEqual(6, h.Packets.Count);
        Assert.AreEqual((1L, 1_700_000_000_123_456_000L, LinkType.Ethernet, 0), (h.Packets[0].Number, h.Packets[0].Ts, h.Packets[0].LinkType, h.Packets[0].If));
        CollectionAssert.AreEqual(A, h.Packets[0].Data);
        Assert.AreEqual((1_700_000_000_123_456_789L, LinkType.LinuxSll2, 1, 2000), (h.Packets[1].Ts, h.Packets[1].LinkType, h.Packets[1].If, h.Packets[1].Orig));
        Assert.AreEqual((5_500_000_000L, LinkType.Raw, 2), (h.Packets[2].Ts, h.Packets[2].LinkType, h.Packets[2].If));
        Assert.AreEqual((101_024_000_000L, LinkType.Null, 3), (h.Packets[3].Ts, h.Packets[3].LinkType, h.Packets[3].If));
        CollectionAssert.AreEqual(Frame(6, 50), h.Packets[4].Data);
        Assert.AreEqual(LinkType.Raw, h.Packets[4].LinkType);
        Assert.AreEqual(101_024_000_000L, h.Packets[4].Ts, "a simple packet takes the previous packet's time");
        Assert.AreEqual((102_500_000_000L, LinkType.Null), (h.Packets[5].Ts, h.Packets[5].LinkType));
        Assert.AreEqual(6, h.Packets[5].Number);
    }

    [TestMethod]
    public void EveryPrefixOfAPcapNgIsRejectedOrReadWithoutThrowing()
    {
        var bytes = TwoSectionPcapNg();
        var full = RecordingHandler.ReadAll(Temp(bytes, ".pcapng")).Packets.Count;
        for (var n = 0; n < bytes.Length; n++)
        {
            var path = Temp(bytes[..n], ".pcapng");
            CaptureFileReader reader;
            try
            {
                reader = CaptureFileReader.Open(path);
            }
            catch (CaptureFormatException)
            {
                Assert.IsTrue(n < 40, $"prefix {n} should open"); // the SHB with its option is 40 bytes
                continue;
            }
            var h = new RecordingHandler();
            reader.Read(h, h);
            Assert.IsTrue(h.Packets.Count <= full, $"prefix {n}");
            Assert.IsTrue(h.Anomalies.Count <= 1, $"prefix {n}: {string.Join("; ", h.Anomalies)}");
            Assert.IsTrue(h.Anomalies.All(a => a.Kind == CaptureAnomalyKind.TruncatedRecord), $"prefix {n}");
        }
    }

    [TestMethod]
    public void PcapNgBadLengthsAndUnknownInterfacesAreAnomalies()
    {
        var bytes = new Bytes(false).Shb().Idb(1, 0)
            .Epb(0, 1, A)
            .Epb(7, 2, A)                                // interface 7 was never declared: skipped
            .Block(6, x => x.U32(0).U32(0).U32(0).U32(5000).U32(5000).Raw(new byte[8])) // captured length beyond the block
            .Epb(0, 3, B)
            .U32(6).U32(13).U32(0)                       // block length not a multiple of 4: resync 12 bytes on
            .Epb(0, 4, A)
            .ToArray();
        var h = RecordingHandler.ReadAll(Temp(bytes, ".pcapng"));
        CollectionAssert.AreEqual(new long[] { 1, 4, 5 }, h.Packets.Select(p => p.Number).ToArray(), "skipped frames keep their numbers");
        StringAssert.Contains(h.Anomalies[^1].Detail, "12 corrupt bytes skipped");
        CollectionAssert.AreEqual(
            new[] { CaptureAnomalyKind.UnknownInterface, CaptureAnomalyKind.BlockMalformed, CaptureAnomalyKind.RecordLengthInvalid },
            h.Anomalies.Select(a => a.Kind).ToArray());
        CollectionAssert.AreEqual(new long[] { 2, 3, 5 }, h.Anomalies.Select(a => a.PacketNumber).ToArray());
    }

    [TestMethod]
    public void PcapNgBlockLargerThanTheReadBufferIsSkipped()
    {
        var bytes = new Bytes(false).Shb().Idb(1, 0)
            .Epb(0, 1, A)
            .Block(4, x => x.Raw(new byte[CaptureFileReader.ReadBufferSize + 1000]))  // a name resolution block larger than the read buffer
            .Epb(0, 2, B)
            .ToArray();
        var h = RecordingHandler.ReadAll(Temp(bytes, ".pcapng"));
        Assert.AreEqual(2, h.Packets.Count);
        CollectionAssert.AreEqual(B, h.Packets[1].Data);
        Assert.AreEqual(0, h.Anomalies.Count);
    }

    [TestMethod]
    public void DecryptionSecretsBlocksAnywhereAreCollected()
    {
        var bytes = new Bytes(true).Shb().Idb(1, 0)
            .Block(0x0A, x => x.U32(0x544C534B).U32(5).Raw("A B C"u8))          // DSB, TLS key log, 5 bytes
            .Epb(0, 1, A)
            .Block(0x0A, x => x.U32(0x57474B4C).U32(4).Raw("wg!!"u8))           // DSB, WireGuard keys: not ours
            .Block(0x0A, x => x.U32(0x544C534B).U32(99).Raw("short"u8))         // length beyond the block: ignored
            .Block(0x0A, x => x.U32(0x544C534B).U32(3).Raw("D E"u8))
            .ToArray();
        var reader = CaptureFileReader.Open(Temp(bytes, ".pcapng"));
        var h = new RecordingHandler();
        reader.Read(h, h);
        CollectionAssert.AreEqual(new[] { "A B C", "D E" }, reader.EmbeddedTlsKeyLogs.ToArray());
        Assert.AreEqual(1, h.Packets.Count);
        Assert.AreEqual(0, h.Anomalies.Count);
    }

    [TestMethod]
    public void AnUndeclaredSnapLengthIsInferredFromCutFrames()
    {
        var bytes = new Bytes(false).Shb().Idb(1, 0)          // snaplen 0: not declared (editcap -s writes this)
            .Epb(0, 1, A[..40], 60)                           // cut at 40
            .Epb(0, 2, Frame(2, 30))                          // whole
            .ToArray();
        var reader = CaptureFileReader.Open(Temp(bytes, ".pcapng"));
        Assert.IsNull(reader.SnapLength);
        reader.Read(new RecordingHandler());
        Assert.AreEqual(40, reader.SnapLength);
        Assert.IsTrue(reader.SnapLengthInferred);
        Assert.AreEqual(1, reader.TruncatedPacketCount);
    }

    [TestMethod]
    public void PcapNgInvalidTimestampResolutionFallsBackToMicroseconds()
    {
        var bytes = new Bytes(false).Shb().Idb(1, 0, tsresol: 20).Epb(0, 5, A).ToArray();
        var h = RecordingHandler.ReadAll(Temp(bytes, ".pcapng"));
        Assert.AreEqual(5000L, h.Packets.Single().Ts);
        Assert.AreEqual(CaptureAnomalyKind.TimestampResolutionInvalid, h.Anomalies.Single().Kind);
    }

    [TestMethod]
    public void CancellationStopsTheRead()
    {
        var path = Temp(Pcap(false, false, 1, (1, 0, A, 60)));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsExactly<OperationCanceledException>(() => CaptureFileReader.Open(path).Read(new RecordingHandler(), null, cts.Token));
    }
}
