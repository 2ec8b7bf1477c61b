using System.Buffers.Binary;
using PcapTls.Capture;
using PcapTls.Flows;
using PcapTls.Tls;
using static PcapTls.Robustness.Tests.TlsBytes;

namespace PcapTls.Robustness.Tests;

/// <summary>
/// Each named limit of the layers, reached by a hostile capture and seen in the REPORT: an anomaly with its kind
/// and the packet that crossed the limit. The layers' own unit tests check the limits in isolation; these go
/// end to end through CaptureAnalyzer.AnalyzeFile.
/// </summary>
[TestClass]
public sealed class NamedLimitTests
{
    private string _dir = "";

    [TestInitialize]
    public void Setup() => _dir = Directory.CreateTempSubdirectory("pcaptls-limits-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    private HostileCapture NewCapture(string name, int snapLength = PcapFileWriter.DefaultSnapLength) => new(Path.Combine(_dir, name), snapLength);

    /// <summary>A ClientHello, then the server's bytes; returns the packet number of the server's last segment.</summary>
    private static long ServerSends(HostileCapture capture, byte[] serverBytes, int mss = 1460)
    {
        var c = capture.Connect();
        c.Send(fromClient: true, Record(Handshake, ClientHello()));
        c.Send(fromClient: false, serverBytes, mss);
        var last = capture.Packets;
        c.Close();
        return last;
    }

    [TestMethod]
    public void RecordLongerThanMaxRecordLengthIsReported()
    {
        using var capture = NewCapture("record.pcap");
        // A record header that declares one byte more than TLSCiphertext may hold, then some of its body.
        var header = new byte[5 + 100];
        header[0] = Handshake;                                                                      // type
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(1), 0x0303);                           // version
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(3), TlsLimits.DefaultMaxRecordLength + 1); // length
        var packet = ServerSends(capture, header);
        var report = Analyze.File(capture.Complete());

