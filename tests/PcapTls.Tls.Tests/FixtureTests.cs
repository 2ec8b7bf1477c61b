using System.Security.Cryptography.X509Certificates;
using PcapTls.Tls;

namespace PcapTls.Tls.Tests;

/// <summary>Real OpenSSL handshakes (Data/README.md): what the decoder must make of them.</summary>
[TestClass]
public sealed class FixtureTests
{
    private static string Subject(byte[] der) => X509CertificateLoader.LoadCertificate(der).Subject;

    [TestMethod]
    public void Tls12Completed()
    {
        var sink = Fixture.Load("tls12-ok.hex").Decode();
        var (clientSide, ch) = sink.ClientHellos.Single();
        Assert.AreEqual(0, clientSide);
        Assert.AreEqual("www.example.test", ch.ServerName);
        CollectionAssert.AreEqual(new[] { "h2", "http/1.1" }, ch.Alpn.ToArray());
        Assert.AreEqual((ushort)0x0303, ch.MaxVersion);
        var sh = sink.ServerHellos.Single().Hello;
        Assert.AreEqual((ushort)0x0303, sh.NegotiatedVersion);
        Assert.AreEqual("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", TlsNames.CipherSuite(sh.CipherSuite));
        Assert.AreEqual("http/1.1", sh.Alpn);
        var (certSide, certs, _) = sink.Certificates.Single();
        Assert.AreEqual(1, certSide);
        Assert.AreEqual(2, certs.Certificates.Count);
        Assert.AreEqual("CN=www.example.test", Subject(certs.Certificates[0]));
        Assert.AreEqual("CN=PcapTls Test Intermediate", Subject(certs.Certificates[1]));
        // Both Finished messages are encrypted handshake records after each side's CCS.
        Assert.AreEqual(2, sink.Messages.Count(m => m.Type == TlsHandshakeType.Finished && !m.Decrypted));
        CollectionAssert.Contains(sink.Lines, "0 encrypted handshake 40");
        CollectionAssert.Contains(sink.Lines, "1 message new_session_ticket 182");
        CollectionAssert.Contains(sink.Lines, "0 application_data 30");
        // close_notify under the record cipher: only "an encrypted alert" is known.
        Assert.AreEqual(2, sink.Alerts.Count);
        Assert.IsTrue(sink.Alerts.All(a => a.Alert == new TlsAlert(null, null, true)));
        Assert.AreEqual(0, sink.Anomalies.Count, string.Join("\n", sink.Lines));
    }

    [TestMethod]
    public void Tls12ClientRejectsTheChainWithAPlaintextAlert()
    {
        var sink = Fixture.Load("tls12-unknown-ca.hex").Decode();
        Assert.AreEqual(2, sink.Certificates.Single().Message.Certificates.Count);
        var (side, alert, _) = sink.Alerts.Single();
        Assert.AreEqual(0, side);
        Assert.AreEqual(new TlsAlert(TlsAlertLevel.Fatal, 48, false), alert);
        Assert.AreEqual("unknown_ca", TlsNames.AlertDescription(alert.Description!.Value));
        Assert.AreEqual(0, sink.Anomalies.Count);
    }

    [TestMethod]
    public void Tls12ClientAuthentication()
    {
        var sink = Fixture.Load("tls12-client-auth.hex").Decode();
        var (side, request) = sink.CertificateRequests.Single();
        Assert.AreEqual(1, side);
        Assert.AreEqual(1, request.CertificateAuthorities.Count);
        Assert.AreEqual("CN=PcapTls Test Root", new X500DistinguishedName(request.CertificateAuthorities[0]).Name);
        Assert.IsTrue(request.SignatureAlgorithms.Count > 0);
        // The client answers with an empty Certificate; the server refuses with handshake_failure.
        var clientCert = sink.Certificates.Single(c => c.Side == 0);
        Assert.AreEqual(0, clientCert.Message.Certificates.Count);
        Assert.AreEqual(new TlsAlert(TlsAlertLevel.Fatal, 40, false), sink.Alerts.Single(a => a.Side == 1).Alert);
    }

