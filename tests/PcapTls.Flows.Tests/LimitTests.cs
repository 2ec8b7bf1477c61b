using PcapTls.Flows;
using static PcapTls.Flows.Tests.FlowScript;

namespace PcapTls.Flows.Tests;

/// <summary>Each named limit in <see cref="FlowLimits"/>, reached by a hostile input, reported, and bounded.</summary>
[TestClass]
public sealed class LimitTests
{
    [TestMethod]
    public void MaxOutOfOrderSegmentsForcesAGap()
    {
        var t = new FlowScript(new FlowLimits { MaxOutOfOrderSegments = 4 });
        t.Handshake();
        t.C(103, 501, A, "a");                   // #4..#7: one byte each, a hole before each
        t.C(105, 501, A, "b");
        t.C(107, 501, A, "c");
        t.C(109, 501, A, "d");
        t.C(111, 501, A, "e");                   // #8: a fifth segment does not fit
        Assert.AreEqual("__a_b_c_d", t.Factory.Consumers[0].FromOriginator.ToString());
        Assert.AreEqual(1, t.Table.Statistics.OutOfOrderLimitHits);
        var limit = t.Factory.Anomalies.First(a => a.Kind == FlowAnomalyKind.OutOfOrderLimit);
        Assert.AreEqual(8, limit.PacketNumber);
        StringAssert.Contains(limit.Detail, "MaxOutOfOrderSegments 4");
        t.Finish();
        Assert.AreEqual("__a_b_c_d_e", t.Factory.Consumers[0].FromOriginator.ToString());
    }

    [TestMethod]
    public void MaxBufferedBytesPerDirectionForcesAGap()
    {
        var t = new FlowScript(new FlowLimits { MaxBufferedBytesPerDirection = 10 });
        t.Handshake();
        t.C(111, 501, A, "12345678");            // offset 10, buffered
        t.C(131, 501, A, "abcdefgh");            // 16 buffered bytes would exceed 10
        Assert.AreEqual(1, t.Table.Statistics.OutOfOrderLimitHits);
        Assert.IsTrue(t.Table.Statistics.PeakBufferedBytes <= 10, t.Table.Statistics.PeakBufferedBytes.ToString());
        t.Finish();
        Assert.AreEqual(new string('_', 10) + "12345678" + new string('_', 12) + "abcdefgh", t.Factory.Consumers[0].FromOriginator.ToString());
    }

    [TestMethod]
    public void ASegmentLargerThanTheBufferLimitIsDeliveredAfterAGap()
    {
        var t = new FlowScript(new FlowLimits { MaxBufferedBytesPerDirection = 4 });
        t.Handshake();
        t.C(103, 501, A, "too long");            // out of order and larger than the whole limit
        Assert.AreEqual("__too long", t.Factory.Consumers[0].FromOriginator.ToString());
        Assert.AreEqual(0, t.Table.Statistics.BufferedBytes);
    }

    [TestMethod]
    public void MaxBufferedBytesTotalIsSharedByAllConnections()
    {
        var t = new FlowScript(new FlowLimits { MaxBufferedBytesTotal = 10 });
        t.Handshake(51000);
        t.Handshake(51001);
        t.C(111, 501, A, "aaaaaa", port: 51000); // 6 bytes held
        t.C(111, 501, A, "bbbbbb", port: 51001); // 12 in total would exceed 10: this direction is flushed
        Assert.AreEqual(1, t.Table.Statistics.OutOfOrderLimitHits);
        Assert.AreEqual(6, t.Table.Statistics.BufferedBytes);
        Assert.AreEqual("__________bbbbbb", t.Factory.Consumers[1].FromOriginator.ToString());
    }

    [TestMethod]
    public void AFloodOfScatteredSegmentsStaysWithinTheLimits()
    {
        var limits = new FlowLimits { MaxBufferedBytesPerDirection = 64 * 1024, MaxOutOfOrderSegments = 64 };
        var t = new FlowScript(limits);
        t.Handshake();
        var random = new Random(7);
        var payload = new string('x', 1000);
        for (var i = 0; i < 20_000; i++)
        {
            t.C((uint)random.Next(), 501, A, payload);
            Assert.IsTrue(t.Table.Statistics.BufferedBytes <= limits.MaxBufferedBytesPerDirection);
        }
        Assert.IsTrue(t.Table.Statistics.PeakBufferedBytes <= limits.MaxBufferedBytesPerDirection);
        Assert.IsTrue(t.Table.Statistics.OutOfOrderLimitHits > 0);
        Assert.IsTrue(t.Factory.Anomalies.Count <= 2 * limits.MaxAnomaliesPerKind + 2, t.Factory.Anomalies.Count.ToString());
        t.Finish();
        Assert.AreEqual(0, t.Table.Statistics.BufferedBytes);
    }

