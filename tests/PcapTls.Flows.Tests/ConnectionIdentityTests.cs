using PcapTls.Capture;
using PcapTls.Flows;
using static PcapTls.Flows.Tests.FlowScript;

namespace PcapTls.Flows.Tests;

/// <summary>
/// Which segments are one TCP connection (RFC 9293: a connection is its socket pair from the opening SYN until
/// TIME-WAIT ends; only a SYN with a new initial sequence number starts another incarnation). Each test is the
/// pattern of one of Arkime's public captures where the count once differed from tshark's, packet by packet.
/// </summary>
[TestClass]
public sealed class ConnectionIdentityTests
{
    [TestMethod]
    public void AConnectionQuietLongerThanTheIdleTimeoutIsStillOneConnection()
    {
        // long-session.pcap: handshake, 908 s of silence, 5 bytes, RST.
        var t = new FlowScript(new FlowLimits { IdleTimeout = TimeSpan.FromMinutes(5) });
        t.Handshake();                                   // #1-#3
        t.NowMs += 908_000;
        t.C(101, 501, A | P, "GET /");                   // #4: the idle sweep let it go first; it continues
        t.Sv(501, 0, R);                                 // #5
        t.Finish();
        Assert.AreEqual(1, t.Table.Statistics.FlowsSeen, "one connection");
        Assert.AreEqual(1, t.Table.Statistics.FlowsEvictedIdle);
        Assert.AreEqual(1, t.Table.Statistics.FlowsResumed);
        Assert.AreEqual(2, t.Factory.Consumers.Count, "the continuation gets a consumer of its own");
        var continuation = t.Factory.Consumers[1].Info;
        Assert.IsTrue(continuation.Continues);
        Assert.AreEqual(Client(), continuation.Originator, "the originator is the one that sent the SYN, not guessed by ports");
        Assert.AreEqual("GET /", t.Factory.Consumers[1].FromOriginator.ToString());
        Assert.AreEqual(4, t.Factory.Anomalies.Single(a => a.Kind == FlowAnomalyKind.ResumedAfterEviction).PacketNumber);
        Assert.AreEqual(0, t.Factory.Anomalies.Count(a => a.Kind == FlowAnomalyKind.MidstreamStart));
    }

    [TestMethod]
    public void ATimestampJumpOfDecadesDoesNotSplitAConnection()
    {
        // y2038-bgp.pcap: the third frame's timestamp is past 2038 (a pcap ts_sec is unsigned 32-bit), the fourth
        // is back in 2009: the clock jump makes the idle sweep let the connection go, and its next data resumes it.
        var t = new FlowScript();
        t.NowMs = 1_259_261_324_435;
        t.Sv(142397989, 2672392075, S | A, port: 25820);
        t.Sv(142397990, 2672392120, A | P, new string('o', 45), port: 25820);
        t.NowMs = 2_164_247_948_451;
        t.Sv(142398035, 2672392120, A | P, new string('k', 19), port: 25820);
        t.NowMs = 1_259_261_324_451;
        t.C(2672392120, 142398035, A | P, new string('u', 19), port: 25820);
        t.Finish();
        Assert.AreEqual(1, t.Table.Statistics.FlowsSeen);
        Assert.AreEqual(2, t.Factory.Consumers.Count);
        Assert.IsTrue(t.Factory.Consumers[1].Info.Continues);
        Assert.AreEqual(new string('u', 19), t.Factory.Consumers[1].FromOriginator.ToString());
    }

    [TestMethod]
    public void RetransmissionsAfterBothFinsBelongToTheClosedConnection()
    {
        // CVE-2018-6794.pcap: the server's FIN is acknowledged, the client's data and FIN never are, so the client
        // retransmits them for seconds after our close (FIN both ways), long past the 1 s grace period.
        var t = new FlowScript();
        t.Handshake();                                   // #1-#3
        t.Sv(501, 101, A | P, "banner");                 // #4
        t.Sv(507, 101, A | F);                           // #5
        t.C(101, 508, A);                                // #6
        t.C(101, 508, A | P, "request");                 // #7
        t.C(108, 508, A | F);                            // #8: FIN both ways
        foreach (var wait in new[] { 300, 900, 1_500, 4_000, 8_000, 19_000 })
        {
            t.NowMs += wait;
            t.C(101, 508, A | P | F, "request");         // retransmitted data + FIN
        }
        t.C(109, 508, A | R);                            // the client gives up
        t.Finish();
        Assert.AreEqual(1, t.Table.Statistics.FlowsSeen);
        Assert.AreEqual(1, t.Factory.Consumers.Count);
        Assert.IsTrue(t.Table.Statistics.SegmentsAfterClose >= 4, t.Table.Statistics.SegmentsAfterClose.ToString());
    }