    [TestMethod]
    public void Tls13WithoutKeys()
    {
        var sink = Fixture.Load("tls13-ok.hex").Decode();
        var ch = sink.ClientHellos.Single().Hello;
        Assert.AreEqual((ushort)0x0304, ch.MaxVersion);
        Assert.AreEqual("www.example.test", ch.ServerName);
        Assert.IsTrue(ch.HasKeyShare);
        Assert.AreEqual(32, ch.Random.Length);
        var sh = sink.ServerHellos.Single().Hello;
        Assert.AreEqual((ushort)0x0304, sh.NegotiatedVersion);
        Assert.AreEqual((ushort)0x0303, sh.LegacyVersion);
        Assert.AreEqual("TLS_AES_256_GCM_SHA384", TlsNames.CipherSuite(sh.CipherSuite));
        // Nothing after the ServerHello can be read: no Certificate, only encrypted records; the CCS are reported.
        Assert.AreEqual(0, sink.Certificates.Count);
        Assert.AreEqual(2, sink.Lines.Count(l => l.EndsWith(" ccs", StringComparison.Ordinal)));
        Assert.IsTrue(sink.Lines.Count(l => l.StartsWith("1 encrypted application_data", StringComparison.Ordinal)) >= 4);
        Assert.IsTrue(sink.Lines.Count(l => l.StartsWith("0 encrypted application_data", StringComparison.Ordinal)) >= 2);
        Assert.AreEqual(0, sink.Alerts.Count);
        Assert.AreEqual(0, sink.Anomalies.Count);
    }

    [TestMethod]
    public void Tls13OpenSslSendsItsAlertInPlaintext()
    {
        var sink = Fixture.Load("tls13-unknown-ca.hex").Decode();
        Assert.AreEqual((ushort)0x0304, sink.ServerHellos.Single().Hello.NegotiatedVersion);
        Assert.AreEqual(new TlsAlert(TlsAlertLevel.Fatal, 48, false), sink.Alerts.Single(a => a.Side == 0).Alert);
    }

    [TestMethod]
    public void Tls13HelloRetryRequest()
    {
        var sink = Fixture.Load("tls13-hrr.hex").Decode();
        Assert.AreEqual(2, sink.ServerHellos.Count);
        Assert.IsTrue(sink.ServerHellos[0].Hello.IsHelloRetryRequest);
        Assert.AreEqual((ushort)0x0017, sink.ServerHellos[0].Hello.KeyShareGroup);
        Assert.IsFalse(sink.ServerHellos[1].Hello.IsHelloRetryRequest);
        // The client's middlebox CCS comes before its second ClientHello, which must still be read as plaintext.
        Assert.AreEqual(2, sink.ClientHellos.Count);
        CollectionAssert.AreEqual(new ushort[] { 0x001D }, sink.ClientHellos[0].Hello.KeyShareGroups.ToArray());
        CollectionAssert.AreEqual(new ushort[] { 0x0017 }, sink.ClientHellos[1].Hello.KeyShareGroups.ToArray());
        var ccs = sink.Lines.IndexOf("0 ccs");
        var secondHello = sink.Lines.FindLastIndex(l => l.StartsWith("0 client_hello", StringComparison.Ordinal));
        Assert.IsTrue(ccs >= 0 && ccs < secondHello);
        Assert.AreEqual(0, sink.Anomalies.Count);
    }

    [TestMethod]
    public void Sslv2FormatClientHelloAnsweredInTls()
    {
        var sink = Fixture.Load("sslv2-hello.hex").Decode();
        var (side, ch) = sink.ClientHellos.Single();
        Assert.AreEqual(0, side);
        Assert.IsTrue(ch.IsSslv2Format);
        Assert.AreEqual((ushort)0x0303, ch.LegacyVersion);
        CollectionAssert.AreEqual(Enumerable.Range(0x10, 32).Select(i => (byte)i).ToArray(), ch.Random);
        CollectionAssert.AreEqual(new[] { 0x00002F, 0x000035, 0x00000A, 0x010080, 0x0700C0 }, ch.Sslv2CipherSpecs.ToArray());
        Assert.AreEqual(TlsContentType.Sslv2, sink.Records[0].Type);
        var sh = sink.ServerHellos.Single().Hello;
        Assert.IsFalse(sh.IsSslv2);
        Assert.AreEqual((ushort)0x0303, sh.NegotiatedVersion);
        Assert.AreEqual("TLS_RSA_WITH_AES_128_CBC_SHA", TlsNames.CipherSuite(sh.CipherSuite));
        Assert.AreEqual(1, sink.Certificates.Single().Message.Certificates.Count);
        Assert.AreEqual(0, sink.Anomalies.Count, string.Join("\n", sink.Lines));
    }

