using System.Text;
using PcapTls.Tls;
using PcapTls.Tls.Preambles;

namespace PcapTls.Tls.Tests;

/// <summary>
/// Proxy handshakes and upgrades before TLS, byte for byte as their specifications write them: TLS is found
/// after each, the tunnel's target is read from the client's request, and a refusal is its own event quoting
/// the server's answer.
/// </summary>
[TestClass]
public sealed class PreambleTests
{
    private static readonly TlsPosition P = new(5, 0);

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static byte[] ClientFlight => Hex.Record(22, SampleMessages.ClientHello13, 0x0301);

    private static byte[] ServerFlight => Hex.Concat(Hex.Record(22, SampleMessages.ServerHello12), Hex.Record(22, SampleMessages.Certificate12));

    /// <summary>Found by tools/fuzz (preamble): SOCKS5, SOCKS4, PostgreSQL and LDAP read the first byte of an empty
    /// span. Every recogniser, asked about no bytes yet, says "not yet" (or "not this", when no more will come).</summary>
    [TestMethod]
    public void EveryRecogniserAnswersAnEmptySideWithoutThrowing()
    {
        foreach (var r in PreambleRecognisers.All)
        {
            Assert.AreEqual(PreambleRole.NeedMore, r.Recognise([], null, final: false), r.Protocol);
            Assert.AreEqual(PreambleRole.None, r.Recognise([], null, final: true), r.Protocol);
            _ = r.Recognise([], r.Protocol, final: true); // after the peer: whatever the protocol says, but no exception
            Assert.IsNull(r.FindRefusal([], []), r.Protocol);
            Assert.IsNull(r.FindTarget([]), r.Protocol);
        }
    }

