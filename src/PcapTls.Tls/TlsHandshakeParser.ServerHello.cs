using System.Buffers.Binary;

namespace PcapTls.Tls;

// ServerHello, HelloRetryRequest and the TLS 1.3 drafts' short ServerHello (one part of TlsHandshakeParser).
public static partial class TlsHandshakeParser
{
    // struct {
    //     ProtocolVersion legacy_version = 0x0303;    /* TLS v1.2 */
    //     Random random;
    //     opaque legacy_session_id_echo<0..32>;
    //     CipherSuite cipher_suite;
    //     uint8 legacy_compression_method = 0;
    //     Extension extensions<6..2^16-1>;            /* absent in SSL 3.0 / early TLS hellos */
    // } ServerHello;                                            (RFC 8446 section 4.1.3)
    // A HelloRetryRequest is a ServerHello whose random is SHA-256("HelloRetryRequest"). The negotiated version
    // is supported_versions' selected_version when present (TLS 1.3), else legacy_version.
    public static TlsParseResult TryParseServerHello(ReadOnlySpan<byte> message, out ServerHelloInfo? hello)
    {
        hello = null;
        var framed = TryGetBody(message, TlsHandshakeType.ServerHello, out var body);
        if (framed != TlsParseResult.Complete)
        {
            return framed;
        }
        return ParseServerHelloBody(body, out hello) ? TlsParseResult.Complete : TlsParseResult.Malformed;
    }
    internal static bool ParseServerHelloBody(ReadOnlySpan<byte> body, out ServerHelloInfo? hello)
    {
        hello = null;
        var r = new TlsWireReader(body);
        if (!r.TryReadUInt16(out var legacyVersion) || !r.TryReadBytes(RandomLength, out var random))
        {
            return false;
        }
        var sessionId = ReadOnlySpan<byte>.Empty;
        byte compression = 0;
        ushort cipherSuite;
        if (legacyVersion >> 8 == DraftVersionMajor && (legacyVersion & 0xFF) <= LastShortServerHelloDraft)
        {
            if (!r.TryReadUInt16(out cipherSuite))
            {
                return false;
            }
        }
        else if (!r.TryReadVector8(out sessionId) || sessionId.Length > MaxSessionIdLength
            || !r.TryReadUInt16(out cipherSuite)
            || !r.TryReadUInt8(out compression))
        {
            return false;
        }
        var isRetry = random.SequenceEqual(HelloRetryRequestRandom);
        var negotiated = legacyVersion;
        string? alpn = null;
        ushort? keyShareGroup = null;
        var extensionTypes = new List<ushort>();
        if (!r.IsEmpty)
        {
            if (!r.TryReadVector16(out var extensions) || !r.IsEmpty)
            {
                return false;
            }
            var e = new TlsWireReader(extensions);
            while (!e.IsEmpty)
            {
                if (!e.TryReadUInt16(out var extType) || !e.TryReadVector16(out var data))
                {
                    return false;
                }
                extensionTypes.Add(extType);
                switch (extType)
                {
                    // ProtocolVersion selected_version;  (a ServerHello names exactly one version)
                    case ExtensionType.SupportedVersions:
                        if (data.Length != 2)
                        {
                            return false;
                        }
                        negotiated = BinaryPrimitives.ReadUInt16BigEndian(data);
                        break;
                    // The server selects exactly one protocol (RFC 7301 section 3.1).
                    case ExtensionType.ApplicationLayerProtocolNegotiation:
                        var names = new List<string>(1);
                        if (!TryParseAlpn(data, names) || names.Count != 1)
                        {
                            return false;
                        }
                        alpn = names[0];
                        break;
                    // ServerHello: KeyShareEntry server_share; HelloRetryRequest: NamedGroup selected_group;
                    case ExtensionType.KeyShare:
                        if (data.Length < 2)
                        {
                            return false;
                        }
                        keyShareGroup = BinaryPrimitives.ReadUInt16BigEndian(data);
                        if (isRetry ? data.Length != 2 : !new TlsWireReader(data[2..]).TryReadVector16(out var share) || share.Length + 4 != data.Length)
                        {
                            return false;
                        }
                        break;
                }
            }
        }
        hello = new ServerHelloInfo(legacyVersion, negotiated, cipherSuite, random.ToArray(), sessionId.ToArray(), isRetry, alpn,
            extensionTypes, IsSslv2: false)
        {
            KeyShareGroup = keyShareGroup,
            CompressionMethod = compression,
        };
        return true;
    }
}
