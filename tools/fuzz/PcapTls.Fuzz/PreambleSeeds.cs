using System.Text;

namespace PcapTls.Fuzz;

/// <summary>
/// Seeds of the `preamble` target for the protocols the captures in captures/preambles do not cover: each
/// client's request and its server's answer as the protocol's specification has them, then the first bytes of
/// TLS on both sides (or, for a refusal, nothing after the answer).
/// </summary>
internal static class PreambleSeeds
{
    private static readonly byte[] ClientTls = [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03];
    private static readonly byte[] ServerTls = [0x16, 0x03, 0x03, 0x00, 0x02, 0x02, 0x00];

    private static byte[] A(string text) => Encoding.ASCII.GetBytes(text);

    private static IEnumerable<(string Name, byte[] Client, byte[] Server, bool Tls)> Conversations()
    {
        yield return ("smtp", A("EHLO client\r\nSTARTTLS\r\n"), A("220 mx ESMTP\r\n250-mx\r\n250 STARTTLS\r\n220 Ready to start TLS\r\n"), true);
        yield return ("smtp-refused", A("EHLO client\r\nSTARTTLS\r\n"), A("220 mx ESMTP\r\n250 mx\r\n454 TLS not available\r\n"), false);
        yield return ("imap", A("a1 STARTTLS\r\n"), A("* OK IMAP4rev1 ready\r\na1 OK Begin TLS\r\n"), true);
        yield return ("pop3", A("STLS\r\n"), A("+OK POP3 ready\r\n+OK Begin TLS\r\n"), true);
        yield return ("ftp", A("AUTH TLS\r\n"), A("220 FTP ready\r\n234 AUTH TLS OK\r\n"), true);
        yield return ("nntp", A("STARTTLS\r\n"), A("200 news ready\r\n382 Continue with TLS negotiation\r\n"), true);
        yield return ("irc", A("CAP LS 302\r\nSTARTTLS\r\n"), A(":irc.example CAP * LS :tls\r\n:irc.example 670 nick :STARTTLS successful\r\n"), true);
        yield return ("xmpp", A("<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
            A("<?xml version='1.0'?><stream:stream from='example.com' id='1' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), true);
        yield return ("postgresql", [0x00, 0x00, 0x00, 0x08, 0x04, 0xD2, 0x16, 0x2F], A("S"), true);
        yield return ("postgresql-refused", [0x00, 0x00, 0x00, 0x08, 0x04, 0xD2, 0x16, 0x2F], A("N"), false);
        // MySQL: the server's greeting (protocol 10, CLIENT_SSL in the capabilities), then the client's SSL request.
        yield return ("mysql", [0x20, 0, 0, 1, 0x00, 0xA2, 0x00, 0x00, 0x00, 0xFF, 0xF7, 0x21, 0x02, 0x00, 0xFF, 0x81, .. new byte[20]],
            [0x4A, 0, 0, 0, 0x0A, .. A("8.0.36"), 0, 1, 0, 0, 0, .. A("abcdefgh"), 0, 0xFF, 0xFF, 0x21, 0x02, 0x00, 0xFF, 0xDF, 0x15, .. new byte[10], .. A("ijklmnopqrst"), 0, .. A("caching_sha2_password"), 0], true);
        yield return ("ldap", [0x30, 0x1D, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16, .. A("1.3.6.1.4.1.1466.20037")],
            [0x30, 0x0C, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0A, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00], true);
        yield return ("adb", [.. A("STLS"), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xAC, 0xAB, 0xB3, 0xAB],
            [.. A("STLS"), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xAC, 0xAB, 0xB3, 0xAB], true);
        yield return ("connect", A("CONNECT backend.example:443 HTTP/1.1\r\nHost: backend.example:443\r\n\r\n"), A("HTTP/1.1 200 Connection established\r\n\r\n"), true);
        yield return ("connect-refused", A("CONNECT backend.example:443 HTTP/1.1\r\n\r\n"), A("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"), false);
        yield return ("socks4a", [0x04, 0x01, 0x01, 0xBB, 0x00, 0x00, 0x00, 0x01, .. A("user"), 0, .. A("backend.example"), 0], [0x00, 0x5A, 0, 0, 0, 0, 0, 0], true);
        yield return ("socks4-refused", [0x04, 0x01, 0x01, 0xBB, 10, 0, 0, 2, 0], [0x00, 0x5B, 0, 0, 0, 0, 0, 0], false);
        yield return ("socks5-name", [0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x03, 15, .. A("backend.example"), 0x01, 0xBB], [0x05, 0x00, 0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0], true);
        yield return ("socks5-ipv6-refused", [0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x04, .. new byte[15], 1, 0x01, 0xBB], [0x05, 0x00, 0x05, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 0], false);
        yield return ("unknown-then-hello", A("HELLO SOMETHING\r\nREADY\r\n"), A("OK\r\n"), true);
    }

    public static int Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var n = 0;
        foreach (var (name, client, server, tls) in Conversations())
        {
            byte[] c = tls ? [.. client, .. ClientTls] : client;
            byte[] s = tls ? [.. server, .. ServerTls] : server;
            File.WriteAllBytes(Path.Combine(directory, name), [(byte)(c.Length >> 8), (byte)c.Length, .. c, .. s]);
            n++;
        }
        Console.WriteLine($"{n} seeds in {directory}");
        return 0;
    }
}
