using System.Buffers.Binary;

namespace PcapTls.Tls;

/// <summary>
/// SSLv2-format records: the SSLv2-compatible ClientHello that old clients send to offer SSL 3.0/TLS, and the
/// SSLv2 SERVER-HELLO (with its certificate) of a server that answers in SSL 2.0.
/// </summary>
public static class Sslv2Parser
{
    // Record header (draft-hickman-netscape-ssl-00, "SSL Record Header"):
    //   2-byte form: high bit of the first byte set, 15-bit RECORD-LENGTH, no padding;
    //   3-byte form: high bit clear, bit 6 IS-ESCAPE, 14-bit RECORD-LENGTH, then PADDING-LENGTH (encrypted records).
    public const int ShortHeaderLength = 2;
    public const int LongHeaderLength = 3;

    public const byte MsgError = 0;
    public const byte MsgClientHello = 1;
    public const byte MsgClientMasterKey = 2;
    public const byte MsgServerHello = 4;

    /// <summary>SSL_CT_X509_CERTIFICATE: the only certificate type SSLv2 defines.</summary>
    public const byte CertificateTypeX509 = 1;

    /// <summary>Version number SSL 2.0 puts on the wire.</summary>
    public const ushort Version2 = 0x0002;

    /// <summary>Reads a 2-byte SSLv2 header (high bit set). Malformed when the high bit is clear.</summary>
    public static TlsParseResult TryParseShortHeader(ReadOnlySpan<byte> data, out int bodyLength)
    {
        bodyLength = 0;
        if (data.Length < ShortHeaderLength)
        {
            return TlsParseResult.Incomplete;
        }
        if ((data[0] & 0x80) == 0)
        {
            return TlsParseResult.Malformed;
        }
        bodyLength = ((data[0] & 0x7F) << 8) | data[1];
        return TlsParseResult.Complete;
    }

    /// <summary>Reads either header form; headerLength is 2 or 3. Used once a connection speaks SSL 2.0.</summary>
    public static TlsParseResult TryParseHeader(ReadOnlySpan<byte> data, out int headerLength, out int bodyLength)
    {
        headerLength = 0;
        bodyLength = 0;
        if (data.IsEmpty)
        {
            return TlsParseResult.Incomplete;
        }
        if ((data[0] & 0x80) != 0)
        {
            headerLength = ShortHeaderLength;
            return TryParseShortHeader(data, out bodyLength);
        }
        if (data.Length < LongHeaderLength)
        {
            return TlsParseResult.Incomplete;
        }
        headerLength = LongHeaderLength;
        bodyLength = ((data[0] & 0x3F) << 8) | data[1];
        return TlsParseResult.Complete;
    }

    /// <summary>
    /// Whether the first bytes of a stream look like an SSLv2-format hello: high bit set, message type
    /// CLIENT-HELLO with version 0x0002 or 0x03xx, or SERVER-HELLO. Needs 5 bytes (Incomplete before).
    /// </summary>
    public static TlsParseResult LooksLikeHello(ReadOnlySpan<byte> data)
    {
        if (data.Length < 5)
        {
            return data.IsEmpty || (data[0] & 0x80) != 0 ? TlsParseResult.Incomplete : TlsParseResult.Malformed;
        }
        if ((data[0] & 0x80) == 0)
        {
            return TlsParseResult.Malformed;
        }
        var length = ((data[0] & 0x7F) << 8) | data[1];
        return data[2] switch
        {
            MsgClientHello when length >= ClientHelloFixedLength && (data[3] == 0x00 && data[4] == 0x02 || data[3] == 0x03) => TlsParseResult.Complete,
            MsgServerHello when length >= ServerHelloFixedLength && data[3] <= 1 => TlsParseResult.Complete,
            _ => TlsParseResult.Malformed,
        };
    }

