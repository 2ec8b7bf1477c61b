using System.Buffers.Binary;
using System.Globalization;

namespace PcapTls.Tls.Preambles;

/// <summary>
/// MySQL / MariaDB client/server protocol: packets of a 3-byte little-endian payload length and a sequence
/// id. The server speaks first, Protocol::HandshakeV10 (protocol version 10, NUL-terminated server version,
/// connection id, 8 bytes of auth data, a filler, the low 16 capability bits); a client that wants TLS answers
/// with Protocol::SSLRequest (sequence 1, 32 bytes, CLIENT_SSL 0x0800 set) and starts TLS right after it.
/// </summary>
public sealed class MySqlRecogniser : IPreambleRecogniser
{
    public const uint ClientSsl = 0x0800;
    public const uint ClientProtocol41 = 0x0200;
    private const byte ProtocolVersion10 = 10;
    private const int HeaderLength = 4;

    public string Protocol => "MySQL";

    public PreambleRole Recognise(ReadOnlySpan<byte> first, string? peerProtocol, bool final)
    {
        if (first.Length < HeaderLength + 1)
        {
            return final ? PreambleRole.None : PreambleRole.NeedMore;
        }
        var length = first[0] | first[1] << 8 | first[2] << 16;
        if (peerProtocol == Protocol)
        {
            // SSLRequest or HandshakeResponse41: sequence 1, at least the 32 fixed bytes.
            return first[3] == 1 && length >= 32 ? PreambleRole.Client : PreambleRole.None;
        }
        if (first[3] != 0 || first[4] != ProtocolVersion10 || length < 32 || length > 1024)
        {
            return PreambleRole.None;
        }
        var version = first[(HeaderLength + 1)..];
        var end = version.IndexOf((byte)0);
        if (end < 0)
        {
            return final || first.Length >= PreambleRecognisers.ClassifyWindow ? PreambleRole.None : PreambleRole.NeedMore;
        }
        foreach (var b in version[..end])
        {
            if (b is < 0x20 or >= 0x7F)
            {
                return PreambleRole.None;
            }
        }
        return end > 0 ? PreambleRole.Server : PreambleRole.None;
    }

    public string? FindRefusal(ReadOnlySpan<byte> server, ReadOnlySpan<byte> client)
    {
        if (server.Length < HeaderLength + 1 || server[4] != ProtocolVersion10)
        {
            return null;
        }
        var version = server[(HeaderLength + 1)..];
        var end = version.IndexOf((byte)0);
        // connection id (4), auth-plugin-data-part-1 (8), filler (1), capability_flags_1 (2).
        var caps = version[(end + 1)..];
        if (end < 0 || caps.Length < 4 + 8 + 1 + 2)
        {
            return null;
        }
        var lower = BinaryPrimitives.ReadUInt16LittleEndian(caps[13..]);
        return (lower & ClientSsl) == 0
            ? $"the server's greeting does not offer CLIENT_SSL (0x0800): capability flags 0x{lower.ToString("x4", CultureInfo.InvariantCulture)}"
            : null;
    }

    public PreambleTarget? FindTarget(ReadOnlySpan<byte> client) => null;
}