        var a = Analyze.Single(report, "record-too-large");
        Assert.AreEqual(packet, a.Packet);
        Assert.IsNotEmpty(report.Handshakes, "the ClientHello's connection is still reported");
    }

    [TestMethod]
    public void HandshakeMessageLongerThanMaxHandshakeMessageLengthIsReported()
    {
        using var capture = NewCapture("message.pcap");
        // A Certificate message header declaring 2 MiB (limit 1 MiB) inside a normal record.
        var message = new byte[4 + 64];
        message[0] = CertificateType;                                                   // msg_type certificate
        WriteUInt24(message.AsSpan(1), TlsLimits.DefaultMaxHandshakeMessageLength * 2); // length
        var packet = ServerSends(capture, [.. Record(Handshake, ServerHello()), .. Record(Handshake, message)]);
        var report = Analyze.File(capture.Complete());

        Assert.AreEqual(packet, Analyze.Single(report, "handshake-message-too-large").Packet);
    }

    [TestMethod]
    public void CertificateListLongerThanMaxCertificatesIsReported()
    {
        using var capture = NewCapture("count.pcap");
        var certificates = Enumerable.Range(0, TlsLimits.DefaultMaxCertificates + 1).Select(i => new byte[] { 0x30, 0x01, (byte)i });
        var packet = ServerSends(capture, [.. Record(Handshake, ServerHello()), .. Records(Handshake, Certificate(certificates))]);
        var report = Analyze.File(capture.Complete());

        var a = Analyze.Single(report, "too-many-certificates");
        Assert.AreEqual(packet, a.Packet);
        StringAssert.Contains(a.Detail, (TlsLimits.DefaultMaxCertificates + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [TestMethod]
    public void CertificateLargerThanMaxCertificateLengthIsReported()
    {
        using var capture = NewCapture("size.pcap");
        var huge = new byte[TlsLimits.DefaultMaxCertificateLength + 1];
        huge[0] = 0x30;
        var packet = ServerSends(capture, [.. Record(Handshake, ServerHello()), .. Records(Handshake, Certificate([huge]))]);
        var report = Analyze.File(capture.Complete());

        Assert.AreEqual(packet, Analyze.Single(report, "certificate-too-large").Packet);
    }

    [TestMethod]
    public void OutOfOrderSegmentsBeyondMaxOutOfOrderSegmentsAreReported()
    {
        using var capture = NewCapture("ooo.pcap");
        var c = capture.Connect();
        c.Send(fromClient: true, Record(Handshake, ClientHello()));
        // A hole of 10 bytes, then more one-byte segments behind it than the flow layer buffers.
        var limit = FlowLimits.Default.MaxOutOfOrderSegments;
        for (var i = 0; i <= limit; i++)
        {
            c.SendAt(fromClient: false, 10 + (2 * i), [0x16]);
        }
        var report = Analyze.File(capture.Complete());

        var a = Analyze.Single(report, "out-of-order-limit");
        Assert.IsTrue(a.Packet > 4 && a.Packet <= capture.Packets, $"packet {a.Packet}");
        StringAssert.Contains(a.Detail, "MaxOutOfOrderSegments");
    }

    [TestMethod]
    public void BufferedBytesBeyondMaxBufferedBytesPerDirectionAreReported()
    {
        using var capture = NewCapture("buffered.pcap");
        var c = capture.Connect();
        c.Send(fromClient: true, Record(Handshake, ClientHello()));
        // 64 KiB per direction (the default is 1 MiB: same code, smaller file), 60 full segments behind a hole.
        var limits = FlowLimits.Default with { MaxBufferedBytesPerDirection = 64 * 1024 };
        var segment = new byte[1460];
        for (var i = 0; i < 60; i++)
        {
            c.SendAt(fromClient: false, 100 + (i * segment.Length), segment);
        }
        var report = Analyze.File(capture.Complete(), Analyze.Options with { FlowLimits = limits });

        var a = Analyze.Single(report, "out-of-order-limit");
        Assert.IsTrue(a.Packet > 4, $"packet {a.Packet}");
        StringAssert.Contains(a.Detail, "MaxBufferedBytesPerDirection");
    }

    [TestMethod]
    public void ConnectionsBeyondMaxTrackedFlowsAreReported()
    {
        using var capture = NewCapture("flows.pcap");
        var limits = FlowLimits.Default with { MaxTrackedFlows = 16 };
        for (var i = 0; i < 40; i++)
        {
            var c = capture.Connect(clientPort: 41000 + i);
            c.Send(fromClient: true, Record(Handshake, ClientHello()));
        }
        var report = Analyze.File(capture.Complete(), Analyze.Options with { FlowLimits = limits });

        var a = Analyze.Single(report, "flow-table-full");
        StringAssert.Contains(a.Detail, "MaxTrackedFlows");
        Assert.IsTrue(a.Packet > 16 * 4 && a.Packet <= capture.Packets, $"packet {a.Packet}");
    }

    [TestMethod]
    public void PcapRecordLongerThanMaxCapturedLengthIsReported()
    {
        var path = Path.Combine(_dir, "caplen.pcap");
        using (var capture = NewCapture("good.pcap"))
        {
            var c = capture.Connect();
            c.Send(fromClient: true, Record(Handshake, ClientHello()));
            File.Copy(capture.Complete(), path);
        }
        // Append a record whose incl_len is beyond the reader's limit, and a little garbage after it.
        using (var f = new FileStream(path, FileMode.Append))
        {
            var record = new byte[16 + 32];
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(0), 1_767_225_700);                            // ts_sec
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), CaptureFileReader.MaxCapturedLength + 1);  // incl_len
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), CaptureFileReader.MaxCapturedLength + 1); // orig_len
            f.Write(record);
        }
        var report = Analyze.File(path);

        var a = Analyze.Single(report, "record-length-invalid");
        Assert.AreEqual(5L, a.Packet, "the record after the 4 good packets");
        Assert.AreEqual(4L, report.Capture.Packets);
        Assert.HasCount(1, report.Handshakes);
    }

    [TestMethod]
    public void PcapNgBlockLongerThanMaxBlockLengthIsReported()
    {
        var path = Path.Combine(_dir, "block.pcapng");
        var bytes = new List<byte>();
        // Section Header Block: type, total length 28, byte-order magic, version 1.0, section length -1, length.
        bytes.AddRange(U32(0x0A0D0D0A)); bytes.AddRange(U32(28)); bytes.AddRange(U32(0x1A2B3C4D));
        bytes.AddRange([1, 0, 0, 0]); bytes.AddRange(Enumerable.Repeat((byte)0xFF, 8)); bytes.AddRange(U32(28));
        // Interface Description Block: type 1, length 20, link type 1 (Ethernet), reserved, snaplen 0, length.
        bytes.AddRange(U32(1)); bytes.AddRange(U32(20)); bytes.AddRange([1, 0, 0, 0]); bytes.AddRange(U32(0)); bytes.AddRange(U32(20));
        // Enhanced Packet Block header claiming one byte past MaxBlockLength (rounded to a multiple of 4).
        bytes.AddRange(U32(6)); bytes.AddRange(U32((uint)CaptureFileReader.MaxBlockLength + 4));
        bytes.AddRange(new byte[64]);
        File.WriteAllBytes(path, [.. bytes]);
        var report = Analyze.File(path);

        Assert.AreEqual(1L, Analyze.Single(report, "record-length-invalid").Packet);
        Assert.AreEqual(0L, report.Capture.Packets);

        static byte[] U32(uint v) => BitConverter.GetBytes(v); // little-endian section (the BOM above says so)
    }

    [TestMethod]
    public void SnapLengthTooSmallForCertificatesIsStated()
    {
        using var capture = NewCapture("snap.pcap", snapLength: 96);
        var cert = PemCertificate(Testing.RepoPaths.Capture("pki/backend.pem"));
        ServerSends(capture, [.. Record(Handshake, ServerHello()), .. Records(Handshake, Certificate([cert])), .. Record(Handshake, ServerHelloDone())]);
        var report = Analyze.File(capture.Complete());
        var (json, console) = Analyze.Render(report);

        Assert.AreEqual(96, report.Capture.SnapLength);
        Assert.IsGreaterThan(0L, report.Capture.TruncatedPackets);
        StringAssert.Contains(console, "96");
        StringAssert.Contains(console + json, "-s 0");
    }
}