    // V2ClientHello (RFC 5246 appendix E.2, the SSLv2-compatible form; also draft-hickman CLIENT-HELLO):
    //     uint16 msg_length;              /* high bit set */
    //     uint8 msg_type;                 /* 1 */
    //     Version version;
    //     uint16 cipher_spec_length;      /* multiple of 3 */
    //     uint16 session_id_length;
    //     uint16 challenge_length;
    //     V2CipherSpec cipher_specs[V2ClientHello.cipher_spec_length];
    //     opaque session_id[V2ClientHello.session_id_length];
    //     opaque challenge[V2ClientHello.challenge_length];
    private const int ClientHelloTypeOffset = 0;
    private const int ClientHelloVersionOffset = 1;
    private const int ClientHelloCipherSpecLengthOffset = 3;
    private const int ClientHelloSessionIdLengthOffset = 5;
    private const int ClientHelloChallengeLengthOffset = 7;
    private const int ClientHelloFixedLength = 9;
    private const int CipherSpecLength = 3;
    private const int MinChallengeLength = 16;
    private const int MaxChallengeLength = 32;

    /// <summary>The body of one whole SSLv2 record (2-byte header included in <paramref name="record"/>).</summary>
    private static TlsParseResult TryReadBody(ReadOnlySpan<byte> record, out ReadOnlySpan<byte> body)
    {
        body = default;
        var header = TryParseShortHeader(record, out var length);
        if (header != TlsParseResult.Complete)
        {
            return header;
        }
        if (record.Length < ShortHeaderLength + length)
        {
            return TlsParseResult.Incomplete;
        }
        body = record.Slice(ShortHeaderLength, length);
        return TlsParseResult.Complete;
    }

