using System.Buffers.Binary;
using PcapTls.Capture.Encapsulations;

namespace PcapTls.Capture.Tests;

/// <summary>
/// IP fragment reassembly (RFC 791, RFC 8200 section 4.5, RFC 5722) on fragments cut from a whole packet byte by
/// byte, and every limit of <see cref="IpFragmentReassembler"/> reached by a hostile input. Real kernel-made
/// fragments (a VXLAN underlay with a small MTU) are in captures/tunnels/, checked by TunnelCaptureTests.
/// </summary>
[TestClass]
public sealed class FragmentReassemblyTests
{
    private static readonly byte[] Payload = [.. Enumerable.Range(0, 200).Select(i => (byte)i)];

    /// <summary>A whole IPv4/TCP packet (20-byte IPv4 header, 20-byte TCP header, then <see cref="Payload"/>).</summary>
    private static byte[] WholeIPv4(ushort id = 0x1234, byte lastSourceOctet = 1)
    {
        var p = new byte[20 + 20 + Payload.Length];
        p[0] = 0x45;                                                   // version 4, IHL 5
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length); // total length
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), id);        // identification
        p[8] = 64; p[9] = 6;                                           // TTL, protocol TCP
        p[12] = 10; p[15] = lastSourceOctet;                           // source 10.0.0.x
        p[16] = 10; p[19] = 2;                                         // destination 10.0.0.2
        WriteTcp(p.AsSpan(20));
        return p;
    }

    /// <summary>TCP 51000 -> 443, seq 7, ACK|PSH, data offset 5, then the payload.</summary>
    private static void WriteTcp(Span<byte> t)
    {
        BinaryPrimitives.WriteUInt16BigEndian(t, 51000);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], 443);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], 7);
        t[12] = 5 << 4;
        t[13] = 0x18;
        Payload.CopyTo(t[20..]);
    }

    /// <summary>Bytes [start, end) of the IPv4 packet's data as a fragment (offset in 8-byte units, MF unless last).</summary>
    private static byte[] IPv4Fragment(byte[] whole, int start, int end, bool? more = null, int? offsetUnits = null)
    {
        var data = whole.AsSpan(20 + start, end - start);
        var f = new byte[20 + data.Length];
        whole.AsSpan(0, 20).CopyTo(f);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(2), (ushort)f.Length);
        var mf = more ?? (20 + end < whole.Length);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(6), (ushort)((mf ? 0x2000 : 0) | (offsetUnits ?? start / 8)));
        data.CopyTo(f.AsSpan(20));
        return f;
    }

    /// <summary>An IPv6 packet (2001:db8::1 -> 2001:db8::2) carrying a Fragment header (next header TCP) and
    /// bytes [start, end) of the TCP segment.</summary>
    private static byte[] IPv6Fragment(byte[] tcpSegment, int start, int end, uint id = 99)
    {
        var f = new byte[40 + 8 + end - start];
        f[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(4), (ushort)(8 + end - start)); // payload length
        f[6] = 44; f[7] = 64;                                          // next header Fragment, hop limit
        f[8] = 0x20; f[9] = 0x01; f[10] = 0x0d; f[11] = 0xb8; f[23] = 1; // 2001:db8::1
        f[24] = 0x20; f[25] = 0x01; f[26] = 0x0d; f[27] = 0xb8; f[39] = 2; // 2001:db8::2
        f[40] = 6;                                                     // Fragment header: next header TCP
        var more = end < tcpSegment.Length;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(42), (ushort)((start / 8) << 3 | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(44), id);
        tcpSegment.AsSpan(start, end - start).CopyTo(f.AsSpan(48));
        return f;
    }

    private static (DecodeStatus Status, byte[] Payload, string Path) Feed(IpFragmentReassembler r, byte[] packet, LinkType link = LinkType.Ipv4, long ms = 1_000, long number = 1)
    {
        var status = r.Decode(new RawPacket(number, ms * 1_000_000, link, packet, packet.Length, 0), out var segment, out _);
        return status == DecodeStatus.Tcp ? (status, segment.Payload.ToArray(), segment.Path.ToString()) : (status, [], "");
    }

    [TestMethod]
    public void IPv4FragmentsOutOfOrderMakeTheWholeSegment()
    {
        var whole = WholeIPv4();
        var r = new IpFragmentReassembler();
        Assert.AreEqual(DecodeStatus.IpFragment, Feed(r, IPv4Fragment(whole, 96, 220)).Status);  // the last one first
        Assert.AreEqual(FragmentStatus.Held, r.LastStatus);
        Assert.AreEqual(DecodeStatus.IpFragment, Feed(r, IPv4Fragment(whole, 0, 48)).Status);
        var (status, payload, path) = Feed(r, IPv4Fragment(whole, 48, 96));
        Assert.AreEqual(DecodeStatus.Tcp, status);
        CollectionAssert.AreEqual(Payload, payload);
        Assert.AreEqual("ipv4", path);
        Assert.AreEqual(1, r.DatagramsCompleted);
        Assert.AreEqual(3, r.FragmentsSeen);
    }

    [TestMethod]
    public void IPv6FragmentHeaderIsRemovedAndItsNextHeaderTakesItsPlace()
    {
        var tcp = new byte[20 + Payload.Length];
        WriteTcp(tcp);
        var r = new IpFragmentReassembler();
        Assert.AreEqual(DecodeStatus.IpFragment, Feed(r, IPv6Fragment(tcp, 0, 104), LinkType.Ipv6).Status);
        var (status, payload, path) = Feed(r, IPv6Fragment(tcp, 104, tcp.Length), LinkType.Ipv6);
        Assert.AreEqual(DecodeStatus.Tcp, status);
        CollectionAssert.AreEqual(Payload, payload);
        Assert.AreEqual("ipv6", path);
    }

    [TestMethod]
    public void AnExactDuplicateIsIgnoredAndAnyOtherOverlapDiscardsTheDatagram()
    {
        var whole = WholeIPv4();
        var r = new IpFragmentReassembler();
        Feed(r, IPv4Fragment(whole, 0, 96));
        Feed(r, IPv4Fragment(whole, 0, 96));
        Assert.AreEqual(FragmentStatus.Duplicate, r.LastStatus);
        Assert.AreEqual(DecodeStatus.Tcp, Feed(r, IPv4Fragment(whole, 96, 220)).Status);

        var other = WholeIPv4(id: 7);
        Feed(r, IPv4Fragment(other, 0, 96));
        var forged = IPv4Fragment(other, 88, 220);                     // overlaps bytes 88-95 ...
        forged[20] ^= 0xFF;                                            // ... with other bytes (Teardrop, evasion)
        Assert.AreEqual(DecodeStatus.IpFragment, Feed(r, forged).Status);
        Assert.AreEqual(FragmentStatus.Dropped, r.LastStatus);
        Assert.AreEqual(FragmentDrop.Overlap, r.LastDrop);
        Assert.AreEqual(FragmentStatus.Held, Status(r, IPv4Fragment(other, 96, 220)), "the datagram was discarded: this starts a new one");
    }

    private static FragmentStatus Status(IpFragmentReassembler r, byte[] packet)
    {
        Feed(r, packet);
        return r.LastStatus;
    }

    [TestMethod]
    public void FragmentsOfTwoSourcesWithTheSameIdentificationDoNotMix()
    {
        var a = WholeIPv4(lastSourceOctet: 1);
        var b = WholeIPv4(lastSourceOctet: 9);
        var r = new IpFragmentReassembler();
        Feed(r, IPv4Fragment(a, 0, 96));
        Assert.AreEqual(FragmentStatus.Held, Status(r, IPv4Fragment(b, 96, 220)));
        Assert.AreEqual(DecodeStatus.Tcp, Feed(r, IPv4Fragment(a, 96, 220)).Status);
    }

    [TestMethod]
    public void ADatagramNotCompletedWithinTheTimeoutOfCaptureTimeIsDropped()
    {
        var whole = WholeIPv4();
        var r = new IpFragmentReassembler();
        Feed(r, IPv4Fragment(whole, 0, 96), ms: 1_000, number: 1);
        Feed(r, IPv4Fragment(whole, 96, 220), ms: 1_000 + (long)IpFragmentReassembler.Timeout.TotalMilliseconds + 1, number: 2);
        Assert.AreEqual(FragmentStatus.Held, r.LastStatus, "the first fragment expired; the last one waits alone");
        var expired = r.Expired.Single();
        Assert.AreEqual(1, expired.FirstPacket);
        Assert.AreEqual(FragmentDrop.Incomplete, expired.Reason);
        r.Expired.Clear();
        r.Finish();
        Assert.AreEqual(2, r.Expired.Single().FirstPacket, "what is pending at the end is reported too");
    }

    [TestMethod]
    public void MorePendingDatagramsThanTheLimitDropTheOldest()
    {
        var r = new IpFragmentReassembler();
        for (var i = 0; i <= IpFragmentReassembler.MaxPendingDatagrams; i++)
        {
            Feed(r, IPv4Fragment(WholeIPv4(id: (ushort)i), 0, 96), number: i + 1);
        }
        var dropped = r.Expired.Single();
        Assert.AreEqual(FragmentDrop.TooManyPending, dropped.Reason);
        Assert.AreEqual(1, dropped.FirstPacket);
    }

    [TestMethod]
    public void MoreFragmentsThanTheLimitForOneDatagramDiscardIt()
    {
        var whole = WholeIPv4();
        var r = new IpFragmentReassembler();
        FragmentStatus last = default;
        for (var i = 0; i <= IpFragmentReassembler.MaxFragmentsPerDatagram; i++)
        {
            // 8-byte fragments far apart (never completing): offsets 0, 8, 16, ... with MF set.
            var f = IPv4Fragment(whole, 0, 8, more: true, offsetUnits: i);
            last = Status(r, f);
            if (last == FragmentStatus.Dropped)
            {
                break;
            }
        }
        Assert.AreEqual(FragmentStatus.Dropped, last);
        Assert.AreEqual(FragmentDrop.TooManyFragments, r.LastDrop);
    }

    [TestMethod]
    public void ImpossibleOffsetsAndLengthsAreMalformedNotThrown()
    {
        var whole = WholeIPv4();
        var r = new IpFragmentReassembler();
        Feed(r, IPv4Fragment(whole, 0, 96, offsetUnits: 0x1FFF));     // offset 65,528 + 96 bytes > 65,535
        Assert.AreEqual(FragmentDrop.Malformed, r.LastDrop);
        Assert.AreEqual(1, r.Dropped[(int)FragmentDrop.Malformed]);
        Assert.AreEqual(FragmentStatus.Dropped, Status(r, IPv4Fragment(whole, 0, 7, more: true))); // MF, not one 8-octet block
        Assert.AreEqual(2, r.Dropped[(int)FragmentDrop.Malformed]);
        var tcp = new byte[20 + Payload.Length];
        WriteTcp(tcp);
        Feed(r, IPv6Fragment(tcp, 0, 100), LinkType.Ipv6);             // RFC 8200: M set and 100 is not a multiple of 8
        Assert.AreEqual(FragmentStatus.Dropped, r.LastStatus);
        Assert.AreEqual(3, r.Dropped[(int)FragmentDrop.Malformed]);
        var lastFragment = IPv4Fragment(whole, 96, 220);
        Feed(r, lastFragment);
        var shorter = IPv4Fragment(whole, 96, 200, more: false);       // two different ends for one datagram
        Assert.AreEqual(FragmentStatus.Dropped, Status(r, shorter));
        Assert.AreEqual(FragmentDrop.Overlap, r.LastDrop);
        Feed(r, IPv4Fragment(whole, 160, 220));                        // the datagram ends at 220 ...
        Feed(r, IPv4Fragment(whole, 0, 48));
        Assert.AreEqual(FragmentStatus.Dropped, Status(r, IPv4Fragment(whole, 0, 48, more: true, offsetUnits: 28)), "data beyond its end");
        Assert.AreEqual(FragmentDrop.Inconsistent, r.LastDrop);
        Feed(r, IPv4Fragment(whole, 160, 220));
        Assert.AreEqual(FragmentStatus.Dropped, Status(r, IPv4Fragment(whole, 0, 8, more: false, offsetUnits: 40)), "a second, other end");
        Assert.AreEqual(FragmentDrop.Inconsistent, r.LastDrop);
    }

    [TestMethod]
    public void AnIPv4FragmentNotOnAnEightOctetBoundaryKeepsItsWholeBlocks()
    {
        // RFC 791 only ever cuts on 8-octet boundaries; a receiver (Linux) keeps the whole blocks of one that is not.
        var whole = WholeIPv4();
        var r = new IpFragmentReassembler();
        Assert.AreEqual(FragmentStatus.Held, Status(r, IPv4Fragment(whole, 0, 53, more: true)));  // kept as 0-48
        var (status, payload, _) = Feed(r, IPv4Fragment(whole, 48, 220));
        Assert.AreEqual(DecodeStatus.Tcp, status);
        CollectionAssert.AreEqual(Payload, payload);
    }

    [TestMethod]
    public void AnIPv6AtomicFragmentIsAWholeDatagramOnItsOwn()
    {
        var tcp = new byte[20 + Payload.Length];
        WriteTcp(tcp);
        var r = new IpFragmentReassembler();
        Feed(r, IPv6Fragment(tcp, 0, 104), LinkType.Ipv6);             // pending, same identification
        var (status, payload, _) = Feed(r, IPv6Fragment(tcp, 0, tcp.Length), LinkType.Ipv6); // RFC 6946: offset 0, M clear
        Assert.AreEqual(DecodeStatus.Tcp, status);
        CollectionAssert.AreEqual(Payload, payload);
        var (next, rest, _) = Feed(r, IPv6Fragment(tcp, 104, tcp.Length), LinkType.Ipv6);
        Assert.AreEqual(DecodeStatus.Tcp, next, "the pending datagram was left alone and completes");
        CollectionAssert.AreEqual(Payload, rest);
    }

    [TestMethod]
    public void ManyFragmentsInAnyOrderMakeTheWholeSegment()
    {
        var whole = WholeIPv4();
        int[] order = [3, 0, 4, 2, 1];                                 // 5 fragments of 40 bytes, then 20
        var bounds = new[] { 0, 40, 80, 120, 160, 220 };
        var r = new IpFragmentReassembler();
        for (var i = 0; i < order.Length; i++)
        {
            var (status, payload, _) = Feed(r, IPv4Fragment(whole, bounds[order[i]], bounds[order[i] + 1]));
            Assert.AreEqual(i == order.Length - 1 ? DecodeStatus.Tcp : DecodeStatus.IpFragment, status, $"fragment {i}");
            if (status == DecodeStatus.Tcp)
            {
                CollectionAssert.AreEqual(Payload, payload);
            }
        }
    }

    [TestMethod]
    public void AFragmentCutByTheSnapshotLengthIsDroppedAsTruncated()
    {
        var f = IPv4Fragment(WholeIPv4(), 0, 96);
        var r = new IpFragmentReassembler();
        var status = r.Decode(new RawPacket(1, 0, LinkType.Ipv4, f.AsSpan(0, 60), f.Length, 0), out _, out _);
        Assert.AreEqual(DecodeStatus.IpFragment, status);
        Assert.AreEqual(FragmentDrop.Truncated, r.LastDrop);
    }

    [TestMethod]
    public void EveryTruncatedPrefixOfAFragmentIsAResultNotAnException()
    {
        var f = IPv6Fragment([.. new byte[20], .. Payload], 0, 104);
        for (var n = 0; n <= f.Length; n++)
        {
            var r = new IpFragmentReassembler();
            r.Decode(new RawPacket(1, 0, LinkType.Ipv6, f.AsSpan(0, n), f.Length, 0), out _, out _);
            r.Decode(new RawPacket(2, 0, LinkType.Ipv6, f.AsSpan(0, n), n, 0), out _, out _);
        }
    }
}
