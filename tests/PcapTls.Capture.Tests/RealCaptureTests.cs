using PcapTls.Capture;
using PcapTls.Testing;

namespace PcapTls.Capture.Tests;

/// <summary>
/// Captures made with tcpdump on this kind of machine (openssl s_server/s_client on loopback, a TLS 1.2
/// handshake on 127.0.0.1 and a TLS 1.3 one on ::1); expected values come from
/// `tshark -r F -T fields -e tcp.len` and `-e frame.time_epoch`, recorded when the files were made.
/// </summary>
[TestClass]
public sealed class RealCaptureTests
{
    private static string Data(string name) => Path.Combine(RepoPaths.Root, "tests", "PcapTls.Capture.Tests", "Data", name);

    private sealed class Totals : IPacketHandler
    {
        public int Packets;
        public int Tcp;
        public long PayloadOriginal;
        public long PayloadCaptured;
        public long FirstTs = -1;
        public readonly HashSet<string> Endpoints = [];
        public readonly HashSet<LinkType> LinkTypes = [];

        public void OnPacket(in RawPacket packet)
        {
            Packets++;
            LinkTypes.Add(packet.LinkType);
            if (FirstTs < 0) FirstTs = packet.TimestampNanos;
            if (PacketDecoder.TryDecodeTcp(packet, out var s) == DecodeStatus.Tcp)
            {
                Tcp++;
                PayloadOriginal += s.PayloadOriginalLength;
                PayloadCaptured += s.Payload.Length;
                Endpoints.Add(s.Source.ToString());
            }
        }
    }

    [TestMethod]
    [DataRow("lo-eth.pcap", CaptureFormat.Pcap, false, 14, 1190, 1795736947_500287000L)]
    [DataRow("lo-nano.pcap", CaptureFormat.PcapNanosecond, false, 14, 1190, 1795736947_500286643L)]
    [DataRow("lo-eth.pcapng", CaptureFormat.PcapNg, false, 14, 1190, 1795736947_500287000L)]
    [DataRow("lo-nano.pcapng", CaptureFormat.PcapNg, false, 14, 1190, 1795736947_500286643L)]
    [DataRow("lo-eth.pcapng.gz", CaptureFormat.PcapNg, true, 14, 1190, 1795736947_500287000L)]
    [DataRow("any-sll.pcap", CaptureFormat.Pcap, false, 14, 1190, 1795736947_500281000L)]
    [DataRow("any-sll2.pcap", CaptureFormat.Pcap, false, 14, 1190, 1795736947_500283000L)]
    [DataRow("lo-snap96.pcap", CaptureFormat.Pcap, false, 14, 1190, 1795736947_500285000L)]
    [DataRow("lo-ipv6.pcap", CaptureFormat.Pcap, false, 16, 1663, 1795736952_594550000L)]
    [DataRow("multi-if.pcapng", CaptureFormat.PcapNg, false, 30, 2853, 1795736947_500283000L)]
    public void PacketCountsAndTcpPayloadMatchTshark(string file, CaptureFormat format, bool gzip, int packets, long tcpLen, long firstTs)
    {
        var reader = CaptureFileReader.Open(Data(file));
        Assert.AreEqual(format, reader.Format);
        Assert.AreEqual(gzip, reader.IsGzip);
        var totals = new Totals();
        var anomalies = new RecordingHandler();
        reader.Read(totals, anomalies);
        Assert.AreEqual(0, anomalies.Anomalies.Count, string.Join("; ", anomalies.Anomalies));
        Assert.AreEqual(packets, totals.Packets);
        Assert.AreEqual(packets, totals.Tcp);
        Assert.AreEqual(tcpLen, totals.PayloadOriginal);
        Assert.AreEqual(firstTs, totals.FirstTs);
        Assert.AreEqual(firstTs, reader.FirstTimestampNanos);
        if (file.Contains("snap96"))
        {
            Assert.AreEqual(96, reader.SnapLength);
            Assert.IsTrue(totals.PayloadCaptured < tcpLen / 4, totals.PayloadCaptured.ToString());
            Assert.IsTrue(reader.TruncatedPacketCount > 0);
        }
        else
        {
            Assert.AreEqual(tcpLen, totals.PayloadCaptured);
            Assert.AreEqual(0, reader.TruncatedPacketCount);
        }
    }

    [TestMethod]
    public void LinkTypesAndEndpoints()
    {
        Assert.AreEqual(LinkType.LinuxSll2, CaptureFileReader.Open(Data("any-sll2.pcap")).LinkTypes.Single());
        Assert.AreEqual(LinkType.LinuxSll, CaptureFileReader.Open(Data("any-sll.pcap")).LinkTypes.Single());
        CollectionAssert.AreEquivalent(new[] { LinkType.LinuxSll2, LinkType.Ethernet }, CaptureFileReader.Open(Data("multi-if.pcapng")).LinkTypes.ToArray());

        var v6 = new Totals();
        CaptureFileReader.Open(Data("lo-ipv6.pcap")).Read(v6);
        CollectionAssert.AreEquivalent(new[] { "[::1]:29443", "[::1]:53098" }, v6.Endpoints.ToArray());
    }

    [TestMethod]
    public void KeyLogEmbeddedByEditcapIsExposed()
    {
        // lo-eth-secrets.pcapng = editcap --inject-secrets tls,keys.txt lo-eth.pcapng (one CLIENT_RANDOM line).
        var reader = CaptureFileReader.Open(Data("lo-eth-secrets.pcapng"));
        var text = reader.EmbeddedTlsKeyLogs.Single();
        StringAssert.StartsWith(text, "CLIENT_RANDOM 0102030405060708091011121314151617181920212223242526272829303132 abab");
        Assert.AreEqual(176, text.Length);
        var totals = new Totals();
        reader.Read(totals);
        Assert.AreEqual(14, totals.Packets);
        Assert.AreEqual(1, reader.EmbeddedTlsKeyLogs.Count, "the same block seen by Open and Read is kept once");
    }

    [TestMethod]
    public void TsharkAgreesWhenInstalled()
    {
        var tshark = Requires.Tool("tshark");
        foreach (var file in new[] { "lo-eth.pcapng", "multi-if.pcapng", "any-sll2.pcap" })
        {
            var (code, stdout, _) = Requires.Run(tshark, "-r", Data(file), "-T", "fields", "-e", "tcp.len");
            Assert.AreEqual(0, code);
            var lengths = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
            var totals = new Totals();
            CaptureFileReader.Open(Data(file)).Read(totals);
            Assert.AreEqual(lengths.Length, totals.Packets, file);
            Assert.AreEqual(lengths.Sum(), totals.PayloadOriginal, file);
        }
    }
}