    [TestMethod]
    [DataRow("smtp", "SMTP")]
    [DataRow("pop3", "POP3")]
    [DataRow("imap", "IMAP")]
    [DataRow("ftp", "FTP")]
    [DataRow("xmpp", "XMPP")]
    [DataRow("irc", "IRC")]
    [DataRow("ldap", "LDAP")]
    [DataRow("postgres", "PostgreSQL")]
    public void StartTlsFromOpenSslClient(string file, string protocol)
    {
        var sink = Fixture.Load($"starttls-{file}.hex").Decode();
        Assert.AreEqual(0, sink.NotTls.Count, string.Join("\n", sink.Lines));
        Assert.AreEqual(0, sink.Anomalies.Count, string.Join("\n", sink.Lines));
        CollectionAssert.AreEquivalent(new[] { 0, 1 }, sink.StartTls.Select(s => s.Side).ToArray());
        Assert.IsTrue(sink.StartTls.All(s => s.Protocol == protocol && s.Bytes > 0));
        var (side, hello) = sink.ClientHellos.Single();
        Assert.AreEqual(0, side);
        Assert.AreEqual("www.example.test", hello.ServerName);
        Assert.AreEqual((ushort)0x0304, sink.ServerHellos.Single().Hello.NegotiatedVersion);
    }

    public static IEnumerable<object[]> Fixtures() =>
        new[] { "tls12-ok.hex", "tls13-ok.hex", "tls12-unknown-ca.hex", "tls13-unknown-ca.hex", "tls12-client-auth.hex", "tls13-hrr.hex", "sslv2-hello.hex",
                "starttls-smtp.hex", "starttls-xmpp.hex", "starttls-ldap.hex" }
            .Select(f => new object[] { f });

    /// <summary>The events must not depend on how TCP cut the streams: byte by byte, random chunks, one chunk per side.</summary>
    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void SegmentationDoesNotChangeTheEvents(string name)
    {
        var fixture = Fixture.Load(name);
        var expected = PerSide(fixture.Decode());
        Assert.IsTrue(expected[0].Count > 0 && expected[1].Count > 0);

        foreach (var chunking in new Func<int, int>[] { _ => 1, _ => int.MaxValue }.Concat(Enumerable.Range(1, 20).Select(seed =>
                 {
                     var random = new Random(seed);
                     return (Func<int, int>)(_ => random.Next(1, 40));
                 })))
        {
            var sink = new RecordingSink();
            var decoder = new TlsConnectionDecoder(sink);
            for (var side = 0; side < 2; side++)
            {
                var stream = fixture.Stream(side);
                var at = 0;
                while (at < stream.Length)
                {
                    var n = Math.Min(chunking(at), stream.Length - at);
                    decoder.Feed(side, stream.AsSpan(at, n), new TlsPosition(at, 0));
                    at += n;
                }
                decoder.EndOfStream(side, default);
            }
            var actual = PerSide(sink);
            // Sides are fed one after the other here, so only the order within a side is comparable.
            CollectionAssert.AreEqual(expected[0], actual[0], name);
            CollectionAssert.AreEqual(expected[1], actual[1], name);
        }
    }

    private static List<string>[] PerSide(RecordingSink sink)
        => [.. Enumerable.Range(0, 2).Select(side => sink.Lines.Where(l => l.StartsWith($"{side} ", StringComparison.Ordinal)).ToList())];
}
