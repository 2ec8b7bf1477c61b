using System.Text;

namespace PcapTls.Tls.Preambles;

/// <summary>
/// LDAP StartTLS (RFC 4511 sections 4.14 and 4.12; BER as in X.690): LDAPMessage ::= SEQUENCE { messageID
/// INTEGER, protocolOp [APPLICATION n] }. The client's ExtendedRequest ([APPLICATION 23], 0x77) names
/// requestName [0] "1.3.6.1.4.1.1466.20037"; the server's ExtendedResponse ([APPLICATION 24], 0x78) carries
/// resultCode ENUMERATED (0 = success, then TLS), matchedDN, diagnosticMessage.
/// </summary>
public sealed class LdapRecogniser : IPreambleRecogniser
{
    public const string StartTlsOid = "1.3.6.1.4.1.1466.20037";
    private const byte Sequence = 0x30;
    private const byte Integer = 0x02;
    private const byte Enumerated = 0x0A;
    private const byte OctetString = 0x04;
    private const byte ExtendedRequest = 0x77;
    private const byte ExtendedResponse = 0x78;
    private const byte RequestName = 0x80;

    public string Protocol => "LDAP";

    public PreambleRole Recognise(ReadOnlySpan<byte> first, string? peerProtocol, bool final)
    {
        if (first.IsEmpty)
        {
            return final ? PreambleRole.None : PreambleRole.NeedMore; // found by tools/fuzz (preamble)
        }
        if (first[0] != Sequence)
        {
            return PreambleRole.None;
        }
        var body = ReadTlv(first, out _, out _);
        if (body.Status == TlsParseResult.Malformed)
        {
            return PreambleRole.None;
        }
        if (body.HeaderLength == 0)
        {
            return final ? PreambleRole.None : PreambleRole.NeedMore;
        }
        // Within the window: the messageID INTEGER and an [APPLICATION n] constructed protocolOp tag.
        var inner = first[body.HeaderLength..];
        var id = ReadTlv(inner, out var idTag, out _);
        if (id.Status != TlsParseResult.Complete)
        {
            return final || id.Status == TlsParseResult.Malformed ? PreambleRole.None : PreambleRole.NeedMore;
        }
        if (idTag != Integer)
        {
            return PreambleRole.None;
        }
        var op = inner[(id.HeaderLength + id.Length)..];
        if (op.IsEmpty)
        {
            return final ? PreambleRole.None : PreambleRole.NeedMore;
        }
        if ((op[0] & 0xE0) != 0x60)
        {
            return PreambleRole.None;
        }
        // Requests have even application numbers below 24 except responses 1,4,5,7,9,11,13,19,24,25.
        return op[0] is 0x61 or 0x64 or 0x65 or 0x67 or 0x69 or 0x6B or 0x6D or 0x73 or ExtendedResponse or 0x79
            ? PreambleRole.Server : PreambleRole.Client;
    }

    public string? FindRefusal(ReadOnlySpan<byte> server, ReadOnlySpan<byte> client)
    {
        long? startTlsId = null;
        foreach (var (id, op, content) in Messages(client))
        {
            if (op == ExtendedRequest && ReadTlv(content, out var tag, out var value).Status == TlsParseResult.Complete && tag == RequestName
                && Encoding.ASCII.GetString(value) == StartTlsOid)
            {
                startTlsId = id;
            }
        }
        foreach (var (id, op, content) in Messages(server))
        {
            if (op != ExtendedResponse || (startTlsId is { } want && want != id))
            {
                continue;
            }
            if (ReadTlv(content, out var tag, out var code).Status != TlsParseResult.Complete || tag != Enumerated || code.Length is 0 or > 4)
            {
                continue;
            }
            var result = 0L;
            foreach (var b in code)
            {
                result = result << 8 | b;
            }
            if (result == 0)
            {
                continue;
            }
            var rest = content[(ReadTlv(content, out _, out _).HeaderLength + code.Length)..];
            var diagnostic = "";
            if (ReadTlv(rest, out var dnTag, out var dn) is { Status: TlsParseResult.Complete } m && dnTag == OctetString)
            {
                rest = rest[(m.HeaderLength + dn.Length)..];
                if (ReadTlv(rest, out var dTag, out var d).Status == TlsParseResult.Complete && dTag == OctetString && d.Length > 0)
                {
                    diagnostic = $": \"{PreambleText.Quote(Encoding.UTF8.GetString(d))}\"";
                }
            }
            return $"extendedResponse resultCode {result} ({ResultName(result)}){diagnostic}";
        }
        return null;
    }

    public static string ResultName(long code) => code switch
    {
        0 => "success",
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        11 => "adminLimitExceeded",
        12 => "unavailableCriticalExtension",
        13 => "confidentialityRequired",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => "unassigned",
    };

    public PreambleTarget? FindTarget(ReadOnlySpan<byte> client) => null;

    private readonly record struct Tlv(TlsParseResult Status, int HeaderLength, int Length);

    /// <summary>One BER TLV with a one-byte tag and a definite length (short or long form, at most 4 length bytes).</summary>
    private static Tlv ReadTlv(ReadOnlySpan<byte> data, out byte tag, out ReadOnlySpan<byte> value)
    {
        tag = 0;
        value = default;
        if (data.Length < 2)
        {
            return new(TlsParseResult.Incomplete, 0, 0);
        }
        tag = data[0];
        int length;
        var header = 2;
        if ((data[1] & 0x80) == 0)
        {
            length = data[1];
        }
        else
        {
            var n = data[1] & 0x7F;
            if (n is 0 or > 4)
            {
                return new(TlsParseResult.Malformed, 0, 0);
            }
            if (data.Length < 2 + n)
            {
                return new(TlsParseResult.Incomplete, 0, 0);
            }
            long l = 0;
            for (var i = 0; i < n; i++)
            {
                l = l << 8 | data[2 + i];
            }
            if (l > int.MaxValue / 2)
            {
                return new(TlsParseResult.Malformed, 0, 0);
            }
            length = (int)l;
            header += n;
        }
        if (data.Length < header + length)
        {
            return new(TlsParseResult.Incomplete, header, length);
        }
        value = data.Slice(header, length);
        return new(TlsParseResult.Complete, header, length);
    }

    /// <summary>The complete LDAPMessages in data: messageID, protocolOp tag, protocolOp content.</summary>
    private static List<(long Id, byte Op, byte[] Content)> Messages(ReadOnlySpan<byte> data)
    {
        var list = new List<(long, byte, byte[])>();
        while (ReadTlv(data, out var tag, out var message) is { Status: TlsParseResult.Complete } t && tag == Sequence)
        {
            data = data[(t.HeaderLength + t.Length)..];
            if (ReadTlv(message, out var idTag, out var idValue) is not { Status: TlsParseResult.Complete } idTlv || idTag != Integer || idValue.Length is 0 or > 4)
            {
                continue;
            }
            long id = 0;
            foreach (var b in idValue)
            {
                id = id << 8 | b;
            }
            var opData = message[(idTlv.HeaderLength + idTlv.Length)..];
            if (ReadTlv(opData, out var op, out var content).Status == TlsParseResult.Complete)
            {
                list.Add((id, op, content.ToArray()));
            }
        }
        return list;
    }
}
