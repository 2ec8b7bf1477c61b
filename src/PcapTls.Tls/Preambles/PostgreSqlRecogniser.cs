using System.Buffers.Binary;

namespace PcapTls.Tls.Preambles;

/// <summary>
/// PostgreSQL (protocol docs, "SSL Session Encryption" and "Message Formats"): the client sends SSLRequest,
/// Int32 length 8 and Int32 code 80877103 (or first GSSENCRequest, code 80877104); the server answers a
/// single byte, 'S' (then TLS) or 'N' (not supported), or, a server older than 7.x, an ErrorResponse 'E'.
/// </summary>
public sealed class PostgreSqlRecogniser : IPreambleRecogniser
{
    public const uint SslRequestCode = 80877103;
    public const uint GssEncRequestCode = 80877104;
    private const int RequestLength = 8;

    public string Protocol => "PostgreSQL";

    public PreambleRole Recognise(ReadOnlySpan<byte> first, string? peerProtocol, bool final)
    {
        if (first.IsEmpty)
        {
            return final ? PreambleRole.None : PreambleRole.NeedMore; // found by tools/fuzz (preamble)
        }
        if (peerProtocol == Protocol && first[0] is (byte)'S' or (byte)'N' or (byte)'E')
        {
            return PreambleRole.Server;
        }
        if (first[0] == (byte)'S' && first.Length >= 2 && first[1] == (byte)TlsContentType.Handshake)
        {
            // 'S' then the ServerHello in one segment: the accepted SSLRequest, seen even without the client side.
            return PreambleRole.Server;
        }
        if (first[0] != 0)
        {
            return PreambleRole.None;
        }
        if (first.Length < RequestLength)
        {
            return final ? PreambleRole.None : PreambleRole.NeedMore;
        }
        return IsRequest(first, out _) ? PreambleRole.Client : PreambleRole.None;
    }

    private static bool IsRequest(ReadOnlySpan<byte> data, out uint code)
    {
        code = data.Length >= RequestLength ? BinaryPrimitives.ReadUInt32BigEndian(data[4..]) : 0;
        return data.Length >= RequestLength && BinaryPrimitives.ReadUInt32BigEndian(data) == RequestLength
            && code is SslRequestCode or GssEncRequestCode;
    }

    public string? FindRefusal(ReadOnlySpan<byte> server, ReadOnlySpan<byte> client)
    {
        // One answer byte per request, in order; the SSLRequest's answer decides.
        for (var i = 0; IsRequest(client, out var code); i++, client = client[RequestLength..])
        {
            if (code != SslRequestCode || i >= server.Length)
            {
                continue;
            }
            return server[i] switch
            {
                (byte)'N' => "the server answered 'N' to SSLRequest (80877103): it does not support SSL",
                (byte)'E' => "the server answered SSLRequest (80877103) with an ErrorResponse",
                _ => null,
            };
        }
        // Without the client's side, a lone 'N' is still the answer to an SSLRequest or GSSENCRequest.
        return client.IsEmpty && server.Length == 1 && server[0] == (byte)'N'
            ? "the server answered 'N' to the client's encryption request: it does not support it" : null;
    }

    public PreambleTarget? FindTarget(ReadOnlySpan<byte> client) => null;
}
