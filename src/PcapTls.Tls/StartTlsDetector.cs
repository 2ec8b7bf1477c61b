using System.Buffers.Binary;
using System.Text;

namespace PcapTls.Tls;

/// <summary>
/// Tells what a side's first bytes are, and finds where TLS starts after a STARTTLS exchange. Application
/// protocols that upgrade in place (SMTP, IMAP, POP3, XMPP, IRC, FTP, LDAP, PostgreSQL) begin in plaintext; the
/// decoder keeps scanning those instead of giving up on the connection.
/// </summary>
public static class StartTlsDetector
{
    public enum StreamStart
    {
        /// <summary>Not enough bytes to tell yet.</summary>
        NeedMore,
        Tls,
        Sslv2,

        /// <summary>Plaintext of a protocol that can switch to TLS in place.</summary>
        StartTlsCandidate,
        NotTls,
    }

    /// <summary>Bytes looked at before deciding what a side's stream is (a first line is usually shorter).</summary>
    public const int ClassifyWindow = 64;

    /// <summary>Bytes needed from a candidate position to accept it as the start of TLS after a preamble.</summary>
    public const int TlsStartProbeLength = 9;

    /// <summary>
    /// Classifies the first bytes of a side. final: no more bytes will come (decide with what is there).
    /// protocol: for a STARTTLS candidate, the protocol recognised ("SMTP", "IMAP", ...).
    /// </summary>
    public static StreamStart Classify(ReadOnlySpan<byte> prefix, bool final, out string? protocol)
    {
        protocol = null;
        if (prefix.IsEmpty)
        {
            return final ? StreamStart.NotTls : StreamStart.NeedMore;
        }
        var first = prefix[0];
        if (first is >= (byte)TlsContentType.ChangeCipherSpec and <= (byte)TlsContentType.Heartbeat)
        {
            if (prefix.Length < 2)
            {
                return final ? StreamStart.NotTls : StreamStart.NeedMore;
            }
            return prefix[1] == TlsRecordParser.RecordVersionMajor ? StreamStart.Tls : StreamStart.NotTls;
        }
        if ((first & 0x80) != 0)
        {
            var v2 = Sslv2Parser.LooksLikeHello(prefix);
            return v2 switch
            {
                TlsParseResult.Complete => StreamStart.Sslv2,
                TlsParseResult.Incomplete when !final => StreamStart.NeedMore,
                _ => StreamStart.NotTls,
            };
        }
        // Binary upgrade requests first: LDAP (BER SEQUENCE, then the INTEGER messageID) and PostgreSQL's SSLRequest.
        if (first == 0x30)
        {
            if (prefix.Length < 3)
            {
                return final ? StreamStart.NotTls : StreamStart.NeedMore;
            }
            var idOffset = (prefix[1] & 0x80) == 0 ? 2 : 2 + (prefix[1] & 0x7F);
            if (idOffset < prefix.Length && prefix[idOffset] == 0x02)
            {
                protocol = "LDAP";
                return StreamStart.StartTlsCandidate;
            }
            return idOffset >= prefix.Length && !final ? StreamStart.NeedMore : StreamStart.NotTls;
        }
        if (first == 0x00)
        {
            // int32 length = 8, int32 code = 80877103 (SSLRequest): PostgreSQL protocol section 54.2.10.
            if (prefix.Length < 8)
            {
                return final ? StreamStart.NotTls : StreamStart.NeedMore;
            }
            if (BinaryPrimitives.ReadUInt32BigEndian(prefix) == 8 && BinaryPrimitives.ReadUInt32BigEndian(prefix[4..]) == 80877103)
            {
                protocol = "PostgreSQL";
                return StreamStart.StartTlsCandidate;
            }
            return StreamStart.NotTls;
        }
        if (first == (byte)'S' && prefix.Length >= 2 && prefix[1] == (byte)TlsContentType.Handshake)
        {
            // PostgreSQL server: a single 'S' accepts the SSLRequest, then the ServerHello follows.
            protocol = "PostgreSQL";
            return StreamStart.StartTlsCandidate;
        }

        var lineEnd = prefix.IndexOf((byte)'\n');
        if (lineEnd < 0 && prefix.Length < ClassifyWindow && !final)
        {
            return StreamStart.NeedMore;
        }
        var line = Encoding.ASCII.GetString(lineEnd < 0 ? prefix : prefix[..lineEnd]).TrimEnd('\r');
        protocol = ClassifyLine(line);
        return protocol is null ? StreamStart.NotTls : StreamStart.StartTlsCandidate;
    }

    /// <summary>Recognises the first line of a server greeting or client command of a STARTTLS-capable protocol.</summary>
    internal static string? ClassifyLine(string line)
    {
        static bool Starts(string s, string prefix) => s.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);

        if (Starts(line, "220"))
        {
            // SMTP and FTP both greet with 220; FTP servers say so in the banner.
            return line.Contains("FTP", StringComparison.OrdinalIgnoreCase) ? "FTP" : "SMTP";
        }
        if (Starts(line, "EHLO ") || Starts(line, "HELO ") || Starts(line, "LHLO "))
        {
            return "SMTP";
        }
        if (Starts(line, "AUTH TLS") || Starts(line, "AUTH SSL") || Starts(line, "FEAT") || Starts(line, "USER "))
        {
            return "FTP";
        }
        if (Starts(line, "* OK") || Starts(line, "* PREAUTH"))
        {
            return "IMAP";
        }
        if (Starts(line, "+OK") || Starts(line, "CAPA") || Starts(line, "STLS"))
        {
            return "POP3";
        }
        if (Starts(line, "<?xml") || Starts(line, "<stream:stream"))
        {
            return "XMPP";
        }
        if (line.StartsWith(':') || Starts(line, "CAP ") || Starts(line, "NICK ") || Starts(line, "STARTTLS") || Starts(line, "NOTICE "))
        {
            return "IRC";
        }
        // An IMAP client starts with a tag, any atom: "a001 CAPABILITY", "A1 STARTTLS", ". CAPABILITY".
        var space = line.IndexOf(' ');
        if (space > 0 && space <= 32 && line[..space].All(c => c is > ' ' and < '\x7F' and not ('(' or ')' or '{' or '%' or '*' or '"' or '\\' or '+')))
        {
            var command = line[(space + 1)..];
            if (Starts(command, "CAPABILITY") || Starts(command, "STARTTLS") || Starts(command, "ID "))
            {
                return "IMAP";
            }
        }
        return null;
    }

    /// <summary>
    /// Whether TLS starts at data[0]: a handshake record holding a ClientHello or ServerHello (type, version
    /// 0x0300..0x0304, sane lengths), or a plaintext alert. Incomplete when fewer than 9 bytes decide it.
    /// Plaintext protocols never contain these byte sequences, and in BER they are very unlikely.
    /// </summary>
    public static TlsParseResult ProbeTlsStart(ReadOnlySpan<byte> data, int maxRecordLength)
    {
        if (data.IsEmpty)
        {
            return TlsParseResult.Incomplete;
        }
        if (data[0] != (byte)TlsContentType.Handshake && data[0] != (byte)TlsContentType.Alert)
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
        return type is TlsHandshakeType.ClientHello or TlsHandshakeType.ServerHello && length >= MinHelloBody && length <= 1 << 20
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