    /// <summary>Feeds the steps in order (side, bytes), each cut into chunks, then ends both sides.</summary>
    private static (RecordingSink Sink, TlsConnectionDecoder Decoder) Run(int chunk, params (int Side, byte[] Bytes)[] steps)
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        var packet = 1L;
        foreach (var (side, bytes) in steps)
        {
            foreach (var c in bytes.Chunk(chunk))
            {
                d.Feed(side, c, new TlsPosition(packet++, 0));
            }
        }
        d.EndOfStream(0, new TlsPosition(packet, 0));
        d.EndOfStream(1, new TlsPosition(packet, 0));
        return (sink, d);
    }

    private static readonly int[] Chunks = [1, 2, 5, 64, 100_000];

    /// <summary>The client's plaintext, the server's, and TLS after both; checks where TLS starts and the target.</summary>
    private static void AssertTunnel(string protocol, byte[] clientText, byte[] serverText, string? host, int port, bool serverFirst = false)
    {
        foreach (var chunk in Chunks)
        {
            var steps = serverFirst
                ? new[] { (1, serverText), (0, clientText), (0, ClientFlight), (1, ServerFlight) }
                : new[] { (0, clientText), (1, serverText), (0, ClientFlight), (1, ServerFlight) };
            var (sink, _) = Run(chunk, steps);
            var lines = string.Join("\n", sink.Lines);
            Assert.AreEqual(0, sink.NotTls.Count, lines);
            Assert.AreEqual(0, sink.Refusals.Count, lines);
            Assert.AreEqual(0, sink.Anomalies.Count, lines);
            Assert.AreEqual("example.com", sink.ClientHellos.Single().Hello.ServerName, $"{protocol} chunk {chunk}");
            Assert.AreEqual(2, sink.Certificates.Single().Message.Certificates.Count, $"{protocol} chunk {chunk}");
            var client = sink.Preambles.Single(p => p.Side == 0).Preamble;
            var server = sink.Preambles.Single(p => p.Side == 1).Preamble;
            Assert.AreEqual(protocol, client.Protocol, lines);
            Assert.AreEqual(clientText.Length, client.Length);
            Assert.AreEqual(serverText.Length, server.Length);
            Assert.AreEqual(host, client.Target?.Host, lines);
            if (host is not null)
            {
                Assert.AreEqual(port, client.Target!.Port);
            }
        }
    }

    /// <summary>The client asks, the server refuses, nobody speaks TLS: one refusal quoting the server.</summary>
    private static void AssertRefused(string protocol, byte[] clientText, byte[] serverText, string refusal, bool serverFirst = false)
    {
        foreach (var chunk in Chunks)
        {
            var steps = serverFirst ? new[] { (1, serverText), (0, clientText) } : new[] { (0, clientText), (1, serverText) };
            var (sink, _) = Run(chunk, steps);
            var lines = string.Join("\n", sink.Lines);
            var r = sink.Refusals.Single();
            Assert.AreEqual((1, protocol, refusal), (r.Side, r.Protocol, r.Refusal), lines);
            Assert.IsTrue(r.Packet > 0);
            Assert.AreEqual(0, sink.NotTls.Count(n => n.Side == 1), lines);
        }
    }

    // ---- HTTP CONNECT (RFC 7231 section 4.3.6) ----

    [TestMethod]
    [DataRow("CONNECT backend.example.com:8443 HTTP/1.1\r\nHost: backend.example.com:8443\r\n\r\n", "backend.example.com", 8443)]
    [DataRow("CONNECT 192.0.2.7:443 HTTP/1.1\r\nHost: 192.0.2.7:443\r\nProxy-Connection: Keep-Alive\r\n\r\n", "192.0.2.7", 443)]
    [DataRow("CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n", "2001:db8::1", 443)]
    public void HttpConnect(string request, string host, int port)
        => AssertTunnel("HTTP CONNECT", Ascii(request), Ascii("HTTP/1.1 200 Connection established\r\n\r\n"), host, port);

    [TestMethod]
    public void HttpConnectRetriedWithCredentialsAfter407()
        => AssertTunnel("HTTP CONNECT",
            Ascii("CONNECT a.example:443 HTTP/1.1\r\n\r\nCONNECT b.example:443 HTTP/1.1\r\nProxy-Authorization: Basic dTpw\r\n\r\n"),
            Ascii("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"),
            "b.example", 443);

    [TestMethod]
    [DataRow("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\n\r\n", "HTTP/1.1 407 Proxy Authentication Required")]
    [DataRow("HTTP/1.0 403 Forbidden\r\nContent-Type: text/html\r\n\r\n<html>Access denied</html>", "HTTP/1.0 403 Forbidden")]
    [DataRow("HTTP/1.1 502 Bad Gateway\r\n\r\n", "HTTP/1.1 502 Bad Gateway")]
    public void HttpConnectRefused(string reply, string statusLine)
    {
        AssertRefused("HTTP CONNECT", Ascii("CONNECT backend.example.com:443 HTTP/1.1\r\n\r\n"), Ascii(reply), statusLine);
        var (sink, _) = Run(100, (0, Ascii("CONNECT backend.example.com:443 HTTP/1.1\r\n\r\n")), (1, Ascii(reply)));
        Assert.AreEqual(new PreambleTarget("backend.example.com", 443), sink.RefusedTargets.Single());
    }

    [TestMethod]
    public void AnHttpResponseWithoutAConnectIsNotAProxyReply()
    {
        var (sink, _) = Run(100, (0, Ascii("GET / HTTP/1.1\r\n\r\n")), (1, Ascii("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")));
        Assert.AreEqual(0, sink.Refusals.Count);
        Assert.AreEqual(2, sink.NotTls.Count);
    }

    // ---- SOCKS 5 (RFC 1928, RFC 1929) ----

    [TestMethod]
    public void Socks5DomainTargetWithoutAuthentication()
        => AssertTunnel("SOCKS5",
            Hex.Parse("""
                05 01 00                    // VER 5, NMETHODS 1, NO AUTHENTICATION REQUIRED
                05 01 00 03 0B 6578616D706C652E636F6D 01BB   // CONNECT, ATYP domain, 11 "example.com", port 443
                """),
            Hex.Parse("""
                05 00                       // method 0 chosen
                05 00 00 01 7F000001 9C40   // succeeded, BND 127.0.0.1:40000
                """),
            "example.com", 443);

    [TestMethod]
    public void Socks5UsernamePasswordAndIpv6Target()
        => AssertTunnel("SOCKS5",
            Hex.Parse("""
                05 02 00 02                 // offers no-auth and username/password
                01 04 75736572 04 70617373  // RFC 1929: VER 1, "user", "pass"
                05 01 00 04 20010DB8000000000000000000000001 20FB   // CONNECT [2001:db8::1]:8443
                """),
            Hex.Parse("""
                05 02                       // username/password chosen
                01 00                       // authentication succeeded
                05 00 00 01 00000000 0000   // succeeded
                """),
            "2001:db8::1", 8443);

    [TestMethod]
    public void Socks5Ipv4Target()
        => AssertTunnel("SOCKS5", Hex.Parse("050100 050100 01 C0000207 01BB"), Hex.Parse("0500 050000 01 00000000 0000"), "192.0.2.7", 443);

    [TestMethod]
    [DataRow("05FF", "method selection: no acceptable methods (X'FF')")]
    [DataRow("0502 0101", "username/password authentication failed (status 1)")]
    [DataRow("0500 0505000100000000 0000", "reply 5 (connection refused)")]
    [DataRow("0500 0502000100000000 0000", "reply 2 (connection not allowed by ruleset)")]
    public void Socks5Refused(string reply, string refusal)
        => AssertRefused("SOCKS5", Hex.Parse("05020002 0104 75736572 0470617373 050100030B6578616D706C652E636F6D01BB"), Hex.Parse(reply), refusal);

    // ---- SOCKS 4 and 4A ----

    [TestMethod]
    public void Socks4()
        => AssertTunnel("SOCKS4",
            Hex.Parse("04 01 01BB C0000207 626F6200"),   // VN 4, CONNECT, port 443, 192.0.2.7, USERID "bob", NULL
            Hex.Parse("00 5A 0000 00000000"),             // VN 0, CD 90 granted
            "192.0.2.7", 443);

    [TestMethod]
    public void Socks4a()
        => AssertTunnel("SOCKS4a",
            Hex.Parse("04 01 01BB 00000001 00 6578616D706C652E636F6D00"),   // DSTIP 0.0.0.1, empty USERID, "example.com"
            Hex.Parse("00 5A 01BB 00000000"),
            "example.com", 443);

    [TestMethod]
    [DataRow("005B000000000000", "reply 91 (request rejected or failed)")]
    [DataRow("005D000000000000", "reply 93 (request rejected: the client program and identd report different user-ids)")]
    public void Socks4Refused(string reply, string refusal)
        => AssertRefused("SOCKS4", Hex.Parse("040101BBC0000207626F6200"), Hex.Parse(reply), refusal);

    // ---- StartTLS family ----

    [TestMethod]
    public void NntpStartTls()
        => AssertTunnel("NNTP", Ascii("CAPABILITIES\r\nSTARTTLS\r\n"),
            Ascii("200 news.example.com ready\r\n101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n382 Continue with TLS negotiation\r\n"),
            null, 0, serverFirst: true);

    [TestMethod]
    public void SmtpStartTlsRefused()
        => AssertRefused("SMTP", Ascii("EHLO client.example\r\nSTARTTLS\r\n"),
            Ascii("220 mail.example.com ESMTP\r\n250-mail.example.com\r\n250-PIPELINING\r\n250 STARTTLS\r\n454 4.7.0 TLS not available due to local problem\r\n"),
            "454 4.7.0 TLS not available due to local problem", serverFirst: true);

    [TestMethod]
    public void SmtpErrorToAnotherCommandIsNoRefusal()
    {
        var (sink, _) = Run(100, (1, Ascii("220 mail.example.com ESMTP\r\n550 5.1.1 unknown user\r\n")), (0, Ascii("RCPT TO:<x@example.com>\r\n")));
        Assert.AreEqual(0, sink.Refusals.Count);
    }

    [TestMethod]
    public void ImapStartTlsRefused()
        => AssertRefused("IMAP", Ascii("a001 CAPABILITY\r\na002 STARTTLS\r\n"),
            Ascii("* OK IMAP4rev1 ready\r\n* CAPABILITY IMAP4rev1\r\na001 OK done\r\na002 BAD STARTTLS not supported\r\n"),
            "a002 BAD STARTTLS not supported", serverFirst: true);

    [TestMethod]
    public void Pop3StlsRefused()
        => AssertRefused("POP3", Ascii("CAPA\r\nSTLS\r\n"),
            Ascii("+OK POP3 ready\r\n+OK Capability list follows\r\nUSER\r\n.\r\n-ERR Command not permitted\r\n"),
            "-ERR Command not permitted", serverFirst: true);

    [TestMethod]
    public void FtpAuthTlsRefused()
        => AssertRefused("FTP", Ascii("AUTH TLS\r\n"), Ascii("220 ProFTPD Server ready\r\n534 Policy requires SSL\r\n"), "534 Policy requires SSL", serverFirst: true);

    [TestMethod]
    public void NntpStartTlsRefused()
        => AssertRefused("NNTP", Ascii("STARTTLS\r\n"), Ascii("200 news ready\r\n580 Can not initiate TLS negotiation\r\n"), "580 Can not initiate TLS negotiation", serverFirst: true);

    [TestMethod]
    public void XmppStartTlsRefused()
        => AssertRefused("XMPP",
            Ascii("<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' version='1.0'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
            Ascii("<?xml version='1.0'?><stream:stream from='example.com' id='1' version='1.0'><failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"),
            "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");

    [TestMethod]
    public void LdapStartTlsRefused()
        => AssertRefused("LDAP",
            Hex.Parse("301D 020101 7718 8016 312E332E362E312E342E312E313436362E3230303337"),   // ExtendedRequest 1.3.6.1.4.1.1466.20037
            Hex.Parse("""
                3017 020101            // LDAPMessage, messageID 1
                7812                   // ExtendedResponse
                0A0134                 // resultCode 52 unavailable
                0400                   // matchedDN ""
                040B 6E6F20544C53206B657973   // diagnosticMessage "no TLS keys"
                """),
            "extendedResponse resultCode 52 (unavailable): \"no TLS keys\"");

    // ---- databases and ADB ----

    [TestMethod]
    public void PostgreSqlRefused()
        => AssertRefused("PostgreSQL", Hex.Parse("00000008 04D2162F"), Ascii("N"),
            "the server answered 'N' to SSLRequest (80877103): it does not support SSL");

    [TestMethod]
    public void PostgreSqlGssEncRequestThenSslRequest()
        => AssertTunnel("PostgreSQL", Hex.Parse("00000008 04D21630 00000008 04D2162F"), Ascii("NS"), null, 0);

    /// <summary>Protocol::HandshakeV10 with the given low capability bits.</summary>
    private static byte[] MySqlGreeting(string capabilityLow)
    {
        var payload = Hex.Parse($"""
            0A                          // protocol version 10
            352E372E343400              // "5.7.44" NUL
            0B000000                    // connection id 11
            0102030405060708 00         // auth-plugin-data-part-1, filler
            {capabilityLow}             // capability_flags_1 (little-endian)
            21 0200 FF81 15             // character set, status, capability_flags_2, auth data length 21
            00000000000000000000        // reserved
            0102030405060708090A0B0C00  // auth-plugin-data-part-2
            6D7973716C5F6E61746976655F70617373776F726400   // "mysql_native_password" NUL
            """);
        return Hex.Concat([(byte)payload.Length, 0, 0, 0], payload);
    }

    [TestMethod]
    public void MySqlSslRequest()
        => AssertTunnel("MySQL",
            Hex.Parse("""
                200000 01                   // payload length 32, sequence 1
                8DAEFF19                    // capabilities: CLIENT_PROTOCOL_41 (0x200), CLIENT_SSL (0x800), ...
                00000001 21 0000000000000000000000000000000000000000000000   // max packet, charset, 23 zero bytes
                """),
            MySqlGreeting("FFFF"), null, 0, serverFirst: true);   // capabilities 0xffff: CLIENT_SSL offered

    [TestMethod]
    public void MySqlServerWithoutClientSsl()
        => AssertRefused("MySQL",
            Hex.Parse("3E0000 01 8DA6FF19 00000001 21 0000000000000000000000000000000000000000000000 726F6F7400 00 00"),
            MySqlGreeting("FFF3"),   // capabilities 0xf3ff: CLIENT_SSL (0x0800) not set
            "the server's greeting does not offer CLIENT_SSL (0x0800): capability flags 0xf3ff", serverFirst: true);

    [TestMethod]
    public void AdbStls()
        => AssertTunnel("ADB",
            Hex.Parse("""
                434E584E 01000001 00001000 07000000 00000000 BCB1A7B1   // CNXN, version, maxdata, 7 bytes of data, crc, magic
                686F73743A3A00                                           // "host::" NUL
                53544C53 00000001 00000000 00000000 00000000 ACABB3AC   // STLS (after the device's STLS)
                """),
            Hex.Parse("53544C53 00000001 00000000 00000000 00000000 ACABB3AC"),   // device: STLS, version 0x01000000
            null, 0);

    // ---- robustness ----

    public static IEnumerable<object[]> Requests()
    {
        yield return ["HTTP CONNECT", Ascii("CONNECT backend.example.com:8443 HTTP/1.1\r\n\r\n")];
        yield return ["SOCKS5", Hex.Parse("05020002 0104 75736572 0470617373 050100030B6578616D706C652E636F6D01BB")];
        yield return ["SOCKS4", Hex.Parse("04 01 01BB 00000001 00 6578616D706C652E636F6D00")];
        yield return ["PostgreSQL", Hex.Parse("00000008 04D2162F")];
        yield return ["ADB", Hex.Parse("434E584E 01000001 00001000 07000000 00000000 BCB1A7B1 686F73743A3A00")];
        yield return ["LDAP", Hex.Parse("301D 020101 7718 8016 312E332E362E312E342E312E313436362E3230303337")];
    }

    [TestMethod]
    [DynamicData(nameof(Requests))]
    public void EveryPrefixOfARequestWaitsOrIsRecognised(string protocol, byte[] request)
    {
        for (var n = 1; n <= request.Length; n++)
        {
            var start = PreambleRecognisers.Classify(request.AsSpan(0, n), final: false, null, out var r, out var role);
            if (start == PreambleRecognisers.StreamStart.Recognised)
            {
                Assert.AreEqual(protocol, r!.Protocol, $"prefix {n}");
                Assert.AreEqual(PreambleRole.Client, role);
            }
            else
            {
                Assert.AreEqual(PreambleRecognisers.StreamStart.NeedMore, start, $"{protocol} prefix {n}");
            }
            // Refusal and target readers take any prefix without throwing.
            var rec = PreambleRecognisers.Find(protocol)!;
            rec.FindRefusal(request.AsSpan(0, n), request.AsSpan(0, n));
            rec.FindTarget(request.AsSpan(0, n));
        }
    }

    [TestMethod]
    public void EveryRecogniserIsInTheTableOnce()
    {
        var names = PreambleRecognisers.All.Select(r => r.Protocol).ToList();
        CollectionAssert.AllItemsAreUnique(names);
        foreach (var p in new[] { "HTTP CONNECT", "SOCKS5", "SOCKS4", "SMTP", "IMAP", "POP3", "FTP", "LDAP", "XMPP", "NNTP", "PostgreSQL", "MySQL", "ADB" })
        {
            CollectionAssert.Contains(names, p);
        }
    }
}
