using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace PcapTls.Tls.Preambles;

/// <summary>
/// SOCKS version 5 (RFC 1928), with username/password authentication (RFC 1929). Client: VER=5, NMETHODS,
/// METHODS; then, when the server chose method 2, the sub-negotiation VER=1, ULEN, UNAME, PLEN, PASSWD; then
/// the request VER=5, CMD, RSV, ATYP, DST.ADDR, DST.PORT. Server: VER=5, METHOD (X'FF' = none acceptable);
/// VER=1, STATUS (0 = success); VER=5, REP (0 = succeeded), RSV, ATYP, BND.ADDR, BND.PORT.
/// </summary>
public sealed class Socks5Recogniser : IPreambleRecogniser
{
    private const byte Version = 5;
    private const byte AuthVersion = 1;
    private const byte NoAcceptableMethods = 0xFF;
    private const byte UsernamePassword = 2;
    private const byte NoAuthentication = 0;

    public string Protocol => "SOCKS5";

    public PreambleRole Recognise(ReadOnlySpan<byte> first, string? peerProtocol, bool final)
    {
        if (first.IsEmpty)
        {
            return final ? PreambleRole.None : PreambleRole.NeedMore; // found by tools/fuzz (preamble)
        }
        if (first[0] != Version)
        {
            return PreambleRole.None;
        }
        if (first.Length < 2)
        {
            return final ? PreambleRole.None : PreambleRole.NeedMore;
        }
        if (peerProtocol == Protocol)
        {
            return PreambleRole.Server;
        }
        var methods = first[1];
        if (methods == 0)
        {
            return PreambleRole.None;
        }
        if (first.Length < 2 + methods)
        {
            return final ? PreambleRole.None : PreambleRole.NeedMore;
        }
        // What follows the greeting, when it came in the same segment, is a sub-negotiation or the request.
        return first.Length == 2 + methods || first[2 + methods] is AuthVersion or Version ? PreambleRole.Client : PreambleRole.None;
    }

    public string? FindRefusal(ReadOnlySpan<byte> server, ReadOnlySpan<byte> client)
    {
        if (server.Length < 2 || server[0] != Version)
        {
            return null;
        }
        var method = server[1];
        if (method == NoAcceptableMethods)
        {
            return "method selection: no acceptable methods (X'FF')";
        }
        var rest = server[2..];
        if (method == UsernamePassword)
        {
            if (rest.Length < 2)
            {
                return null;
            }
            if (rest[1] != 0)
            {
                return $"username/password authentication failed (status {rest[1]})";
            }
            rest = rest[2..];
        }
        else if (method != NoAuthentication)
        {
            // GSSAPI and private methods encapsulate what follows: nothing more to read here.
            return null;
        }
        return rest.Length >= 2 && rest[0] == Version && rest[1] != 0 ? $"reply {rest[1]} ({ReplyName(rest[1])})" : null;
    }

    public static string ReplyName(byte rep) => rep switch
    {
        0 => "succeeded",
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned",
    };

    public PreambleTarget? FindTarget(ReadOnlySpan<byte> client)
    {
        if (client.Length < 2 || client[0] != Version || client.Length < 2 + client[1])
        {
            return null;
        }
        var rest = client[(2 + client[1])..];
        if (rest.Length >= 2 && rest[0] == AuthVersion)
        {
            var ulen = rest[1];
            if (rest.Length < 3 + ulen)
            {
                return null;
            }
            var plen = rest[2 + ulen];
            if (rest.Length < 3 + ulen + plen)
            {
                return null;
            }
            rest = rest[(3 + ulen + plen)..];
        }
        return rest.Length >= 4 && rest[0] == Version && rest[2] == 0 ? ReadAddress(rest[3], rest[4..]) : null;
    }

    /// <summary>ATYP X'01' IPv4 (4 bytes), X'03' domain name (length byte, name), X'04' IPv6 (16 bytes), then the port.</summary>
    internal static PreambleTarget? ReadAddress(byte type, ReadOnlySpan<byte> data)
    {
        string host;
        int used;
        switch (type)
        {
            case 1 when data.Length >= 6:
                host = new IPAddress(data[..4]).ToString();
                used = 4;
                break;
            case 3 when data.Length >= 1 && data.Length >= 1 + data[0] + 2 && data[0] > 0:
                host = Encoding.ASCII.GetString(data.Slice(1, data[0]));
                used = 1 + data[0];
                break;
            case 4 when data.Length >= 18:
                host = new IPAddress(data[..16]).ToString();
                used = 16;
                break;
            default:
                return null;
        }
        return new PreambleTarget(PreambleText.Quote(host), BinaryPrimitives.ReadUInt16BigEndian(data[used..]));
    }
}
