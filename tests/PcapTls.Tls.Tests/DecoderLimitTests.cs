using System.Text;
using PcapTls.Tls;

namespace PcapTls.Tls.Tests;

/// <summary>Each limit of <see cref="TlsLimits"/> hit by a hostile input: an anomaly, the side stops, nothing grows.</summary>
[TestClass]
public sealed class DecoderLimitTests
{
    private static readonly TlsPosition P = new(7, 0);

    private static void AssertStoppedAfter(RecordingSink sink, TlsConnectionDecoder d, int side, TlsAnomalyKind kind)
    {
        var anomaly = sink.Anomalies.Single().Anomaly;
        Assert.AreEqual(kind, anomaly.Kind);
        Assert.AreEqual(7, anomaly.PacketNumber);
        Assert.IsTrue(d.IsStopped(side));
        var lines = sink.Lines.Count;
        d.Feed(side, Hex.Record(21, Hex.Parse("0230")), P);
        Assert.AreEqual(lines, sink.Lines.Count, "a stopped side reports nothing more");
    }

    [TestMethod]
    public void DefaultsAreTheDocumentedValues()
    {
        Assert.AreEqual(16384 + 2048, TlsLimits.Default.MaxRecordLength);
        Assert.AreEqual(1 << 20, TlsLimits.Default.MaxHandshakeMessageLength);
        Assert.AreEqual(64, TlsLimits.Default.MaxCertificates);
        Assert.AreEqual(512 * 1024, TlsLimits.Default.MaxCertificateLength);
        Assert.AreEqual(16 << 20, TlsLimits.Default.MaxHandshakeBytesPerConnection);
    }

