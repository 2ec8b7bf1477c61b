using System.Text;

namespace PcapTls.Tls.Preambles;

/// <summary>
/// XMPP (RFC 6120 section 5): both sides open a stream ("&lt;?xml ...?&gt;&lt;stream:stream ..."); the client
/// sends &lt;starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/&gt;, the server answers &lt;proceed/&gt; (TLS
/// starts after its '&gt;') or &lt;failure/&gt; and closes the stream (section 5.4.2.2).
/// </summary>
public sealed class XmppRecogniser : IPreambleRecogniser
{
    private const string TlsNamespace = "urn:ietf:params:xml:ns:xmpp-tls";

    public string Protocol => "XMPP";

    public PreambleRole Recognise(ReadOnlySpan<byte> first, string? peerProtocol, bool final)
    {
        ReadOnlySpan<byte> xml = "<?xml"u8;
        ReadOnlySpan<byte> stream = "<stream:stream"u8;
        var a = PreambleBytes.Starts(first, xml);
        var b = PreambleBytes.Starts(first, stream);
        if (a == PreambleRole.Client || b == PreambleRole.Client)
        {
            // Which end: the client addresses the server ("to="), the server answers with an id; the peer decides first.
            return peerProtocol == Protocol ? PreambleRole.Server : PreambleRole.Client;
        }
        return (a == PreambleRole.NeedMore || b == PreambleRole.NeedMore) && !final ? PreambleRole.NeedMore : PreambleRole.None;
    }

    public string? FindRefusal(ReadOnlySpan<byte> server, ReadOnlySpan<byte> client)
    {
        var text = Encoding.UTF8.GetString(server);
        var at = text.IndexOf("<failure", StringComparison.Ordinal);
        if (at < 0 || text.IndexOf(TlsNamespace, at, StringComparison.Ordinal) < 0)
        {
            return null;
        }
        var end = text.IndexOf('>', at);
        return PreambleText.Quote(end < 0 ? text[at..] : text[at..(end + 1)]);
    }

    public PreambleTarget? FindTarget(ReadOnlySpan<byte> client) => null;
}
