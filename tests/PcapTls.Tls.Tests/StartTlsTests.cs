using System.Text;
using PcapTls.Tls;
using PcapTls.Tls.Preambles;

namespace PcapTls.Tls.Tests;

[TestClass]
public sealed class StartTlsTests
{
    private static readonly TlsPosition P = new(3, 0);

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static byte[] ClientFlight => Hex.Record(22, SampleMessages.ClientHello13, 0x0301);

    private static byte[] ServerFlight => Hex.Concat(Hex.Record(22, SampleMessages.ServerHello12), Hex.Record(22, SampleMessages.Certificate12));

    /// <summary>Feeds both sides' plaintext then TLS, in chunks of the given size, and checks TLS was found on both.</summary>
    private static RecordingSink Run(string protocol, byte[] client, byte[] server, int chunk)
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        foreach (var (side, bytes) in new[] { (0, client), (1, server) })
        {
            foreach (var c in bytes.Chunk(chunk))
            {
                d.Feed(side, c, P);
            }
        }
        Assert.AreEqual(0, sink.NotTls.Count, string.Join("\n", sink.Lines));
        Assert.AreEqual(0, sink.Anomalies.Count, string.Join("\n", sink.Lines));
        Assert.AreEqual("example.com", sink.ClientHellos.Single().Hello.ServerName, protocol);
        Assert.AreEqual(2, sink.Certificates.Single().Message.Certificates.Count, protocol);
        Assert.AreEqual(protocol, d.StartTlsProtocol(0));
        Assert.AreEqual(protocol, d.StartTlsProtocol(1));
        CollectionAssert.AreEqual(new (int, string?, long)[] { (0, protocol, (long)(client.Length - ClientFlight.Length)), (1, protocol, (long)(server.Length - ServerFlight.Length)) },
            sink.StartTls.ToArray());
        return sink;
    }

    public static IEnumerable<object[]> Conversations()
    {
        yield return ["SMTP",
            Ascii("EHLO client.example.com\r\nSTARTTLS\r\n"),
            Ascii("220 mail.example.com ESMTP Postfix\r\n250-mail.example.com\r\n250-STARTTLS\r\n250 8BITMIME\r\n220 2.0.0 Ready to start TLS\r\n")];
        yield return ["IMAP",
            Ascii("a001 CAPABILITY\r\na002 STARTTLS\r\n"),
            Ascii("* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na001 OK done\r\na002 OK Begin TLS negotiation now.\r\n")];
        yield return ["POP3",
            Ascii("CAPA\r\nSTLS\r\n"),
            Ascii("+OK POP3 ready\r\n+OK\r\nSTLS\r\n.\r\n+OK Begin TLS negotiation\r\n")];
        // XMPP has no line ends: TLS starts right after the '>' of <proceed/>.
        yield return ["XMPP",
            Ascii("<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' version='1.0'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
            Ascii("<?xml version='1.0'?><stream:stream from='example.com' id='1' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")];
        yield return ["IRC",
            Ascii("CAP LS 302\r\nSTARTTLS\r\n"),
            Ascii(":irc.example.net CAP * LS :tls\r\n:irc.example.net 670 * :STARTTLS successful, proceed with TLS handshake\r\n")];
        yield return ["FTP",
            Ascii("AUTH TLS\r\n"),
            Ascii("220 (vsFTPd 3.0.3)\r\n234 Proceed with negotiation.\r\n")];
        // LDAP: ExtendedRequest 1.3.6.1.4.1.1466.20037, then ExtendedResponse success.
        yield return ["LDAP",
            Hex.Parse("301D 020101 7718 8016 312E332E362E312E342E312E313436362E3230303337"),
            Hex.Parse("300C 020101 7807 0A0100 0400 0400")];
        // PostgreSQL: SSLRequest (length 8, code 80877103), server says 'S'.
        yield return ["PostgreSQL", Hex.Parse("00000008 04D2162F"), Ascii("S")];
    }

    [TestMethod]
    [DynamicData(nameof(Conversations))]
    public void TlsIsFoundAfterThePreamble(string protocol, byte[] clientText, byte[] serverText)
    {
        var client = Hex.Concat(clientText, ClientFlight);
        var server = Hex.Concat(serverText, ServerFlight);
        foreach (var chunk in new[] { 1, 3, 7, 64, 100_000 })
        {
            Run(protocol, client, server, chunk);
        }
    }

    [TestMethod]
    public void RefusedStartTlsIsNotTlsAtTheEnd()
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        d.Feed(1, Ascii("220 mail.example.com ESMTP\r\n454 4.7.0 TLS not available\r\n"), P);
        Assert.AreEqual(0, sink.NotTls.Count, "still waiting: the switch may come later");
        d.EndOfStream(1, P);
        Assert.AreEqual("220 mail.example.com ESMTP..454 4.7.0 TLS not available..", sink.NotTls.Single().Preview);
    }

    [TestMethod]
    public void GapInThePreambleKeepsScanning()
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        d.Feed(0, Ascii("EHLO x\r\n"), P);
        d.Gap(0, 10, P);
        d.Feed(0, Hex.Concat(Ascii("STARTTLS\r\n"), ClientFlight), P);
        Assert.AreEqual(1, sink.ClientHellos.Count);
        Assert.AreEqual(TlsAnomalyKind.GapInStream, sink.Anomalies.Single().Anomaly.Kind);
        Assert.AreEqual(8 + 10 + 10, sink.StartTls.Single().Bytes);
    }

    [TestMethod]
    [DataRow("220 smtp.example.com ESMTP", "SMTP")]
    [DataRow("220 ProFTPD Server", "FTP")]
    [DataRow("EHLO me", "SMTP")]
    [DataRow("* OK IMAP ready", "IMAP")]
    [DataRow("A1 STARTTLS", "IMAP")]
    [DataRow(". CAPABILITY", "IMAP")]
    [DataRow("* CAPABILITY", null)]
    [DataRow("+OK hello", "POP3")]
    [DataRow("STLS", "POP3")]
    [DataRow("<stream:stream to='x'>", "XMPP")]
    [DataRow(":irc.example.net NOTICE * :hi", "IRC")]
    [DataRow("NICK bob", "IRC")]
    [DataRow("GET / HTTP/1.1", null)]
    [DataRow("SSH-2.0-OpenSSH_9.2", null)]
    [DataRow("HTTP/1.1 200 OK", null)]
    public void FirstLines(string line, string? protocol)
    {
        var start = PreambleRecognisers.Classify(Ascii(line + "\r\n"), final: false, peerProtocol: null, out var recogniser, out _);
        Assert.AreEqual(protocol is null ? PreambleRecognisers.StreamStart.Unrecognised : PreambleRecognisers.StreamStart.Recognised, start);
        Assert.AreEqual(protocol, recogniser?.Protocol);
    }

    [TestMethod]
    public void ClassifyNeverGivesUpOnAPrefixOfTls()
    {
        var record = Hex.Record(22, SampleMessages.ClientHello13, 0x0301);
        Assert.AreEqual(PreambleRecognisers.StreamStart.NeedMore, PreambleRecognisers.Classify(record.AsSpan(0, 1), final: false, null, out _, out _));
        for (var n = 2; n <= record.Length; n++)
        {
            Assert.AreEqual(PreambleRecognisers.StreamStart.Tls, PreambleRecognisers.Classify(record.AsSpan(0, n), final: false, null, out _, out _), $"prefix {n}");
        }
        var v2 = SampleMessages.Sslv2ClientHello;
        for (var n = 1; n < 5; n++)
        {
            Assert.AreEqual(PreambleRecognisers.StreamStart.NeedMore, PreambleRecognisers.Classify(v2.AsSpan(0, n), final: false, null, out _, out _), $"sslv2 prefix {n}");
        }
        Assert.AreEqual(PreambleRecognisers.StreamStart.Sslv2, PreambleRecognisers.Classify(v2, final: false, null, out _, out _));
    }

    [TestMethod]
    public void ClassifyWaitsForTheFirstLine()
    {
        var greeting = Ascii("220 mail.example.com ESMTP\r\n");
        Assert.AreEqual(PreambleRecognisers.StreamStart.NeedMore, PreambleRecognisers.Classify(greeting.AsSpan(0, 10), final: false, null, out _, out _));
        Assert.AreEqual(PreambleRecognisers.StreamStart.Recognised, PreambleRecognisers.Classify(greeting.AsSpan(0, 10), final: true, null, out var p1, out _));
        Assert.AreEqual("SMTP", p1?.Protocol);
        Assert.AreEqual(PreambleRecognisers.StreamStart.Recognised, PreambleRecognisers.Classify(greeting, final: false, null, out var p2, out _));
        Assert.AreEqual("SMTP", p2?.Protocol);
    }

    [TestMethod]
    public void ProbeNeedsAHelloOrAnAlert()
    {
        Assert.AreEqual(TlsParseResult.Complete, PreambleRecognisers.ProbeTlsStart(ClientFlight, 18432));
        Assert.AreEqual(TlsParseResult.Complete, PreambleRecognisers.ProbeTlsStart(Hex.Record(21, Hex.Parse("0228")), 18432));
        Assert.AreEqual(TlsParseResult.Malformed, PreambleRecognisers.ProbeTlsStart(Hex.Record(22, Hex.Parse("0B000010")), 18432), "a Certificate does not start TLS");
        Assert.AreEqual(TlsParseResult.Malformed, PreambleRecognisers.ProbeTlsStart(Hex.Parse("1603050100"), 18432));
        for (var n = 0; n < 9; n++)
        {
            Assert.AreEqual(TlsParseResult.Incomplete, PreambleRecognisers.ProbeTlsStart(ClientFlight.AsSpan(0, n), 18432), $"prefix {n}");
        }
    }
}
