using System.Text;
using PcapTls.Tls;
using PcapTls.Tls.Preambles;

namespace PcapTls.Tls.Tests;

[TestClass]
public sealed class DecoderTests
{
    private static readonly byte[] ServerHelloDone = Hex.Parse("0E 000000");

    private static (RecordingSink Sink, TlsConnectionDecoder Decoder) NewDecoder(TlsLimits? limits = null)
    {
        var sink = new RecordingSink();
        return (sink, new TlsConnectionDecoder(sink, limits));
    }

    private static readonly TlsPosition P1 = new(1, 100);

    [TestMethod]
    public void SeveralMessagesInOneRecord()
    {
        var (sink, d) = NewDecoder();
        d.Feed(1, Hex.Record(22, Hex.Concat(SampleMessages.ServerHello12, SampleMessages.Certificate12, ServerHelloDone)), P1);
        CollectionAssert.AreEqual(new[]
        {
            "1 record handshake TLS 1.2 " + (SampleMessages.ServerHello12.Length + SampleMessages.Certificate12.Length + 4),
            "1 message server_hello 54",
            "1 server_hello TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "1 message certificate 14",
            "1 certificates 2",
            "1 message server_hello_done 0",
        }, sink.Lines);
        Assert.AreEqual(0, d.ClientSide);
        Assert.AreEqual((ushort)0x0303, d.NegotiatedVersion);
        Assert.AreEqual((ushort)0xC02F, d.CipherSuite);
    }

    [TestMethod]
    public void MessageSplitAcrossManyRecords()
    {
        var messages = Hex.Concat(SampleMessages.ServerHello12, SampleMessages.Certificate12, ServerHelloDone);
        for (var fragment = 1; fragment <= 9; fragment++)
        {
            var (sink, d) = NewDecoder();
            var stream = messages.Chunk(fragment).SelectMany(c => Hex.Record(22, c)).ToArray();
            d.Feed(1, stream, P1);
            d.EndOfStream(1, P1);
            CollectionAssert.AreEqual(new[]
            {
                "1 message server_hello 54",
                "1 server_hello TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "1 message certificate 14",
                "1 certificates 2",
                "1 message server_hello_done 0",
            }, sink.Events.ToArray(), $"fragments of {fragment} bytes");
        }
    }

    [TestMethod]
    public void CoalescedRecordsFedByteByByte()
    {
        var stream = Hex.Concat(
            Hex.Record(22, SampleMessages.ServerHello12),
            Hex.Record(22, SampleMessages.Certificate12),
            Hex.Record(22, ServerHelloDone),
            Hex.Record(21, Hex.Parse("0230")));
        var (whole, d1) = NewDecoder();
        d1.Feed(1, stream, P1);
        var (bytewise, d2) = NewDecoder();
        for (var i = 0; i < stream.Length; i++)
        {
            d2.Feed(1, stream.AsSpan(i, 1), new TlsPosition(i, 0));
        }
        CollectionAssert.AreEqual(whole.Lines, bytewise.Lines);
        Assert.AreEqual(new TlsAlert(TlsAlertLevel.Fatal, 48, false), bytewise.Alerts.Single().Alert);
        // The alert is reported at the packet that completed it (its last byte).
        Assert.AreEqual(stream.Length - 1, bytewise.Alerts.Single().Packet);
    }

    [TestMethod]
    public void MessageIsReportedAtThePacketOfItsLastByte()
    {
        // The Certificate spans two records; the second record is cut over packets 12 and 13.
        var cert = SampleMessages.Certificate12;
        var whole = Hex.Record(22, cert[7..]);
        var positions = new List<long>();
        var tracking = new PositionSink(positions);
        var d2 = new TlsConnectionDecoder(tracking);
        d2.Feed(1, Hex.Record(22, SampleMessages.ServerHello12), new TlsPosition(10, 0));
        d2.Feed(1, Hex.Record(22, cert[..7]), new TlsPosition(11, 0));
        d2.Feed(1, whole[..3], new TlsPosition(12, 0));
        d2.Feed(1, whole[3..], new TlsPosition(13, 0));
        CollectionAssert.AreEqual(new long[] { 10, 13 }, positions);
    }