    [TestMethod]
    public void TimeWaitEndsAfterTwoMaximumSegmentLifetimes()
    {
        var t = new FlowScript(new FlowLimits { TimeWait = TimeSpan.FromMinutes(4) });
        t.Handshake();
        t.C(101, 501, A | F);
        t.Sv(501, 102, A | F);
        t.NowMs += 239_000;
        t.C(101, 502, A | P | F, "x");                   // within TIME-WAIT: the closed connection's
        t.NowMs += 2_000;
        t.C(101, 502, A | P, "late");                    // past it: seen as a connection of its own, mid-stream
        t.Finish();
        Assert.AreEqual(2, t.Table.Statistics.FlowsSeen);
        Assert.AreEqual(1, t.Table.Statistics.SegmentsAfterClose);
        Assert.IsFalse(t.Factory.Consumers[1].Info.SawSyn);
    }

    [TestMethod]
    public void ASynCapturedAfterItsSynAckIsTheSameConnection()
    {
        // tcp_handshake_synthetic.pcap frames 42-44: the SYN/ACK is captured before the SYN it answers.
        var t = new FlowScript();
        t.Sv(21000, 20001, S | A, port: 40012);
        t.C(20000, 0, S, port: 40012);                   // ISN 20000 = the SYN/ACK's acknowledgment minus one
        t.C(20001, 21001, A, port: 40012);
        t.Finish();
        Assert.AreEqual(1, t.Table.Statistics.FlowsSeen);
    }

    [TestMethod]
    public void ALateCopyOfTheOpeningSynAfterTheCloseIsNotANewConnection()
    {
        // tcp-reassembly-synthetic.pcap frames 94-101: a connection seen from its SYN/ACK, closed, then its SYN.
        var t = new FlowScript();
        t.Sv(31000, 30001, S | A, port: 40009);
        t.C(30001, 31001, A, port: 40009);
        t.C(30040, 31024, A | F, port: 40009);
        t.Sv(31024, 30041, A | F, port: 40009);
        t.C(30041, 31025, A, port: 40009);
        t.C(30000, 0, S, port: 40009);                   // within the grace period
        t.NowMs += 5_000;
        t.C(30000, 0, S, port: 40009);                   // and after it, in TIME-WAIT
        t.Finish();
        Assert.AreEqual(1, t.Table.Statistics.FlowsSeen);
        Assert.AreEqual(1, t.Table.Statistics.SegmentsAfterClose);
    }

    [TestMethod]
    public void ASynWithANewIsnAfterTheCloseIsANewConnectionEvenInTimeWait()
    {
        var t = new FlowScript();
        t.Handshake();
        t.C(101, 501, A | F);
        t.Sv(501, 102, A | F);
        t.NowMs += 5_000;
        t.C(9000, 0, S);
        t.Sv(7000, 9001, S | A);
        t.Finish();
        Assert.AreEqual(2, t.Table.Statistics.FlowsSeen);
        Assert.IsTrue(t.Factory.Consumers[1].Info.SawSyn);
        Assert.IsFalse(t.Factory.Consumers[1].Info.Continues);
    }

    [TestMethod]
    public void FlagsWithoutAckOnANewFourTupleAreAConnectionSeen()
    {
        // arkime_synthetic.pcap frames 521 and 524: a lone URG and a lone PSH (scan probes), 0 bytes, no ACK.
        var t = new FlowScript();
        t.C(1, 0, TcpFlags.Urg, port: 58001);
        t.C(1, 0, P, port: 58004);
        t.C(1, 1, A, port: 58005);                       // a bare ACK is still nothing
        t.C(1, 1, A | P, port: 58006);                   // nor with PSH
        t.Finish();
        Assert.AreEqual(2, t.Table.Statistics.FlowsSeen);
        Assert.AreEqual(2, t.Table.Statistics.SegmentsIgnored);
    }

    [TestMethod]
    public void AKeepAliveOnAnIdleEvictedConnectionDoesNotResumeIt()
    {
        var t = new FlowScript(new FlowLimits { IdleTimeout = TimeSpan.FromSeconds(10) });
        t.Handshake();
        t.NowMs += 60_000;
        t.C(100, 501, A, "\0");                          // keep-alive probe: one stale byte
        t.C(101, 501, A);
        Assert.AreEqual(1, t.Factory.Consumers.Count);
        t.C(101, 501, A | P, "more");                    // data: the connection continues
        t.Finish();
        Assert.AreEqual(2, t.Factory.Consumers.Count);
        Assert.AreEqual("more", t.Factory.Consumers[1].FromOriginator.ToString());
        Assert.AreEqual(1, t.Table.Statistics.FlowsSeen);
    }

