using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace PcapTls.Tls.Preambles;

/// <summary>
/// SOCKS 4 ("SOCKS: A protocol for TCP proxy across firewalls", Ying-Da Lee) and its 4A extension. Client:
/// VN=4, CD (1 CONNECT, 2 BIND), DSTPORT (2 bytes), DSTIP (4 bytes), USERID, NULL; in 4A, DSTIP 0.0.0.x with
/// x non-zero, then the host name and a NULL. Server: VN=0, CD (90 granted, 91 rejected or failed, 92 no
/// identd, 93 user-id mismatch), DSTPORT, DSTIP.
/// </summary>
public sealed class Socks4Recogniser : IPreambleRecogniser
{
    private const byte Version = 4;
    private const byte Granted = 90;

    /// <summary>Longest user id (and 4A host name) accepted in a request.</summary>
    private const int MaxField = 255;

    public string Protocol => "SOCKS4";

    public PreambleRole Recognise(ReadOnlySpan<byte> first, string? peerProtocol, bool final)
    {
        if (first.IsEmpty)
        {
            return final ? PreambleRole.None : PreambleRole.NeedMore; // found by tools/fuzz (preamble)
        }
        if (peerProtocol == Protocol)
        {
            if (first[0] != 0)
            {
                return PreambleRole.None;
            }
            if (first.Length < 2)
            {
                return final ? PreambleRole.None : PreambleRole.NeedMore;
            }
            return first[1] is >= Granted and <= 93 ? PreambleRole.Server : PreambleRole.None;
        }
        if (first[0] != Version)
        {
            return PreambleRole.None;
        }
        if (first.Length >= 2 && first[1] is not (1 or 2))
        {
            return PreambleRole.None;
        }
        if (first.Length < 9)
        {
            return final ? PreambleRole.None : PreambleRole.NeedMore;
        }
        var userId = first[8..];
        var end = userId.IndexOf((byte)0);
        if (end < 0)
        {
            // The window (64 bytes) decides: a longer user id is possible but not seen in practice.
            return final || first.Length >= PreambleRecognisers.ClassifyWindow ? PreambleRole.None : PreambleRole.NeedMore;
        }
        foreach (var b in userId[..end])
        {
            if (b is < 0x20 or >= 0x7F)
            {
                return PreambleRole.None;
            }
        }
        return PreambleRole.Client;
    }

    public string? FindRefusal(ReadOnlySpan<byte> server, ReadOnlySpan<byte> client)
        => server.Length >= 2 && server[0] == 0 && server[1] != Granted ? $"reply {server[1]} ({ReplyName(server[1])})" : null;

    public static string ReplyName(byte cd) => cd switch
    {
        90 => "request granted",
        91 => "request rejected or failed",
        92 => "request rejected: the SOCKS server cannot connect to identd on the client",
        93 => "request rejected: the client program and identd report different user-ids",
        _ => "unassigned",
    };

    public PreambleTarget? FindTarget(ReadOnlySpan<byte> client)
    {
        if (client.Length < 9 || client[0] != Version)
        {
            return null;
        }
        var port = BinaryPrimitives.ReadUInt16BigEndian(client[2..]);
        var ip = client.Slice(4, 4);
        var userEnd = client[8..].IndexOf((byte)0);
        if (userEnd < 0 || userEnd > MaxField)
        {
            return null;
        }
        if (ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0)
        {
            var name = client[(8 + userEnd + 1)..];
            var nameEnd = name.IndexOf((byte)0);
            return nameEnd is > 0 and <= MaxField
                ? new PreambleTarget(PreambleText.Quote(Encoding.ASCII.GetString(name[..nameEnd])), port, "SOCKS4a")
                : null;
        }
        return new PreambleTarget(new IPAddress(ip).ToString(), port);
    }
}
