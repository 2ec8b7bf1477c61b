using System.Text;

namespace PcapTls.Tls.Preambles;

/// <summary>
/// Tells what a side's first bytes are (TLS, SSLv2, the plaintext of a known preamble protocol, or unknown)
/// and finds where TLS starts after a preamble. The protocols are a table: adding one is a recogniser file
/// and a row in <see cref="All"/>.
/// </summary>
public static class PreambleRecognisers
{
    public enum StreamStart
    {
        /// <summary>Not enough bytes to tell yet.</summary>
        NeedMore,
        Tls,
        Sslv2,

        /// <summary>Plaintext of a protocol in the table.</summary>
        Recognised,

        /// <summary>Plaintext nobody here knows: TLS is looked for by its ClientHello only.</summary>
        Unrecognised,
    }

    /// <summary>Every recogniser, tried in this order (the more specific first).</summary>
    public static readonly IReadOnlyList<IPreambleRecogniser> All =
    [
        new HttpConnectRecogniser(),
        new Socks5Recogniser(),
        new Socks4Recogniser(),
        new PostgreSqlRecogniser(),
        new MySqlRecogniser(),
        new AdbRecogniser(),
        new LdapRecogniser(),
        LineProtocolRecogniser.Ftp,
        LineProtocolRecogniser.Smtp,
        LineProtocolRecogniser.Nntp,
        LineProtocolRecogniser.Pop3,
        new ImapRecogniser(),
        new XmppRecogniser(),
        new IrcRecogniser(),
    ];

    /// <summary>Bytes looked at before deciding what a side's stream is (a first line is usually shorter).</summary>
    public const int ClassifyWindow = 64;

    /// <summary>Bytes needed from a candidate position to accept it as the start of TLS after a preamble.</summary>
    public const int TlsStartProbeLength = 9;

    /// <summary>How far into an unrecognised plaintext stream a ClientHello is still looked for.</summary>
    public const int UnrecognisedScanLimit = 16 * 1024;

    public static IPreambleRecogniser? Find(string protocol)
    {
        foreach (var r in All)
        {
            if (r.Protocol == protocol)
            {
                return r;
            }
        }
        return null;
    }

    /// <summary>
    /// Classifies the first bytes of a side. final: no more bytes will come (decide with what is there).
    /// peerProtocol: what the other side was recognised as. recogniser and role: for Recognised.
    /// </summary>
    public static StreamStart Classify(ReadOnlySpan<byte> prefix, bool final, string? peerProtocol, out IPreambleRecogniser? recogniser, out PreambleRole role)
    {
        recogniser = null;
        role = PreambleRole.None;
        if (prefix.IsEmpty)
        {
            return final ? StreamStart.Unrecognised : StreamStart.NeedMore;
        }
        var first = prefix[0];
        if (first is >= (byte)TlsContentType.ChangeCipherSpec and <= (byte)TlsContentType.Heartbeat)
        {
            if (prefix.Length < 2)
            {
                return final ? StreamStart.Unrecognised : StreamStart.NeedMore;
            }
            if (prefix[1] == TlsRecordParser.RecordVersionMajor)
            {
                return StreamStart.Tls;
            }
        }
        if ((first & 0x80) != 0)
        {
            var v2 = Sslv2Parser.LooksLikeHello(prefix);
            if (v2 == TlsParseResult.Complete)
            {
                return StreamStart.Sslv2;
            }
            if (v2 == TlsParseResult.Incomplete && !final)
            {
                return StreamStart.NeedMore;
            }
        }
        var undecided = false;
        foreach (var r in All)
        {
            var seen = r.Recognise(prefix, peerProtocol, final);
            if (seen is PreambleRole.Client or PreambleRole.Server)
            {
                recogniser = r;
                role = seen;
                return StreamStart.Recognised;
            }
            undecided |= seen == PreambleRole.NeedMore;
        }
        return undecided && !final ? StreamStart.NeedMore : StreamStart.Unrecognised;
    }

    /// <summary>
    /// Whether TLS starts at data[0]: a handshake record holding a ClientHello (or, with serverHello, a
    /// ServerHello) with version 0x0300..0x0304 and sane lengths, or (with serverHello) a plaintext alert.
    /// Incomplete when fewer than 9 bytes decide it. Plaintext protocols never contain these byte sequences,
    /// and in BER they are very unlikely.
    /// </summary>
    public static TlsParseResult ProbeTlsStart(ReadOnlySpan<byte> data, int maxRecordLength, bool serverHello = true)
    {
        if (data.IsEmpty)
        {
            return TlsParseResult.Incomplete;
        }
        if (data[0] != (byte)TlsContentType.Handshake && (data[0] != (byte)TlsContentType.Alert || !serverHello))
        {
            return TlsParseResult.Malformed;
        }
        var need = data[0] == (byte)TlsContentType.Alert ? TlsRecordParser.HeaderLength + TlsRecordParser.AlertLength : TlsStartProbeLength;
        if (data.Length < need)
        {
            // Reject early when what is there already rules it out.
            if (data.Length >= 2 && data[1] != TlsRecordParser.RecordVersionMajor)
            {
                return TlsParseResult.Malformed;
            }
            if (data.Length >= 3 && data[2] > 4)
            {
                return TlsParseResult.Malformed;
            }
            return TlsParseResult.Incomplete;
        }
        if (TlsRecordParser.TryParseHeader(data, out var header) != TlsParseResult.Complete || !TlsRecordParser.IsPlausibleHeader(header, maxRecordLength))
        {
            return TlsParseResult.Malformed;
        }
        if (header.Type == TlsContentType.Alert)
        {
            return header.Length == TlsRecordParser.AlertLength && data[5] is 1 or 2 ? TlsParseResult.Complete : TlsParseResult.Malformed;
        }
        var type = (TlsHandshakeType)data[5];
        var length = TlsWireReader.ReadUInt24(data.Slice(6, 3));
        const int MinHelloBody = 2 + TlsHandshakeParser.RandomLength + 1 + 2 + 1;
        var hello = type == TlsHandshakeType.ClientHello || (serverHello && type == TlsHandshakeType.ServerHello);
        return hello && length >= MinHelloBody && length <= 1 << 20
            ? TlsParseResult.Complete
            : TlsParseResult.Malformed;
    }

    /// <summary>The first bytes as printable text for a report: other bytes become '.', at most maxChars.</summary>
    public static string Preview(ReadOnlySpan<byte> data, int maxChars = 64)
    {
        var n = Math.Min(data.Length, maxChars);
        var sb = new StringBuilder(n);
        for (var i = 0; i < n; i++)
        {
            var b = data[i];
            sb.Append(b is >= 0x20 and < 0x7F ? (char)b : '.');
        }
        return sb.ToString();
    }
}