    [TestMethod]
    public void RetiredConnectionsRememberedAreBounded()
    {
        // MaxRetiredConnectionsRemembered: the oldest is forgotten, so its late segment is a connection again.
        var t = new FlowScript(new FlowLimits { MaxRetiredConnectionsRemembered = 8 });
        for (ushort p = 30000; p < 30020; p++)
        {
            t.Handshake(p);
            t.C(101, 501, A | R, port: p);
            t.NowMs += 2_000;                            // past the grace period: each retires in turn
        }
        t.C(101, 501, A | P, "x", port: 30019);          // remembered: TIME-WAIT
        t.C(101, 501, A | P, "x", port: 30000);          // forgotten: a mid-stream connection of its own
        t.Finish();
        Assert.AreEqual(21, t.Table.Statistics.FlowsSeen);
        Assert.AreEqual(1, t.Table.Statistics.SegmentsAfterClose);
    }

    [TestMethod]
    public void ARetiredConnectionInOneVlanDoesNotAbsorbAnotherTenantsSegments()
    {
        var factory = new RecordingFactory();
        var table = new TcpFlowTable(factory, FlowLimits.Default, factory);
        var glue = new CaptureToFlows(table);
        var n = 0L;
        void Send(ushort vlan, long ms, uint seq, uint ack, TcpFlags flags, string payload = "")
        {
            var frame = VlanFrame(vlan, seq, ack, flags, System.Text.Encoding.ASCII.GetBytes(payload));
            glue.OnPacket(new RawPacket(++n, ms * 1_000_000, LinkType.Ethernet, frame, frame.Length, 0));
        }
        Send(10, 1_000, 100, 0, S);
        Send(10, 1_001, 101, 0, A | R);                  // VLAN 10's connection closes
        Send(10, 4_000, 101, 501, A | P, "z");           // VLAN 10 again: the closed connection's late segment
        Send(20, 4_001, 101, 501, A | P, "y");           // VLAN 20, same inner addresses: another tenant
        glue.Finish();
        Assert.AreEqual(4, glue.TcpSegments);
        Assert.AreEqual(2, table.Statistics.FlowsSeen);
        Assert.AreEqual(1, table.Statistics.SegmentsAfterClose);
        Assert.AreEqual("ethernet/vlan 20/ipv4", factory.Consumers[1].Info.Path);
    }

    /// <summary>Ethernet (14) / 802.1Q tag (4) / IPv4 (20, 10.0.0.1 -> 10.0.0.2, protocol 6) / TCP (20, 51000 -> 443).</summary>
    private static byte[] VlanFrame(ushort vlan, uint seq, uint ack, TcpFlags flags, byte[] payload)
    {
        var f = new byte[14 + 4 + 20 + 20 + payload.Length];
        f[12] = 0x81; f[13] = 0x00;                                   // TPID 802.1Q
        f[14] = (byte)(vlan >> 8); f[15] = (byte)vlan;                // PCP 0, DEI 0, VLAN id
        f[16] = 0x08; f[17] = 0x00;                                   // EtherType IPv4
        var ip = 18;
        f[ip] = 0x45;                                                 // version 4, IHL 5
        var total = 20 + 20 + payload.Length;
        f[ip + 2] = (byte)(total >> 8); f[ip + 3] = (byte)total;
        f[ip + 8] = 64; f[ip + 9] = 6;                                // TTL, protocol TCP
        f[ip + 12] = 10; f[ip + 15] = 1;                              // 10.0.0.1
        f[ip + 16] = 10; f[ip + 19] = 2;                              // 10.0.0.2
        var tcp = ip + 20;
        f[tcp] = 51000 >> 8; f[tcp + 1] = 51000 & 0xFF;
        f[tcp + 2] = 443 >> 8; f[tcp + 3] = 443 & 0xFF;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(tcp + 4), seq);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(tcp + 8), ack);
        f[tcp + 12] = 5 << 4;                                         // data offset 5 words
        f[tcp + 13] = (byte)flags;
        f[tcp + 14] = 0xFF; f[tcp + 15] = 0xFF;                       // window
        payload.CopyTo(f, tcp + 20);
        return f;
    }
}
