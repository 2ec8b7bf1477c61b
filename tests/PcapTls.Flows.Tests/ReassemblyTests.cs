using PcapTls.Flows;
using static PcapTls.Flows.Tests.FlowScript;

namespace PcapTls.Flows.Tests;

[TestClass]
public sealed class ReassemblyTests
{
    [TestMethod]
    public void InOrderConnectionWithHandshakeAndTeardown()
    {
        var t = new FlowScript();
        t.Handshake();                           // #1 SYN, #2 SYN/ACK, #3 ACK
        t.C(101, 501, A | P, "hello");           // #4
        t.Sv(501, 106, A | P, "world!");         // #5
        t.C(106, 507, F | A);                    // #6
        t.Sv(507, 107, F | A);                   // #7
        t.C(107, 508, A);                        // #8
        t.Finish();
        CollectionAssert.AreEqual(new[]
        {
            "start 10.0.0.1:51000->10.0.0.2:443 syn=True #1",
            "Syn O #1",
            "SynAck R #2",
            "data O 'hello' #4",
            "data R 'world!' #5",
            "Fin O #6",
            "Fin R #7",
            "end Closed #8",
        }, t.Lines());
        Assert.AreEqual(0, t.Factory.Anomalies.Count, string.Join("; ", t.Factory.Anomalies));
        Assert.AreEqual(1, t.Table.Statistics.FlowsClosed);
        Assert.AreEqual(11, t.Table.Statistics.PayloadBytesDelivered);
    }

