using PcapTls.Capture;
using PcapTls.Flows;
using PcapTls.Testing;

namespace PcapTls.Flows.Tests;

/// <summary>Real captures (tests/PcapTls.Capture.Tests/Data, made with tcpdump and openssl on loopback)
/// through the decoder and the connection table.</summary>
[TestClass]
public sealed class CaptureToFlowsTests
{
    private static string Data(string name) => Path.Combine(RepoPaths.Root, "tests", "PcapTls.Capture.Tests", "Data", name);

    private sealed class Anomalies : ICaptureAnomalySink
    {
        public List<CaptureAnomaly> List { get; } = [];

        public void Report(in CaptureAnomaly anomaly) => List.Add(anomaly);
    }

    private static (RecordingFactory Factory, CaptureToFlows Glue, Anomalies Anomalies) Run(string file)
    {
        var factory = new RecordingFactory();
        var anomalies = new Anomalies();
        var glue = new CaptureToFlows(new TcpFlowTable(factory, FlowLimits.Default, factory), anomalies);
        CaptureFileReader.Open(Data(file)).Read(glue, anomalies);
        glue.Finish();
        return (factory, glue, anomalies);
    }

    [TestMethod]
    [DataRow("lo-eth.pcap")]
    [DataRow("lo-nano.pcapng")]
    [DataRow("any-sll.pcap")]
    [DataRow("any-sll2.pcap")]
    [DataRow("lo-eth.pcapng.gz")]
    public void ATls12ConnectionOnLoopback(string file)
    {
        var (factory, glue, anomalies) = Run(file);
        Assert.AreEqual(0, anomalies.List.Count, string.Join("; ", anomalies.List));
        Assert.AreEqual(0, factory.Anomalies.Count, string.Join("; ", factory.Anomalies));
        Assert.AreEqual(14, glue.TcpSegments);
        var c = factory.Consumers.Single();
        Assert.AreEqual("127.0.0.1:29443", c.Info.Responder.ToString());
        Assert.IsTrue(c.Info.SawSyn);
        // tshark: tcp.len sums per source port (41676 -> 312, 29443 -> 878).
        Assert.AreEqual(312, c.FromOriginator.Length);
        Assert.AreEqual(878, c.FromResponder.Length);
        Assert.AreEqual(0x16, c.FromOriginator[0], "a TLS handshake record starts the client's stream");
        // The server's FIN (#11) comes before the client's alert (#12) and FIN (#13).
        CollectionAssert.AreEqual(new[] { "Syn O #1", "SynAck R #2", "Fin R #11", "Fin O #13", "end Closed #14" },
            factory.Log.Select(l => l[(l.IndexOf(' ') + 1)..]).Where(l => !l.StartsWith("data", StringComparison.Ordinal) && !l.StartsWith("start", StringComparison.Ordinal)).ToArray());
    }

    [TestMethod]
    public void TwoInterfacesAndIPv6()
    {
        var (factory, _, anomalies) = Run("multi-if.pcapng");
        Assert.AreEqual(0, anomalies.List.Count);
        Assert.AreEqual(2, factory.Consumers.Count);
        var v6 = factory.Consumers.Single(c => c.Info.Originator.IsIPv6);
        Assert.AreEqual("[::1]:29443", v6.Info.Responder.ToString());
        Assert.AreEqual(367, v6.FromOriginator.Length);
        Assert.AreEqual(1296, v6.FromResponder.Length);
    }

    [TestMethod]
    public void ASnapLengthOf96MakesTruncatedPacketsAndGaps()
    {
        var (factory, glue, anomalies) = Run("lo-snap96.pcap");
        Assert.IsTrue(glue.TruncatedPackets > 0);
        Assert.IsTrue(anomalies.List.Count > 0);
        Assert.IsTrue(anomalies.List.All(a => a.Kind == CaptureAnomalyKind.TruncatedPacket), string.Join("; ", anomalies.List));
        Assert.AreEqual(glue.TruncatedPackets, anomalies.List.Count);
        var c = factory.Consumers.Single();
        Assert.IsTrue(c.FromOriginator.ToString().Contains('_'), "the cut parts arrive as gaps");
        Assert.IsTrue(glue.Table.Statistics.Gaps > 0);
        Assert.AreEqual(1190, glue.Table.Statistics.PayloadBytesDelivered + glue.Table.Statistics.GapBytes);
    }

    [TestMethod]
    public void UnusableFramesAreCountedAndReported()
    {
        var factory = new RecordingFactory();
        var anomalies = new Anomalies();
        var glue = new CaptureToFlows(new TcpFlowTable(factory, new FlowLimits { MaxAnomaliesPerKind = 2 }, factory), anomalies);
        byte[] fragment =
        [
            0x45, 0, 0, 40, 0, 1, 0x20, 0x00, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, // IPv4, MF set
            .. new byte[20],
        ];
        byte[] udp = [0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, .. new byte[8]];
        for (var i = 1; i <= 5; i++)
        {
            glue.OnPacket(new RawPacket(i, i, LinkType.Ipv4, fragment, fragment.Length, 0));
        }
        glue.OnPacket(new RawPacket(6, 6, LinkType.Ipv4, udp, udp.Length, 0));
        glue.OnPacket(new RawPacket(7, 7, (LinkType)147, udp, udp.Length, 0));
        glue.OnPacket(new RawPacket(8, 8, (LinkType)147, udp, udp.Length, 0));
        byte[] unknown = [.. new byte[12], 0x88, 0xB5, .. udp];       // Ethernet, EtherType 0x88b5 (local experimental)
        glue.OnPacket(new RawPacket(9, 9, LinkType.Ethernet, unknown, unknown.Length, 0));
        glue.OnPacket(new RawPacket(10, 10, LinkType.Ethernet, unknown, unknown.Length, 0));
        glue.Finish();
        Assert.AreEqual(5, glue.IpFragments);
        Assert.AreEqual(4, glue.Fragments.FragmentsSeen - 1 - glue.Fragments.DatagramsCompleted, "four copies of the first fragment");
        Assert.AreEqual(1, glue.NotTcp);
        Assert.AreEqual(2, glue.UnsupportedLinkTypePackets);
        Assert.AreEqual(2, glue.UnknownEncapsulationPackets);
        // Copies of one fragment are held once (duplicates); its datagram never completes, reported at the end.
        CollectionAssert.AreEqual(
            new[] { CaptureAnomalyKind.UnsupportedLinkType, CaptureAnomalyKind.IpFragment, CaptureAnomalyKind.UnknownEncapsulation },
            anomalies.List.Select(a => a.Kind).ToArray());
        Assert.AreEqual(1, anomalies.List[1].PacketNumber);
        StringAssert.Contains(anomalies.List[1].Detail, "capture ended");
        Assert.AreEqual(9, anomalies.List[2].PacketNumber);
        StringAssert.Contains(anomalies.List[2].Detail, "EtherType 0x88b5");
        StringAssert.Contains(anomalies.List[2].Detail, "2 packet(s)");
    }
}
