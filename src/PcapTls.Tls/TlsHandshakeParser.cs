
namespace PcapTls.Tls;

/// <summary>
/// Span parsers for handshake messages. Each takes the whole message, its 4-byte header included, and returns
/// Incomplete while the span is shorter than the header says, Malformed when a length prefix inside does not
/// match the bytes exactly, Complete otherwise. Nothing throws; only the values handed out are allocated.
/// </summary>
public static partial class TlsHandshakeParser
{
    // struct {
    //     HandshakeType msg_type;    /* handshake type */
    //     uint24 length;             /* remaining bytes in message */
    //     select (Handshake.msg_type) { ... };
    // } Handshake;                                              (RFC 8446 section 4)
    public const int HeaderLength = 4;
    private const int TypeOffset = 0;
    private const int LengthOffset = 1;

    public const int RandomLength = 32;
    public const int MaxSessionIdLength = 32;

    /// <summary>ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 section 4.1.3).</summary>
    public static ReadOnlySpan<byte> HelloRetryRequestRandom =>
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];

    /// <summary>Extension types this parser looks into (IANA ExtensionType registry).</summary>
    public static class ExtensionType
    {
        public const ushort ServerName = 0;
        public const ushort StatusRequest = 5;
        public const ushort SupportedGroups = 10;
        public const ushort SignatureAlgorithms = 13;
        public const ushort ApplicationLayerProtocolNegotiation = 16;
        public const ushort SignedCertificateTimestamp = 18;
        public const ushort SupportedVersions = 43;
        public const ushort CertificateAuthorities = 47;
        public const ushort KeyShare = 51;
    }

    /// <summary>Reads the handshake header: type and body length. Incomplete below 4 bytes.</summary>
    public static TlsParseResult TryParseHeader(ReadOnlySpan<byte> data, out TlsHandshakeType type, out int bodyLength)
    {
        if (data.Length < HeaderLength)
        {
            type = default;
            bodyLength = 0;
            return TlsParseResult.Incomplete;
        }
        type = (TlsHandshakeType)data[TypeOffset];
        bodyLength = TlsWireReader.ReadUInt24(data.Slice(LengthOffset, 3));
        return TlsParseResult.Complete;
    }

    /// <summary>Frames one message of the expected type: Incomplete until header and body are there.</summary>
    public static TlsParseResult TryGetBody(ReadOnlySpan<byte> message, TlsHandshakeType expected, out ReadOnlySpan<byte> body)
    {
        body = default;
        var result = TryParseHeader(message, out var type, out var length);
        if (result != TlsParseResult.Complete)
        {
            return result;
        }
        if (message.Length < HeaderLength + length)
        {
            return TlsParseResult.Incomplete;
        }
        if (type != expected)
        {
            return TlsParseResult.Malformed;
        }
        body = message.Slice(HeaderLength, length);
        return TlsParseResult.Complete;
    }

    // TLS 1.3 drafts up to 21 (version 0x7F00 + draft number) sent a shorter ServerHello, still met in old captures
    // (draft-ietf-tls-tls13-18 section 4.1.3):
    //     struct {
    //         ProtocolVersion version;
    //         Random random;
    //         CipherSuite cipher_suite;
    //         Extension extensions<0..2^16-1>;
    //     } ServerHello;
    private const byte DraftVersionMajor = 0x7F;
    private const int LastShortServerHelloDraft = 21;

    /// <summary>Whether a version is a TLS 1.3 draft (0x7F0E = draft 14, ...), encrypted after the ServerHello like 1.3.</summary>
    public static bool IsTls13Draft(ushort version) => version >> 8 == DraftVersionMajor || version >> 8 == FacebookDraftVersionMajor;

    /// <summary>Facebook's TLS 1.3 variants (Fizz, mvfst): 0xFB17 = draft 23, 0xFB1A = draft 26, negotiated through
    /// supported_versions with the final ServerHello format.</summary>
    private const byte FacebookDraftVersionMajor = 0xFB;

    /// <summary>TLS 1.3 (0x0304) or one of its drafts: everything after the ServerHello is protected.</summary>
    public static bool IsTls13Family(ushort version) => version == 0x0304 || IsTls13Draft(version);
}