    /// <summary>Keeps only the packet numbers of OnServerHello and OnCertificate.</summary>
    private sealed class PositionSink(List<long> positions) : ITlsEventSink
    {
        public void OnRecord(int side, TlsContentType type, ushort version, int length, TlsPosition position) { }
        public void OnClientHello(int side, ClientHelloInfo hello, TlsPosition position) { }
        public void OnServerHello(int side, ServerHelloInfo hello, TlsPosition position) => positions.Add(position.PacketNumber);
        public void OnCertificate(int side, CertificateMessage message, TlsPosition position) => positions.Add(position.PacketNumber);
        public void OnCertificateRequest(int side, CertificateRequestInfo request, TlsPosition position) { }
        public void OnHandshakeMessage(int side, TlsHandshakeType type, int length, bool decrypted, TlsPosition position) { }
        public void OnChangeCipherSpec(int side, TlsPosition position) { }
        public void OnEncryptedRecord(int side, TlsContentType outerType, int length, TlsPosition position) { }
        public void OnAlert(int side, TlsAlert alert, TlsPosition position) { }
        public void OnApplicationData(int side, int length, TlsPosition position) { }
        public void OnNotTls(int side, string firstBytesPreview, TlsPosition position) { }
        public void OnAnomaly(int side, TlsAnomaly anomaly) { }
    }

    [TestMethod]
    public void TwoAlertsInOneRecord()
    {
        var (sink, d) = NewDecoder();
        d.Feed(0, Hex.Record(21, Hex.Parse("0100 0230")), P1);
        Assert.AreEqual(2, sink.Alerts.Count);
        Assert.AreEqual(new TlsAlert(TlsAlertLevel.Warning, 0, false), sink.Alerts[0].Alert);
        Assert.AreEqual(new TlsAlert(TlsAlertLevel.Fatal, 48, false), sink.Alerts[1].Alert);
    }

    [TestMethod]
    public void OddAlertRecordIsAnAnomaly()
    {
        var (sink, d) = NewDecoder();
        d.Feed(0, Hex.Record(21, Hex.Parse("023000")), P1);
        Assert.AreEqual(0, sink.Alerts.Count);
        Assert.AreEqual(TlsAnomalyKind.MalformedRecord, sink.Anomalies.Single().Anomaly.Kind);
    }

    [TestMethod]
    public void Tls12EncryptedAlertAfterChangeCipherSpec()
    {
        var (sink, d) = NewDecoder();
        d.Feed(1, Hex.Record(22, SampleMessages.ServerHello12), P1);
        d.Feed(0, Hex.Concat(Hex.Record(20, [1]), Hex.Record(22, Hex.Repeat(0x5A, 40)), Hex.Record(21, Hex.Repeat(0x33, 26))), P1);
        CollectionAssert.AreEqual(new[]
        {
            "0 ccs",
            "0 encrypted handshake 40",
            "0 message finished 40",
            "0 alert ? encrypted",
        }, sink.Events.Skip(2).ToArray());
        Assert.AreEqual(new TlsAlert(null, null, true), sink.Alerts.Single().Alert);
    }