    [TestMethod]
    public void MaxTrackedFlowsEvictsTheLeastRecentlyActive()
    {
        var t = new FlowScript(new FlowLimits { MaxTrackedFlows = 16 });
        for (ushort port = 40000; port < 40100; port++)
        {
            t.C(1, 0, S, port: port);            // a SYN flood: 100 connections
            Assert.IsTrue(t.Table.Statistics.ActiveFlows <= 16);
        }
        Assert.AreEqual(100, t.Table.Statistics.FlowsSeen);
        Assert.IsTrue(t.Table.Statistics.FlowsEvictedTableFull >= 84, t.Table.Statistics.FlowsEvictedTableFull.ToString());
        Assert.IsTrue(t.Factory.Anomalies.Any(a => a.Kind == FlowAnomalyKind.FlowTableFull));
        Assert.AreEqual(FlowEndReason.Evicted, t.Factory.Consumers[0].EndReason, "the oldest went first");
        Assert.IsNull(t.Factory.Consumers[^1].EndReason, "the newest is still tracked");
        t.Finish();
        Assert.IsTrue(t.Factory.Consumers.All(c => c.EndReason is not null), "every consumer gets its end");
    }

    [TestMethod]
    public void ClosedConnectionsMakeRoomBeforeLiveOnesAreEvicted()
    {
        var t = new FlowScript(new FlowLimits { MaxTrackedFlows = 2 });
        t.Handshake(50000);
        t.C(101, 501, R, port: 50000);           // closed, still in its grace period
        t.Handshake(50001);
        t.Handshake(50002);                      // the table is full: the closed one goes
        Assert.AreEqual(FlowEndReason.Closed, t.Factory.Consumers[0].EndReason);
        Assert.IsNull(t.Factory.Consumers[1].EndReason);
        Assert.AreEqual(0, t.Table.Statistics.FlowsEvictedTableFull);
    }

    [TestMethod]
    public void IdleConnectionsAreEvictedInCaptureTime()
    {
        var t = new FlowScript(new FlowLimits { IdleTimeout = TimeSpan.FromSeconds(10) });
        t.Handshake(50000);                      // goes quiet
        for (var i = 0; i < 40; i++)
        {
            t.NowMs += 1_000;
            t.C(101 + (uint)i, 501, A | P, "k", port: 50001);   // another connection keeps the clock moving
        }
        Assert.AreEqual(FlowEndReason.Evicted, t.Factory.Consumers[0].EndReason);
        Assert.IsNull(t.Factory.Consumers[1].EndReason);
        Assert.AreEqual(1, t.Table.Statistics.FlowsEvictedIdle);
        Assert.AreEqual(FlowAnomalyKind.IdleEvicted, t.Factory.Anomalies.Single(a => a.Kind != FlowAnomalyKind.MidstreamStart).Kind);
    }

    [TestMethod]
    public void AdvancingTheClockRetiresClosedAndIdleConnectionsWithoutPackets()
    {
        var t = new FlowScript(new FlowLimits { IdleTimeout = TimeSpan.FromSeconds(10), ClosedGracePeriod = TimeSpan.FromSeconds(2) });
        t.Handshake(50000);                                       // #1-#3, stays open
        t.Handshake(50001);                                       // #4-#6
        t.C(101, 501, R, port: 50001);                            // #7: closed
        t.Table.AdvanceClock((t.NowMs + 1_000) * 1_000_000, 7);   // within the grace period: nothing ends
        Assert.IsNull(t.Factory.Consumers[1].EndReason);
        t.Table.AdvanceClock((t.NowMs + 3_000) * 1_000_000, 7);
        Assert.AreEqual(FlowEndReason.Closed, t.Factory.Consumers[1].EndReason);
        Assert.IsNull(t.Factory.Consumers[0].EndReason);
        t.Table.AdvanceClock((t.NowMs + 60_000) * 1_000_000, 7);
        Assert.AreEqual(FlowEndReason.Evicted, t.Factory.Consumers[0].EndReason);
        Assert.AreEqual(0, t.Table.Statistics.ActiveFlows);
    }

    [TestMethod]
    public void ThousandsOfShortConnectionsStayBoundedByTheGracePeriod()
    {
        var t = new FlowScript();                                   // default limits: 1 s grace
        for (var i = 0; i < 20_000; i++)
        {
            var port = (ushort)(20_000 + i % 40_000);
            t.Handshake(port);
            t.C(101, 501, A | P, "hello", port: port);
            t.C(106, 501, F | A, port: port);
            t.Sv(501, 107, F | A, port: port);
            t.NowMs += 10;                                          // a new connection every ~16 ms of capture time
        }
        t.Finish();
        Assert.AreEqual(20_000, t.Table.Statistics.FlowsSeen);
        Assert.AreEqual(20_000, t.Table.Statistics.FlowsClosed);
        Assert.IsTrue(t.Table.Statistics.PeakActiveFlows < 400, t.Table.Statistics.PeakActiveFlows.ToString());
        Assert.IsTrue(t.Factory.Consumers.All(c => c.EndReason == FlowEndReason.Closed));
    }

    [TestMethod]
    public void AnomaliesPerKindAreCapped()
    {
        var t = new FlowScript(new FlowLimits { MaxAnomaliesPerKind = 3 });
        for (ushort port = 40000; port < 40010; port++)
        {
            t.C(1, 1, A | P, "x", port: port);      // ten mid-stream starts
        }
        CollectionAssert.AreEqual(
            new[] { FlowAnomalyKind.MidstreamStart, FlowAnomalyKind.MidstreamStart, FlowAnomalyKind.MidstreamStart, FlowAnomalyKind.AnomaliesSuppressed },
            t.Factory.Anomalies.Select(a => a.Kind).ToArray());
        Assert.AreEqual(7, t.Table.Statistics.AnomaliesSuppressed);
        Assert.AreEqual(10, t.Table.Statistics.MidstreamStarts);
    }
}