    [TestMethod]
    public void RecordLongerThanTls12AllowsStopsTheSide()
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        // Header claims 18433 bytes: one more than 2^14 + 2048. Only the header is sent: nothing is buffered for it.
        d.Feed(1, Hex.Parse("17 0303 4801"), P);
        AssertStoppedAfter(sink, d, 1, TlsAnomalyKind.RecordTooLarge);
        StringAssert.Contains(sink.Anomalies[0].Anomaly.Detail, "18433");
    }

    [TestMethod]
    public void RecordAtTheLimitIsAccepted()
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        d.Feed(1, Hex.Record(22, SampleMessages.ServerHello12), P);
        d.Feed(1, Hex.Record(23, new byte[TlsLimits.DefaultMaxRecordLength]), P);
        Assert.AreEqual(0, sink.Anomalies.Count);
        CollectionAssert.Contains(sink.Lines, "1 application_data 18432");
    }

    [TestMethod]
    public void HandshakeMessageTooLarge()
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink, new TlsLimits { MaxHandshakeMessageLength = 1000 });
        // A Certificate header announcing 16 MiB - 1 bytes: refused from its header, before any body arrives.
        d.Feed(1, Hex.Record(22, Hex.Parse("0B FFFFFF 00")), P);
        AssertStoppedAfter(sink, d, 1, TlsAnomalyKind.HandshakeMessageTooLarge);
    }

    [TestMethod]
    public void HandshakeMessageAnnouncedInTheSecondRecordIsCheckedToo()
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink, new TlsLimits { MaxHandshakeMessageLength = 1000 });
        d.Feed(1, Hex.Record(22, Hex.Parse("0B 00")), P);
        Assert.AreEqual(0, sink.Anomalies.Count);
        d.Feed(1, Hex.Record(22, Hex.Parse("1000 00")), P);
        AssertStoppedAfter(sink, d, 1, TlsAnomalyKind.HandshakeMessageTooLarge);
    }

    [TestMethod]
    public void HugeMessageSpreadOverRecordsStaysUnderTheLimit()
    {
        // A 1000-byte limit and a 999-byte message in 100 records: accepted.
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink, new TlsLimits { MaxHandshakeMessageLength = 1000 });
        var message = Hex.Handshake(4, new byte[999]);
        foreach (var chunk in message.Chunk(10))
        {
            d.Feed(1, Hex.Record(22, chunk), P);
        }
        Assert.AreEqual(0, sink.Anomalies.Count);
        CollectionAssert.Contains(sink.Lines, "1 message new_session_ticket 999");
    }

    [TestMethod]
    public void MessageOverManyRecordsSaysHowManyCarriedIt()
    {
        // A ServerHello and the first 10 bytes of a 999-byte NewSessionTicket in one record, the rest in 99 more:
        // the ticket was carried by 100 records; the ServerHello and the Finished after it by one each.
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        var message = Hex.Handshake(4, new byte[999]);
        var chunks = message.Chunk(10).ToArray();
        d.Feed(1, Hex.Record(22, Hex.Concat(SampleMessages.ServerHello12, chunks[0])), P);
        foreach (var chunk in chunks[1..^1])
        {
            d.Feed(1, Hex.Record(22, chunk), P);
        }
        // Before the end, each record's count is an estimate at its own size: the first record (ServerHello and 10
        // bytes of the ticket) gives a low one; from the second on, records of 10 bytes give the exact count.
        Assert.AreEqual(chunks.Length - 1, sink.Fragments.Count);
        Assert.AreEqual(1, sink.Fragments[0].Index);
        Assert.AreEqual((1, TlsHandshakeType.NewSessionTicket, 999, 2, chunks.Length), sink.Fragments[1]);
        Assert.AreEqual((1, TlsHandshakeType.NewSessionTicket, 999, 50, chunks.Length), sink.Fragments[49]);
        d.Feed(1, Hex.Record(22, Hex.Concat(chunks[^1], Hex.Handshake(20, new byte[12]))), P);
        Assert.AreEqual((1, TlsHandshakeType.NewSessionTicket, 999, chunks.Length, chunks.Length), sink.Fragments[^1]);
        Assert.AreEqual(chunks.Length, sink.Fragments.Count, "the ServerHello and the Finished were carried by one record each");
        Assert.AreEqual(0, sink.Anomalies.Count);
    }

    [TestMethod]
    public void HandshakeBytesPerConnectionLimitStopsTheSide()
    {
        // 3 messages of 400 bytes under a 1000-byte connection limit: the third passes the limit, on the other side
        // than the first two (the bound counts both sides).
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink, new TlsLimits { MaxHandshakeBytesPerConnection = 1000 });
        var message = Hex.Record(22, Hex.Handshake(4, new byte[396]));
        d.Feed(0, message, P);
        d.Feed(0, message, P);
        Assert.AreEqual(0, sink.Anomalies.Count);
        d.Feed(1, message, P);
        AssertStoppedAfter(sink, d, 1, TlsAnomalyKind.HandshakeBytesPerConnectionExceeded);
        StringAssert.Contains(sink.Anomalies[0].Anomaly.Detail, "more than 1000 bytes");
    }

    [TestMethod]
    public void CertificateOfAHundredKilobytesIsAccepted()
    {
        // One 100,000-byte certificate (big extensions exist) in 7 records: kept whole, not dropped as too large.
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        var der = new byte[100_000];
        der[0] = 0x30;
        var list = Hex.Concat([0x01, 0x86, 0xA3], [0x01, 0x86, 0xA0], der);   // 100,003-byte list, one 100,000-byte entry
        var message = Hex.Handshake(11, list);
        d.Feed(1, Hex.Record(22, SampleMessages.ServerHello12), P);
        foreach (var chunk in message.Chunk(16384))
        {
            d.Feed(1, Hex.Record(22, chunk), P);
        }
        Assert.AreEqual(0, sink.Anomalies.Count);
        Assert.AreEqual(100_000, sink.Certificates.Single().Message.Certificates[0].Length);
        Assert.AreEqual((1, TlsHandshakeType.Certificate, 100_006, 7, 7), sink.Fragments[^1]);
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4, 5, 6, 7 }, sink.Fragments.Select(f => f.Index).ToArray());
    }

    [TestMethod]
    public void TooManyCertificates()
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        // 65 certificates of one byte each: certificate_list = 65 * (3 + 1) bytes.
        var list = Enumerable.Range(0, 65).SelectMany(_ => Hex.Parse("000001 30")).ToArray();
        var body = Hex.Concat([(byte)(list.Length >> 16), (byte)(list.Length >> 8), (byte)list.Length], list);
        d.Feed(1, Hex.Concat(Hex.Record(22, SampleMessages.ServerHello12), Hex.Record(22, Hex.Handshake(11, body))), P);
        AssertStoppedAfter(sink, d, 1, TlsAnomalyKind.TooManyCertificates);
        Assert.AreEqual(0, sink.Certificates.Count);
        StringAssert.Contains(sink.Anomalies[0].Anomaly.Detail, "65 certificates");
    }

    [TestMethod]
    public void SixtyFourCertificatesAreAccepted()
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        var list = Enumerable.Range(0, 64).SelectMany(_ => Hex.Parse("000001 30")).ToArray();
        var body = Hex.Concat([0, 1, 0], list);
        d.Feed(1, Hex.Concat(Hex.Record(22, SampleMessages.ServerHello12), Hex.Record(22, Hex.Handshake(11, body))), P);
        Assert.AreEqual(64, sink.Certificates.Single().Message.Certificates.Count);
    }

    [TestMethod]
    public void CertificateTooLarge()
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink, new TlsLimits { MaxCertificateLength = 100 });
        var der = new byte[101];
        var body = Hex.Concat(Hex.Parse("000068 000065"), der);   // list of 104 bytes: one 101-byte certificate
        d.Feed(1, Hex.Concat(Hex.Record(22, SampleMessages.ServerHello12), Hex.Record(22, Hex.Handshake(11, body))), P);
        AssertStoppedAfter(sink, d, 1, TlsAnomalyKind.CertificateTooLarge);
    }

    [TestMethod]
    public void StartTlsPreambleTooLong()
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink, new TlsLimits { MaxPlaintextPreamble = 4096 });
        d.Feed(1, Encoding.ASCII.GetBytes("220 mail.example.com ESMTP\r\n"), P);
        var line = Encoding.ASCII.GetBytes("250-AUTH PLAIN LOGIN\r\n");
        for (var i = 0; i < 400; i++)
        {
            d.Feed(1, line, P);
        }
        AssertStoppedAfter(sink, d, 1, TlsAnomalyKind.PreambleTooLong);
        Assert.AreEqual("220 mail.example.com ESMTP..250-AUTH PLAIN LOGIN..250-AUTH PLAIN", sink.NotTls.Single().Preview);
    }

    [TestMethod]
    public void UndecidableFirstBytesAreDecidedWithinTheWindow()
    {
        // A BER SEQUENCE whose long length form points far away: the classifier must not wait forever.
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        var data = Hex.Concat(Hex.Parse("30 FF"), new byte[200]);
        foreach (var b in data)
        {
            d.Feed(0, new[] { b }, P);
        }
        Assert.IsNull(d.StartTlsProtocol(0), "decided as plaintext nobody knows");
        d.EndOfStream(0, P);
        Assert.AreEqual(1, sink.NotTls.Count);
    }
}