    [TestMethod]
    public void Tls13MiddleboxChangeCipherSpecChangesNothing()
    {
        var (sink, d) = NewDecoder();
        d.Feed(0, Hex.Record(22, SampleMessages.ClientHello13, 0x0301), P1);
        d.Feed(1, Hex.Concat(Hex.Record(22, SampleMessages.ServerHello13), Hex.Record(20, [1]), Hex.Record(23, Hex.Repeat(1, 50))), P1);
        d.Feed(0, Hex.Concat(Hex.Record(20, [1]), Hex.Record(23, Hex.Repeat(2, 30)), Hex.Record(21, Hex.Parse("0230"))), P1);
        Assert.IsTrue(d.IsTls13);
        CollectionAssert.AreEqual(Hex.Repeat(0xAA, 32), d.ClientRandom);
        CollectionAssert.Contains(sink.Lines, "1 encrypted application_data 50");
        CollectionAssert.Contains(sink.Lines, "0 encrypted application_data 30");
        // A plaintext alert after the client's CCS stays plaintext in TLS 1.3 (OpenSSL sends them so).
        Assert.AreEqual(new TlsAlert(TlsAlertLevel.Fatal, 48, false), sink.Alerts.Single().Alert);
        Assert.AreEqual(2, sink.Lines.Count(l => l.EndsWith(" ccs", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void EarlyDataBeforeTheServerHelloIsEncrypted()
    {
        var (sink, d) = NewDecoder();
        d.Feed(0, Hex.Concat(Hex.Record(22, SampleMessages.ClientHello13), Hex.Record(20, [1]), Hex.Record(23, Hex.Repeat(3, 20))), P1);
        CollectionAssert.Contains(sink.Lines, "0 encrypted application_data 20");
    }

    [TestMethod]
    public void Tls12ApplicationData()
    {
        var (sink, d) = NewDecoder();
        d.Feed(1, Hex.Concat(Hex.Record(22, SampleMessages.ServerHello12), Hex.Record(23, Hex.Repeat(3, 20))), P1);
        CollectionAssert.Contains(sink.Lines, "1 application_data 20");
    }

    [TestMethod]
    public void ServerSideIsLearnedFromTheServerHelloWithoutAClientHello()
    {
        var (_, d) = NewDecoder();
        d.Feed(0, Hex.Record(22, SampleMessages.ServerHello12), P1);
        Assert.AreEqual(1, d.ClientSide);
    }

    [TestMethod]
    public void ClientSideIsTheSideOfTheClientHello()
    {
        var (sink, d) = NewDecoder();
        d.Feed(1, Hex.Record(22, SampleMessages.ClientHello13), P1);
        Assert.AreEqual(1, d.ClientSide);
        Assert.AreEqual("example.com", sink.ClientHellos.Single().Hello.ServerName);
    }

    [TestMethod]
    public void MalformedHelloIsReportedAndDecodingGoesOn()
    {
        var (sink, d) = NewDecoder();
        var bad = SampleMessages.ClientHello13;
        bad[38] = 0x21;   // session id length 33
        d.Feed(0, Hex.Concat(Hex.Record(22, bad), Hex.Record(21, Hex.Parse("0150"))), P1);
        Assert.AreEqual(0, sink.ClientHellos.Count);
        Assert.AreEqual("0 message client_hello 158", sink.Events.First());
        Assert.AreEqual(TlsAnomalyKind.MalformedHandshake, sink.Anomalies.Single().Anomaly.Kind);
        StringAssert.Contains(sink.Anomalies.Single().Anomaly.Detail, "client_hello");
        Assert.AreEqual(1, sink.Alerts.Count);
    }

    [TestMethod]
    public void UnknownContentTypeIsSkipped()
    {
        var (sink, d) = NewDecoder();
        d.Feed(1, Hex.Concat(Hex.Record(22, SampleMessages.ServerHello12), Hex.Record(25, Hex.Repeat(0, 7)), Hex.Record(21, Hex.Parse("0230"))), P1);
        Assert.AreEqual(TlsAnomalyKind.UnknownContentType, sink.Anomalies.Single().Anomaly.Kind);
        Assert.AreEqual(1, sink.Alerts.Count);
    }

    [TestMethod]
    public void HeartbeatIsOnlyARecord()
    {
        var (sink, d) = NewDecoder();
        d.Feed(1, Hex.Record(24, Hex.Repeat(1, 3)), P1);
        CollectionAssert.AreEqual(new[] { "1 record heartbeat TLS 1.2 3" }, sink.Lines);
    }

    [TestMethod]
    public void GarbageAfterARecordResynchronises()
    {
        var (sink, d) = NewDecoder();
        d.Feed(1, Hex.Concat(Hex.Record(22, SampleMessages.ServerHello12), Hex.Parse("47 45 54 20 2F 20 48"), Hex.Record(21, Hex.Parse("0230"))), P1);
        Assert.AreEqual(TlsAnomalyKind.MalformedRecord, sink.Anomalies.Single().Anomaly.Kind);
        // The garbage starts right after the 63-byte ServerHello record.
        StringAssert.Contains(sink.Anomalies.Single().Anomaly.Detail, "474554202F at stream offset 63");
        Assert.AreEqual(new TlsAlert(TlsAlertLevel.Fatal, 48, false), sink.Alerts.Single().Alert);
    }

    [TestMethod]
    public void GapResynchronisesOnTheNextPlausibleHeader()
    {
        var (sink, d) = NewDecoder();
        var cert = Hex.Record(22, SampleMessages.Certificate12);
        d.Feed(1, Hex.Concat(Hex.Record(22, SampleMessages.ServerHello12), cert[..8]), P1);
        d.Gap(1, 5, new TlsPosition(2, 0));
        // The rest of the certificate record (bytes that are not a header), then an alert split over two feeds.
        var alert = Hex.Record(21, Hex.Parse("0228"));
        d.Feed(1, Hex.Concat(cert[13..], alert[..3]), new TlsPosition(3, 0));
        d.Feed(1, alert[3..], new TlsPosition(4, 0));
        var gap = sink.Anomalies.Single().Anomaly;
        Assert.AreEqual(TlsAnomalyKind.GapInStream, gap.Kind);
        Assert.AreEqual(2, gap.PacketNumber);
        StringAssert.Contains(gap.Detail, "5 bytes missing");
        Assert.AreEqual(0, sink.Certificates.Count);
        Assert.AreEqual(new TlsAlert(TlsAlertLevel.Fatal, 40, false), sink.Alerts.Single().Alert);
        Assert.AreEqual(4, sink.Alerts.Single().Packet);
    }

    [TestMethod]
    public void GapResyncFindsAHeaderSplitAcrossFeeds()
    {
        for (var split = 0; split <= 7; split++)
        {
            var (sink, d) = NewDecoder();
            d.Feed(0, Hex.Record(22, SampleMessages.ClientHello13), P1);
            d.Gap(0, 100, P1);
            var tail = Hex.Concat(Hex.Parse("FF EE"), Hex.Record(21, Hex.Parse("0100")));
            d.Feed(0, tail[..split], P1);
            d.Feed(0, tail[split..], P1);
            Assert.AreEqual(1, sink.Alerts.Count, $"split at {split}");
        }
    }

    [TestMethod]
    public void GapBeforeAnyDataResynchronisesInsteadOfCallingItNotTls()
    {
        // The capture started mid-connection: the side's first bytes are the tail of a record.
        var (sink, d) = NewDecoder();
        d.Gap(1, 1000, P1);
        d.Feed(1, Hex.Concat(Hex.Parse("9A 7C 01 FF"), Hex.Record(21, Hex.Parse("0230"))), P1);
        Assert.AreEqual(0, sink.NotTls.Count);
        Assert.AreEqual(1, sink.Alerts.Count);
    }

    [TestMethod]
    public void CertificateWithoutAServerHelloIsReadInEitherFormat()
    {
        foreach (var message in new[] { SampleMessages.Certificate12, SampleMessages.Certificate13 })
        {
            var (sink, d) = NewDecoder();
            d.Feed(1, Hex.Record(22, message), P1);
            Assert.AreEqual(2, sink.Certificates.Single().Message.Certificates.Count);
            Assert.IsNull(d.NegotiatedVersion);
        }
    }

    [TestMethod]
    public void Tls13CertificateIsNotMistakenForTls12OnceTheVersionIsKnown()
    {
        var (sink, d) = NewDecoder();
        d.Feed(1, Hex.Concat(Hex.Record(22, SampleMessages.ServerHello12), Hex.Record(22, SampleMessages.Certificate13)), P1);
        Assert.AreEqual(0, sink.Certificates.Count);
        Assert.AreEqual(TlsAnomalyKind.MalformedHandshake, sink.Anomalies.Single().Anomaly.Kind);
    }

    [TestMethod]
    public void TruncatedAtEnd()
    {
        var (sink, d) = NewDecoder();
        var record = Hex.Record(22, SampleMessages.Certificate12);
        d.Feed(1, record[..10], P1);
        d.EndOfStream(1, new TlsPosition(9, 0));
        var a = sink.Anomalies.Single().Anomaly;
        Assert.AreEqual(TlsAnomalyKind.TruncatedAtEnd, a.Kind);
        Assert.AreEqual(9, a.PacketNumber);
        Assert.IsTrue(d.IsStopped(1));
        d.Feed(1, record[10..], P1);
        Assert.AreEqual(0, sink.Certificates.Count, "nothing is decoded after the end of stream");
    }

    [TestMethod]
    public void HandshakeMessageCutAtEndIsTruncated()
    {
        var (sink, d) = NewDecoder();
        d.Feed(1, Hex.Record(22, SampleMessages.Certificate12[..9]), P1);
        d.EndOfStream(1, P1);
        Assert.AreEqual(TlsAnomalyKind.TruncatedAtEnd, sink.Anomalies.Single().Anomaly.Kind);
        StringAssert.Contains(sink.Anomalies.Single().Anomaly.Detail, "handshake message");
    }

    [TestMethod]
    public void EmptySideAtEndIsSilent()
    {
        var (sink, d) = NewDecoder();
        d.EndOfStream(0, P1);
        d.EndOfStream(1, P1);
        Assert.AreEqual(0, sink.Lines.Count);
    }

    [TestMethod]
    public void ClientHelloAfterUnrecognisedPlaintextIsFoundAndMarked()
    {
        var (sink, d) = NewDecoder();
        var text = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
        d.Feed(0, text, P1);
        d.Feed(0, Hex.Record(22, SampleMessages.ClientHello13), P1);
        d.EndOfStream(0, P1);
        Assert.AreEqual(0, sink.NotTls.Count);
        Assert.AreEqual(1, sink.ClientHellos.Count);
        var preamble = sink.Preambles.Single();
        Assert.AreEqual((0, (string?)null, (long)text.Length), (preamble.Side, preamble.Preamble.Protocol, preamble.Preamble.Length));
        Assert.IsFalse(preamble.Preamble.Recognised);
    }

    [TestMethod]
    public void UnrecognisedPlaintextIsNotTlsAtItsEnd()
    {
        var (sink, d) = NewDecoder();
        d.Feed(0, Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), P1);
        Assert.AreEqual(0, sink.NotTls.Count, "a ClientHello may still come within the scan limit");
        d.EndOfStream(0, P1);
        var (side, preview) = sink.NotTls.Single();
        Assert.AreEqual(0, side);
        Assert.AreEqual("GET / HTTP/1.1..Host: example.com....", preview);
        Assert.IsTrue(d.IsStopped(0));
    }

    [TestMethod]
    public void UnrecognisedPlaintextIsScannedOnlyUpToItsLimit()
    {
        var (sink, d) = NewDecoder();
        var text = Encoding.ASCII.GetBytes(new string('a', PreambleRecognisers.UnrecognisedScanLimit) + "\r\n");
        d.Feed(0, text, P1);
        Assert.AreEqual(1, sink.NotTls.Count, "decided once the limit is passed");
        Assert.IsTrue(d.IsStopped(0));
        d.Feed(0, Hex.Record(22, SampleMessages.ClientHello13), P1);
        Assert.AreEqual(0, sink.ClientHellos.Count);
        Assert.AreEqual(0, sink.Anomalies.Count, "plaintext nobody knows is not an anomaly");
    }

    [TestMethod]
    public void AServerHelloIsNotTakenFromUnrecognisedPlaintextBeforeAClientHello()
    {
        var (sink, d) = NewDecoder();
        d.Feed(1, Hex.Concat(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\n\r\n"), Hex.Record(22, SampleMessages.ServerHello12)), P1);
        d.EndOfStream(1, P1);
        Assert.AreEqual(0, sink.ServerHellos.Count);
        Assert.AreEqual(1, sink.NotTls.Count);
    }

    [TestMethod]
    public void HttpResponseOnTheOtherSideIsNotTlsEither()
    {
        var (sink, d) = NewDecoder();
        d.Feed(1, Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\n"), P1);
        d.EndOfStream(1, P1);
        Assert.AreEqual("HTTP/1.1 400 Bad Request..", sink.NotTls.Single().Preview);
    }

    [TestMethod]
    public void ShortNonTlsStreamIsDecidedAtItsEnd()
    {
        var (sink, d) = NewDecoder();
        d.Feed(1, Encoding.ASCII.GetBytes("x"), P1);
        Assert.AreEqual(0, sink.NotTls.Count);
        d.EndOfStream(1, P1);
        Assert.AreEqual("x", sink.NotTls.Single().Preview);
    }

    [TestMethod]
    public void BinaryGarbageIsNotTls()
    {
        var (sink, d) = NewDecoder();
        d.Feed(0, Hex.Parse("16 FE FD 00 10"), P1);   // DTLS over TCP: not TLS
        Assert.IsNull(d.StartTlsProtocol(0));
        d.EndOfStream(0, P1);
        Assert.AreEqual(1, sink.NotTls.Count);
        Assert.AreEqual(0, sink.Records.Count);
    }

    [TestMethod]
    public void Sslv2ServerHelloNegotiatesSsl2()
    {
        var (sink, d) = NewDecoder();
        d.Feed(0, SampleMessages.Sslv2ClientHello, P1);
        d.Feed(1, SampleMessages.Sslv2ServerHello, P1);
        // CLIENT-MASTER-KEY (plaintext), then encrypted records in the 2- and 3-byte header forms.
        d.Feed(0, Hex.Concat(Hex.Parse("8005 02 010080 00"), Hex.Parse("8003 AABBCC"), Hex.Parse("000402 11223344")), P1);
        d.Feed(1, Hex.Parse("8002 DDEE"), P1);
        Assert.AreEqual((ushort)0x0002, d.NegotiatedVersion);
        Assert.IsTrue(sink.ClientHellos.Single().Hello.IsSslv2Format);
        var sh = sink.ServerHellos.Single().Hello;
        Assert.IsTrue(sh.IsSslv2);
        Assert.AreEqual("SSL_CK_RC4_128_WITH_MD5", TlsNames.Sslv2CipherSpec(sh.Sslv2CipherSpecs[0]));
        Assert.AreEqual(1, sink.Certificates.Single().Message.Certificates.Count);
        Assert.AreEqual(0, d.ClientSide);
        CollectionAssert.AreEqual(new[] { "0 encrypted sslv2 3", "0 encrypted sslv2 4", "1 encrypted sslv2 2" },
            sink.Lines.Where(l => l.Contains("encrypted", StringComparison.Ordinal)).ToArray());
        Assert.AreEqual(0, sink.Anomalies.Count);
    }

    [TestMethod]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(42);
        for (var round = 0; round < 300; round++)
        {
            var (_, d) = NewDecoder(new TlsLimits { MaxHandshakeMessageLength = 4096 });
            var start = round % 3 == 0 ? Hex.Record(22, SampleMessages.ClientHello13) : round % 3 == 1 ? SampleMessages.Sslv2ClientHello : [];
            var noise = new byte[random.Next(0, 3000)];
            random.NextBytes(noise);
            // Bias the noise towards record-looking bytes so deeper paths are reached.
            for (var i = 0; i + 5 < noise.Length; i += random.Next(5, 200))
            {
                noise[i] = (byte)random.Next(20, 25);
                noise[i + 1] = 3;
                noise[i + 2] = (byte)random.Next(0, 5);
                noise[i + 3] = 0;
            }
            var stream = Hex.Concat(start, noise);
            var side = round % 2;
            var at = 0;
            while (at < stream.Length)
            {
                var n = Math.Min(random.Next(1, 300), stream.Length - at);
                if (random.Next(50) == 0)
                {
                    d.Gap(side, random.Next(1, 100), P1);
                }
                d.Feed(side, stream.AsSpan(at, n), P1);
                at += n;
            }
            d.EndOfStream(side, P1);
        }
    }

    [TestMethod]
    public void SideMustBeZeroOrOne()
    {
        var (_, d) = NewDecoder();
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => d.Feed(2, [1], P1));
    }
}