    [TestMethod]
    public void OutOfOrderSegmentsAreDeliveredInOrder()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(111, 501, A, "third");               // #4
        t.C(106, 501, A, "secnd");               // #5
        t.C(101, 501, A, "first");               // #6
        t.Finish();
        Assert.AreEqual("firstsecndthird", t.Factory.Consumers[0].FromOriginator.ToString());
        Assert.AreEqual(2, t.Table.Statistics.OutOfOrderSegments);
        Assert.AreEqual(0, t.Table.Statistics.BufferedBytes);
    }

    [TestMethod]
    public void OutOfOrderDeliveryKeepsEachSegmentsPacketNumber()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(106, 501, A, "world");               // #4: ahead of the stream
        t.C(101, 501, A, "hello");               // #5: fills the hole
        t.Finish();
        CollectionAssert.AreEqual(new[] { "data O 'hello' #5", "data O 'world' #4" }, t.Lines().Where(l => l.StartsWith("data", StringComparison.Ordinal)).ToArray());
        Assert.AreEqual(1, t.Table.Statistics.OutOfOrderSegments);
        Assert.AreEqual(0, t.Factory.Anomalies.Count);
    }

    [TestMethod]
    public void RetransmissionsAreDroppedAndPartialOverlapsTrimmed()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(101, 501, A, "hello");               // #4
        t.C(101, 501, A, "hello");               // #5: retransmission
        t.C(103, 501, A, "llo world");           // #6: 3 old bytes, 6 new
        t.Finish();
        Assert.AreEqual("hello world", t.Factory.Consumers[0].FromOriginator.ToString());
        Assert.AreEqual(1, t.Table.Statistics.Retransmissions);
        CollectionAssert.Contains(t.Lines(), "data O ' world' #6");
    }

    [TestMethod]
    public void OverlapConflictKeepsTheFirstCopyAndIsReported()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(106, 501, A, "WORLD");               // #4: buffered
        t.C(101, 501, A, "hello-world");         // #5: bytes 106..110 say "-worl", the first copy said "WORLD"
        t.Finish();
        Assert.AreEqual("helloWORLDd", t.Factory.Consumers[0].FromOriginator.ToString());
        var conflict = t.Factory.Anomalies.Single();
        Assert.AreEqual(FlowAnomalyKind.OverlapConflict, conflict.Kind);
        Assert.AreEqual(5, conflict.PacketNumber);
        StringAssert.Contains(conflict.Detail, "packet 4");
        Assert.AreEqual(1, t.Table.Statistics.OverlapConflicts);
    }

    [TestMethod]
    public void IdenticalOverlapIsNotAConflict()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(106, 501, A, "world");
        t.C(101, 501, A, "hellowor");           // overlaps "wor" with identical bytes
        t.Finish();
        Assert.AreEqual("helloworld", t.Factory.Consumers[0].FromOriginator.ToString());
        Assert.AreEqual(0, t.Factory.Anomalies.Count);
    }

    [TestMethod]
    public void AHoleTheReceiverAcknowledgedBecomesAGap()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(101, 501, A, "hello");               // #4
        // 5 bytes at 106 were never captured
        t.C(111, 501, A, "after");               // #5: buffered
        t.Sv(501, 116, A);                       // #6: the server has everything up to 116
        CollectionAssert.AreEqual(new[] { "data O 'hello' #4", "gap O 5 #6", "data O 'after' #5" },
            t.Lines().Where(l => l.StartsWith("data", StringComparison.Ordinal) || l.StartsWith("gap", StringComparison.Ordinal)).ToArray());
        var gap = t.Factory.Anomalies.Single();
        Assert.AreEqual((FlowAnomalyKind.Gap, 6L), (gap.Kind, gap.PacketNumber));
        Assert.AreEqual(0, t.Table.Statistics.BufferedBytes);
    }

    [TestMethod]
    public void AnAckOfDataNeverSeenAtAllIsAGapToo()
    {
        var t = new FlowScript();
        t.Handshake();
        t.Sv(501, 121, A);                       // #4: acknowledges 20 bytes the capture missed
        t.C(121, 501, A, "later");               // #5
        CollectionAssert.AreEqual(new[] { "gap O 20 #4", "data O 'later' #5" }, t.Lines().Skip(3).ToArray());
    }

    [TestMethod]
    public void AnAckCapturedBeforeItsDataIsNotAGap()
    {
        var t = new FlowScript();
        t.Handshake();
        t.Sv(501, 106, A);                       // #4: the capture shows the ACK first (several capture queues)
        t.C(101, 501, A, "hello");               // #5: then the data it acknowledges
        t.Finish();
        Assert.AreEqual("hello", t.Factory.Consumers[0].FromOriginator.ToString());
        Assert.AreEqual(0, t.Table.Statistics.Gaps);
    }

    [TestMethod]
    public void AnAcknowledgedHoleWithNothingAfterItIsAGapAtTheEnd()
    {
        var t = new FlowScript();
        t.Handshake();
        t.Sv(501, 111, A);                       // #4: 10 bytes acknowledged, never seen
        t.Finish();
        CollectionAssert.Contains(t.Lines(), "gap O 10 #4");
        Assert.AreEqual(FlowAnomalyKind.Gap, t.Factory.Anomalies.Single().Kind);
    }

    [TestMethod]
    public void AnAckOfTheFinIsNotAGap()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(101, 501, F | A, "bye");             // #4: data + FIN, FIN takes sequence number 104
        t.Sv(501, 105, A);                       // #5
        Assert.AreEqual(0, t.Table.Statistics.Gaps);
    }

    [TestMethod]
    public void AnAbsurdAckIsNotAGap()
    {
        var t = new FlowScript();
        t.Handshake();
        t.Sv(501, 101 + (uint)FlowLimits.Default.MaxAckedGapBytes + 1, A);
        Assert.AreEqual(0, t.Table.Statistics.Gaps);
    }

    [TestMethod]
    public void BufferedDataIsFlushedWithAGapAtTheEndOfTheCapture()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(106, 501, A, "world");               // #4
        t.Finish();
        CollectionAssert.AreEqual(new[] { "gap O 5 #4", "data O 'world' #4", "end CaptureEnded #4" }, t.Lines().Skip(3).ToArray());
        Assert.AreEqual(FlowAnomalyKind.Gap, t.Factory.Anomalies.Single().Kind);
    }

    [TestMethod]
    public void DataMissingBeforeAFinIsAGapAtTheEnd()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(111, 501, F | A);                    // #4: FIN at 111, bytes 101..110 never seen
        t.Finish();
        CollectionAssert.Contains(t.Lines(), "gap O 10 #4");
    }

    [TestMethod]
    public void SnapLengthCutPayloadIsDataThenGap()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(101, 501, A, "hel", originalLength: 10);  // #4: 10 bytes on the wire, 3 captured
        t.C(111, 501, A, "next");                     // #5
        CollectionAssert.AreEqual(new[] { "data O 'hel' #4", "gap O 7 #4", "data O 'next' #5" }, t.Lines().Skip(3).ToArray());
        Assert.AreEqual(0, t.Factory.Anomalies.Count, "the capture layer reports truncated packets, not the flow layer");
    }

    [TestMethod]
    public void SnapLengthCutOutOfOrderPayload()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(106, 501, A, "wo", originalLength: 5);    // #4: buffered, 3 bytes never captured
        t.C(101, 501, A, "hello");                    // #5
        t.C(111, 501, A, "!");                        // #6
        Assert.AreEqual("hellowo___!", t.Factory.Consumers[0].FromOriginator.ToString());
    }

    [TestMethod]
    public void ACutSegmentOverlappingBufferedDataBeyondItsCapturedBytes()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(111, 501, A, "KLMNO");                    // #4: buffered at offset 10..15
        t.C(111, 501, A, "kl", originalLength: 10);   // #5: offset 10..20, only 2 bytes captured; 15..20 holds no bytes
        t.C(101, 501, A, "abcdefghij");               // #6
        t.Finish();
        Assert.AreEqual("abcdefghijKLMNO_____", t.Factory.Consumers[0].FromOriginator.ToString());
        Assert.AreEqual(FlowAnomalyKind.OverlapConflict, t.Factory.Anomalies.Single().Kind);
    }

    [TestMethod]
    public void SequenceNumbersWrapAround()
    {
        var t = new FlowScript();
        t.C(0xFFFFFFF0, 0, S);
        t.Sv(7, 0xFFFFFFF1, S | A);
        t.C(0x00000001, 8, A, "BBBB");                // after the wrap: stream offset 16
        t.C(0xFFFFFFF1, 8, A, "AAAAAAAAAAAAAAAA");    // 16 bytes up to the wrap
        t.Sv(8, 5, A);                                // acknowledges everything
        t.Finish();
        Assert.AreEqual("AAAAAAAAAAAAAAAABBBB", t.Factory.Consumers[0].FromOriginator.ToString());
        Assert.AreEqual(0, t.Factory.Anomalies.Count);
    }

    [TestMethod]
    public void MidstreamStartTakesTheHigherPortAsOriginator()
    {
        var t = new FlowScript();
        t.Sv(501, 106, A | P, "data");                // #1: server to client, no SYN seen
        t.C(106, 505, A | P, "more");                 // #2
        t.Finish();
        CollectionAssert.AreEqual(new[]
        {
            "start 10.0.0.1:51000->10.0.0.2:443 syn=False #1",
            "data R 'data' #1",
            "data O 'more' #2",
            "end CaptureEnded #2",
        }, t.Lines());
        Assert.AreEqual(FlowAnomalyKind.MidstreamStart, t.Factory.Anomalies.Single().Kind);
        Assert.AreEqual(1, t.Table.Statistics.MidstreamStarts);
    }

    [TestMethod]
    public void MidstreamStartWithEqualPortsTakesTheFirstSender()
    {
        var t = new FlowScript();
        var a = Endpoint(0x0A000009, 443);
        t.Send(a, Server, 1, 1, A | P, "x");
        Assert.AreEqual(a, t.Factory.Consumers.Single().Info.Originator);
    }

    [TestMethod]
    public void ASynAckFirstMakesItsReceiverTheOriginator()
    {
        var t = new FlowScript();
        t.Sv(500, 101, S | A);                        // #1
        t.C(101, 501, A, "hi");                       // #2
        t.Finish();
        CollectionAssert.AreEqual(new[]
        {
            "start 10.0.0.1:51000->10.0.0.2:443 syn=False #1",
            "SynAck R #1",
            "data O 'hi' #2",
            "end CaptureEnded #2",
        }, t.Lines());
    }

    [TestMethod]
    public void ABareAckOnAnUnknownConnectionStartsNothing()
    {
        var t = new FlowScript();
        t.C(5, 5, A);
        t.Finish();
        Assert.AreEqual(0, t.Factory.Consumers.Count);
        Assert.AreEqual(1, t.Table.Statistics.SegmentsIgnored);
    }

    [TestMethod]
    public void AKeepAliveProbeOnAnUnknownConnectionStartsNothing()
    {
        var t = new FlowScript();
        t.C(100, 500, A, "\0");                       // #1: keep-alive: one stale byte, ACK only
        t.C(101, 500, A | P, "data");                 // #2: real data starts the connection
        t.Finish();
        Assert.AreEqual(1, t.Factory.Consumers.Count);
        Assert.AreEqual("data", t.Factory.Consumers[0].FromOriginator.ToString());
        Assert.AreEqual(2, t.Factory.Consumers[0].Info.FirstPosition.PacketNumber);
        Assert.AreEqual(1, t.Table.Statistics.SegmentsIgnored);
    }

    [TestMethod]
    public void PayloadOnFinAndRstComesBeforeTheControlEvent()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(101, 501, A | P | F, "bye");              // #4
        t.Sv(501, 105, R | A, "x");                   // #5
        t.C(105, 0, R);                               // #6: a late RST within the grace period: same connection
        t.NowMs += 6_000;                             // past the grace period
        t.C(105, 502, A);                             // #7: the connection is retired first; a bare ACK starts nothing
        CollectionAssert.AreEqual(new[]
        {
            "data O 'bye' #4",
            "Fin O #4",
            "data R 'x' #5",
            "Rst R #5",
            "Rst O #6",
            "end Closed #6",
        }, t.Lines().Skip(3).ToArray());
        Assert.AreEqual(1, t.Factory.Consumers.Count);
    }

    [TestMethod]
    public void RetransmittedSynIsNotANewConnection()
    {
        var t = new FlowScript();
        t.C(100, 0, S);
        t.C(100, 0, S);
        t.Sv(500, 101, S | A);
        t.Finish();
        Assert.AreEqual(1, t.Factory.Consumers.Count);
        Assert.AreEqual(1, t.Lines().Count(l => l.StartsWith("Syn ", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void ANewSynOnAClosedFourTupleStartsANewConnection()
    {
        var t = new FlowScript();
        t.Handshake();                                 // #1-#3
        t.C(101, 501, F | A);                          // #4
        t.Sv(501, 102, F | A);                         // #5
        t.C(102, 502, A);                              // #6
        t.C(9000, 0, S);                               // #7: same ports, new ISN, within the grace period
        t.Sv(7000, 9001, S | A);                       // #8
        t.C(9001, 7001, A, "again");                   // #9
        t.Finish();
        CollectionAssert.AreEqual(new[]
        {
            "start 10.0.0.1:51000->10.0.0.2:443 syn=True #1",
            "Syn O #1",
            "SynAck R #2",
            "Fin O #4",
            "Fin R #5",
            "end Closed #6",
            "start 10.0.0.1:51000->10.0.0.2:443 syn=True #7",
            "Syn O #7",
            "SynAck R #8",
            "data O 'again' #9",
            "end CaptureEnded #9",
        }, t.Lines());
        Assert.AreEqual(2, t.Table.Statistics.FlowsSeen);
    }

    [TestMethod]
    public void ANewSynWithAnotherIsnOnALiveFourTupleStartsANewConnection()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(101, 501, A, "x");
        t.C(5000, 0, S);                               // the old connection's end was not captured
        t.Finish();
        Assert.AreEqual(2, t.Factory.Consumers.Count);
        Assert.AreEqual(FlowEndReason.Closed, t.Factory.Consumers[0].EndReason);
    }

    [TestMethod]
    public void WhenTheConsumerStopsWantingPayloadOnlyControlEventsFollow()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(111, 501, A, "later");                     // #4: buffered
        t.Factory.Consumers[0].StopAfterData = 1;
        t.C(101, 501, A, "first-----");                // #5: delivered; the consumer then stops wanting payload
        t.Sv(501, 116, A, "reply");                    // #6: not delivered
        t.C(116, 506, F | A);                          // #7
        t.Sv(506, 117, R);                             // #8
        t.Finish();
        CollectionAssert.AreEqual(new[] { "data O 'first-----' #5", "Fin O #7", "Rst R #8", "end Closed #8" }, t.Lines().Skip(3).ToArray());
        Assert.AreEqual(0, t.Table.Statistics.BufferedBytes);
        Assert.AreEqual(5, t.Table.Statistics.PayloadBytesSkipped);
    }

    [TestMethod]
    public void ConnectionsOnDifferentPortsAndIPv6AreSeparate()
    {
        var t = new FlowScript();
        t.Handshake(51000);
        t.Handshake(51001);
        var v6Client = new Capture.NetEndpoint(UInt128.One, true, 51000);
        var v6Server = new Capture.NetEndpoint(UInt128.One << 64, true, 443);
        t.Send(v6Client, v6Server, 1, 0, S);
        t.C(101, 501, A, "a", port: 51000);
        t.C(101, 501, A, "b", port: 51001);
        t.Finish();
        Assert.AreEqual(3, t.Factory.Consumers.Count);
        Assert.AreEqual("a", t.Factory.Consumers[0].FromOriginator.ToString());
        Assert.AreEqual("b", t.Factory.Consumers[1].FromOriginator.ToString());
        Assert.AreEqual("[::1]:51000", t.Factory.Consumers[2].Info.Originator.ToString());
    }
}