    /// <summary>
    /// Parses an SSLv2-format ClientHello record (2-byte header included). The challenge becomes the Random,
    /// left-padded with zeros to 32 bytes as TLS does when it answers such a hello (RFC 5246 appendix E.2).
    /// </summary>
    public static TlsParseResult TryParseClientHello(ReadOnlySpan<byte> record, out ClientHelloInfo? hello)
    {
        hello = null;
        var framing = TryReadBody(record, out var body);
        if (framing != TlsParseResult.Complete)
        {
            return framing;
        }
        if (body.Length < ClientHelloFixedLength || body[ClientHelloTypeOffset] != MsgClientHello)
        {
            return TlsParseResult.Malformed;
        }
        var version = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(ClientHelloVersionOffset, 2));
        var specsLength = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(ClientHelloCipherSpecLengthOffset, 2));
        var sessionIdLength = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(ClientHelloSessionIdLengthOffset, 2));
        var challengeLength = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(ClientHelloChallengeLengthOffset, 2));
        if (specsLength % CipherSpecLength != 0
            || sessionIdLength > TlsHandshakeParser.MaxSessionIdLength
            || challengeLength is < MinChallengeLength or > MaxChallengeLength
            || ClientHelloFixedLength + specsLength + sessionIdLength + challengeLength != body.Length)
        {
            return TlsParseResult.Malformed;
        }
        var specBytes = body.Slice(ClientHelloFixedLength, specsLength);
        var specs = new int[specsLength / CipherSpecLength];
        var suites = new List<ushort>();
        for (var i = 0; i < specs.Length; i++)
        {
            var s = specBytes.Slice(i * CipherSpecLength, CipherSpecLength);
            specs[i] = TlsWireReader.ReadUInt24(s);
            if (s[0] == 0)
            {
                // 0x00XXYY carries the TLS cipher suite 0xXXYY (RFC 5246 appendix E.2).
                suites.Add((ushort)specs[i]);
            }
        }
        var sessionId = body.Slice(ClientHelloFixedLength + specsLength, sessionIdLength);
        var challenge = body.Slice(ClientHelloFixedLength + specsLength + sessionIdLength, challengeLength);
        var random = new byte[TlsHandshakeParser.RandomLength];
        challenge.CopyTo(random.AsSpan(TlsHandshakeParser.RandomLength - challengeLength));
        hello = new ClientHelloInfo(version, [], null, [], suites, [], [], random, sessionId.ToArray(), IsSslv2Format: true)
        {
            Sslv2CipherSpecs = specs,
        };
        return TlsParseResult.Complete;
    }

    // SERVER-HELLO (draft-hickman-netscape-ssl-00):
    //     char MSG-SERVER-HELLO               /* 4 */
    //     char SESSION-ID-HIT
    //     char CERTIFICATE-TYPE
    //     char SERVER-VERSION-MSB, SERVER-VERSION-LSB
    //     char CERTIFICATE-LENGTH-MSB, CERTIFICATE-LENGTH-LSB
    //     char CIPHER-SPECS-LENGTH-MSB, CIPHER-SPECS-LENGTH-LSB
    //     char CONNECTION-ID-LENGTH-MSB, CONNECTION-ID-LENGTH-LSB
    //     char CERTIFICATE-DATA[MSB<<8|LSB]
    //     char CIPHER-SPECS-DATA[MSB<<8|LSB]
    //     char CONNECTION-ID-DATA[MSB<<8|LSB]
    private const int ServerHelloTypeOffset = 0;
    private const int ServerHelloSessionIdHitOffset = 1;
    private const int ServerHelloCertificateTypeOffset = 2;
    private const int ServerHelloVersionOffset = 3;
    private const int ServerHelloCertificateLengthOffset = 5;
    private const int ServerHelloCipherSpecLengthOffset = 7;
    private const int ServerHelloConnectionIdLengthOffset = 9;
    private const int ServerHelloFixedLength = 11;

    /// <summary>
    /// Parses an SSLv2 SERVER-HELLO record (2-byte header included). The connection id becomes the Random; the
    /// certificate (absent on a session-id hit) is returned as a one-entry <see cref="CertificateMessage"/>.
    /// </summary>
    public static TlsParseResult TryParseServerHello(ReadOnlySpan<byte> record, out ServerHelloInfo? hello, out CertificateMessage? certificate)
    {
        hello = null;
        certificate = null;
        var framing = TryReadBody(record, out var body);
        if (framing != TlsParseResult.Complete)
        {
            return framing;
        }
        if (body.Length < ServerHelloFixedLength || body[ServerHelloTypeOffset] != MsgServerHello)
        {
            return TlsParseResult.Malformed;
        }
        var sessionIdHit = body[ServerHelloSessionIdHitOffset];
        var certificateType = body[ServerHelloCertificateTypeOffset];
        var version = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(ServerHelloVersionOffset, 2));
        var certificateLength = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(ServerHelloCertificateLengthOffset, 2));
        var specsLength = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(ServerHelloCipherSpecLengthOffset, 2));
        var connectionIdLength = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(ServerHelloConnectionIdLengthOffset, 2));
        if (specsLength % CipherSpecLength != 0
            || ServerHelloFixedLength + certificateLength + specsLength + connectionIdLength != body.Length)
        {
            return TlsParseResult.Malformed;
        }
        var der = body.Slice(ServerHelloFixedLength, certificateLength);
        var specBytes = body.Slice(ServerHelloFixedLength + certificateLength, specsLength);
        var connectionId = body.Slice(ServerHelloFixedLength + certificateLength + specsLength, connectionIdLength);
        var specs = new int[specsLength / CipherSpecLength];
        for (var i = 0; i < specs.Length; i++)
        {
            specs[i] = TlsWireReader.ReadUInt24(specBytes.Slice(i * CipherSpecLength, CipherSpecLength));
        }
        hello = new ServerHelloInfo(version, version, 0, connectionId.ToArray(), [], IsHelloRetryRequest: false, Alpn: null, [], IsSslv2: true)
        {
            Sslv2CipherSpecs = specs,
        };
        if (sessionIdHit == 0 && certificateType == CertificateTypeX509 && !der.IsEmpty)
        {
            certificate = new CertificateMessage([der.ToArray()], RequestContext: null);
        }
        return TlsParseResult.Complete;
    }
}
