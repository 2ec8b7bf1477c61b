using System.Buffers.Binary;
using System.Text;

namespace PcapTls.Tls;

/// <summary>
/// Span parsers for handshake messages. Each takes the whole message, its 4-byte header included, and returns
/// Incomplete while the span is shorter than the header says, Malformed when a length prefix inside does not
/// match the bytes exactly, Complete otherwise. Nothing throws; only the values handed out are allocated.
/// </summary>
public static class TlsHandshakeParser
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

    // uint16 ProtocolVersion;
    // opaque Random[32];
    // uint8 CipherSuite[2];    /* Cryptographic suite selector */
    // struct {
    //     ProtocolVersion legacy_version = 0x0303;    /* TLS v1.2 */
    //     Random random;
    //     opaque legacy_session_id<0..32>;
    //     CipherSuite cipher_suites<2..2^16-2>;
    //     opaque legacy_compression_methods<1..2^8-1>;
    //     Extension extensions<8..2^16-1>;            /* absent in SSL 3.0 / early TLS hellos */
    // } ClientHello;                                            (RFC 8446 section 4.1.2)
    // struct {
    //     ExtensionType extension_type;
    //     opaque extension_data<0..2^16-1>;
    // } Extension;                                              (RFC 8446 section 4.2)
    public static TlsParseResult TryParseClientHello(ReadOnlySpan<byte> message, out ClientHelloInfo? hello)
    {
        hello = null;
        var framed = TryGetBody(message, TlsHandshakeType.ClientHello, out var body);
        if (framed != TlsParseResult.Complete)
        {
            return framed;
        }
        return ParseClientHelloBody(body, out hello) ? TlsParseResult.Complete : TlsParseResult.Malformed;
    }

    internal static bool ParseClientHelloBody(ReadOnlySpan<byte> body, out ClientHelloInfo? hello)
    {
        hello = null;
        var r = new TlsWireReader(body);
        if (!r.TryReadUInt16(out var legacyVersion)
            || !r.TryReadBytes(RandomLength, out var random)
            || !r.TryReadVector8(out var sessionId) || sessionId.Length > MaxSessionIdLength
            || !r.TryReadVector16(out var suitesBytes) || suitesBytes.Length < 2
            || !TlsWireReader.TryReadUInt16List(suitesBytes, out var suites)
            || !r.TryReadVector8(out var compression) || compression.Length < 1)
        {
            return false;
        }

        string? serverName = null;
        var alpn = new List<string>();
        ushort[] versions = [];
        ushort[] signatureAlgorithms = [];
        ushort[] groups = [];
        var keyShareGroups = new List<ushort>(2);
        List<ushort> extensionTypes = [];
        if (!r.IsEmpty)
        {
            if (!r.TryReadVector16(out var extensions) || !r.IsEmpty)
            {
                return false;
            }
            // An extension takes at least 4 bytes: sized once instead of grown (a busy capture parses 100,000 hellos).
            extensionTypes = new List<ushort>(extensions.Length / 4);
            var e = new TlsWireReader(extensions);
            while (!e.IsEmpty)
            {
                if (!e.TryReadUInt16(out var extType) || !e.TryReadVector16(out var data))
                {
                    return false;
                }
                extensionTypes.Add(extType);
                var ok = extType switch
                {
                    ExtensionType.ServerName => TryParseServerName(data, out serverName),
                    ExtensionType.ApplicationLayerProtocolNegotiation => TryParseAlpn(data, alpn),
                    ExtensionType.SupportedVersions => TryParseVector8UInt16(data, out versions),
                    ExtensionType.SignatureAlgorithms => TryParseVector16UInt16(data, out signatureAlgorithms),
                    ExtensionType.SupportedGroups => TryParseVector16UInt16(data, out groups),
                    ExtensionType.KeyShare => TryParseClientKeyShare(data, keyShareGroups),
                    _ => true,
                };
                if (!ok)
                {
                    return false;
                }
            }
        }

        hello = new ClientHelloInfo(legacyVersion, versions, serverName, alpn, suites, signatureAlgorithms, extensionTypes,
            random.ToArray(), sessionId.ToArray(), IsSslv2Format: false)
        {
            SupportedGroups = groups,
            KeyShareGroups = keyShareGroups,
            CompressionMethods = compression.ToArray(),
        };
        return true;
    }

    // struct {
    //     NameType name_type;                   /* host_name(0) */
    //     select (name_type) { case host_name: HostName; } name;
    // } ServerName;
    // opaque HostName<1..2^16-1>;
    // struct { ServerName server_name_list<1..2^16-1> } ServerNameList;     (RFC 6066 section 3)
    private static bool TryParseServerName(ReadOnlySpan<byte> data, out string? serverName)
    {
        serverName = null;
        if (data.IsEmpty)
        {
            // A ServerHello echoes an empty server_name; some clients send it empty too. Nothing to read.
            return true;
        }
        var r = new TlsWireReader(data);
        if (!r.TryReadVector16(out var list) || !r.IsEmpty)
        {
            return false;
        }
        var l = new TlsWireReader(list);
        while (!l.IsEmpty)
        {
            if (!l.TryReadUInt8(out var nameType) || !l.TryReadVector16(out var name))
            {
                return false;
            }
            if (nameType == 0 && serverName is null)
            {
                serverName = Encoding.UTF8.GetString(name);
            }
        }
        return true;
    }

    // opaque ProtocolName<1..2^8-1>;
    // struct { ProtocolName protocol_name_list<2..2^16-1> } ProtocolNameList;  (RFC 7301 section 3.1)
    private static bool TryParseAlpn(ReadOnlySpan<byte> data, List<string> names)
    {
        var r = new TlsWireReader(data);
        if (!r.TryReadVector16(out var list) || !r.IsEmpty)
        {
            return false;
        }
        var l = new TlsWireReader(list);
        while (!l.IsEmpty)
        {
            if (!l.TryReadVector8(out var name) || name.IsEmpty)
            {
                return false;
            }
            names.Add(Encoding.UTF8.GetString(name));
        }
        return true;
    }

    // ProtocolVersion versions<2..254>;          (supported_versions in a ClientHello, RFC 8446 section 4.2.1)
    private static bool TryParseVector8UInt16(ReadOnlySpan<byte> data, out ushort[] values)
    {
        values = [];
        var r = new TlsWireReader(data);
        return r.TryReadVector8(out var list) && r.IsEmpty && TlsWireReader.TryReadUInt16List(list, out values);
    }

    // SignatureScheme supported_signature_algorithms<2..2^16-2>;   NamedGroup named_group_list<2..2^16-1>;
    private static bool TryParseVector16UInt16(ReadOnlySpan<byte> data, out ushort[] values)
    {
        values = [];
        var r = new TlsWireReader(data);
        return r.TryReadVector16(out var list) && r.IsEmpty && TlsWireReader.TryReadUInt16List(list, out values);
    }

    // struct {
    //     NamedGroup group;
    //     opaque key_exchange<1..2^16-1>;
    // } KeyShareEntry;
    // struct { KeyShareEntry client_shares<0..2^16-1>; } KeyShareClientHello;   (RFC 8446 section 4.2.8)
    private static bool TryParseClientKeyShare(ReadOnlySpan<byte> data, List<ushort> groups)
    {
        var r = new TlsWireReader(data);
        if (!r.TryReadVector16(out var list) || !r.IsEmpty)
        {
            return false;
        }
        var l = new TlsWireReader(list);
        while (!l.IsEmpty)
        {
            if (!l.TryReadUInt16(out var group) || !l.TryReadVector16(out _))
            {
                return false;
            }
            groups.Add(group);
        }
        return true;
    }

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

    // TLS 1.2 (RFC 5246 section 7.4.2):
    //     opaque ASN.1Cert<1..2^24-1>;
    //     struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
    // TLS 1.3 (RFC 8446 section 4.4.2):
    //     struct {
    //         opaque cert_data<1..2^24-1>;             /* X509; RawPublicKey is not supported here */
    //         Extension extensions<0..2^16-1>;
    //     } CertificateEntry;
    //     struct {
    //         opaque certificate_request_context<0..2^8-1>;
    //         CertificateEntry certificate_list<0..2^24-1>;
    //     } Certificate;
    /// <summary>
    /// Parses a Certificate message. LimitExceeded (nothing allocated) when it holds more than maxCertificates
    /// certificates or one larger than maxCertificateLength; <see cref="TryMeasureCertificate"/> says which.
    /// </summary>
    public static TlsParseResult TryParseCertificate(ReadOnlySpan<byte> message, bool tls13, out CertificateMessage? certificate,
        int maxCertificates = int.MaxValue, int maxCertificateLength = int.MaxValue)
    {
        certificate = null;
        var measured = TryMeasureCertificate(message, tls13, out var count, out var largest);
        if (measured != TlsParseResult.Complete)
        {
            return measured;
        }
        if (count > maxCertificates || largest > maxCertificateLength)
        {
            return TlsParseResult.LimitExceeded;
        }
        TryGetBody(message, TlsHandshakeType.Certificate, out var body);
        var r = new TlsWireReader(body);
        byte[]? context = null;
        if (tls13)
        {
            r.TryReadVector8(out var ctx);
            context = ctx.ToArray();
        }
        r.TryReadVector24(out var list);
        var certificates = new List<byte[]>(count);
        var entryExtensions = new List<IReadOnlyList<ushort>>(tls13 ? count : 0);
        var l = new TlsWireReader(list);
        while (!l.IsEmpty)
        {
            l.TryReadVector24(out var der);
            certificates.Add(der.ToArray());
            if (tls13)
            {
                l.TryReadVector16(out var extensions);
                var types = new List<ushort>();
                var e = new TlsWireReader(extensions);
                while (e.TryReadUInt16(out var extType) && e.TryReadVector16(out _))
                {
                    types.Add(extType);
                }
                entryExtensions.Add(types);
            }
        }
        certificate = new CertificateMessage(certificates, context) { EntryExtensionTypes = entryExtensions };
        return TlsParseResult.Complete;
    }

    /// <summary>Validates a Certificate message's structure without allocating: how many certificates and the largest.</summary>
    public static TlsParseResult TryMeasureCertificate(ReadOnlySpan<byte> message, bool tls13, out int count, out int largest)
    {
        count = 0;
        largest = 0;
        var framed = TryGetBody(message, TlsHandshakeType.Certificate, out var body);
        if (framed != TlsParseResult.Complete)
        {
            return framed;
        }
        var r = new TlsWireReader(body);
        if ((tls13 && !r.TryReadVector8(out _)) || !r.TryReadVector24(out var list) || !r.IsEmpty)
        {
            return TlsParseResult.Malformed;
        }
        var l = new TlsWireReader(list);
        while (!l.IsEmpty)
        {
            if (!l.TryReadVector24(out var der) || der.IsEmpty)
            {
                return TlsParseResult.Malformed;
            }
            if (tls13)
            {
                if (!l.TryReadVector16(out var extensions) || !IsWellFormedExtensionList(extensions))
                {
                    return TlsParseResult.Malformed;
                }
            }
            count++;
            largest = Math.Max(largest, der.Length);
        }
        return TlsParseResult.Complete;
    }

    private static bool IsWellFormedExtensionList(ReadOnlySpan<byte> extensions)
    {
        var e = new TlsWireReader(extensions);
        while (!e.IsEmpty)
        {
            if (!e.TryReadUInt16(out _) || !e.TryReadVector16(out _))
            {
                return false;
            }
        }
        return true;
    }

    // TLS 1.0 / 1.1 (RFC 4346 section 7.4.4) and TLS 1.2 (RFC 5246 section 7.4.4):
    //     struct {
    //         ClientCertificateType certificate_types<1..2^8-1>;
    //         SignatureAndHashAlgorithm supported_signature_algorithms<2^16-1>;   /* TLS 1.2 only */
    //         DistinguishedName certificate_authorities<0..2^16-1>;
    //     } CertificateRequest;
    //     opaque DistinguishedName<1..2^16-1>;
    // TLS 1.3 (RFC 8446 section 4.3.2):
    //     struct {
    //         opaque certificate_request_context<0..2^8-1>;
    //         Extension extensions<2..2^16-1>;    /* signature_algorithms required, certificate_authorities */
    //     } CertificateRequest;
    //     struct { DistinguishedName authorities<3..2^16-1>; } CertificateAuthoritiesExtension;
    /// <summary>
    /// Parses a CertificateRequest of the given negotiated version (0x0304 TLS 1.3, 0x0303 TLS 1.2, lower: no
    /// signature algorithms). Version 0 (not known, e.g. the ServerHello was not captured) tries TLS 1.2, then 1.1.
    /// </summary>
    public static TlsParseResult TryParseCertificateRequest(ReadOnlySpan<byte> message, ushort version, out CertificateRequestInfo? request)
    {
        request = null;
        var framed = TryGetBody(message, TlsHandshakeType.CertificateRequest, out var body);
        if (framed != TlsParseResult.Complete)
        {
            return framed;
        }
        var ok = version switch
        {
            >= 0x0304 => ParseCertificateRequest13(body, out request),
            0x0303 => ParseCertificateRequest12(body, withSignatureAlgorithms: true, out request),
            0 => ParseCertificateRequest12(body, withSignatureAlgorithms: true, out request)
                 || ParseCertificateRequest12(body, withSignatureAlgorithms: false, out request),
            _ => ParseCertificateRequest12(body, withSignatureAlgorithms: false, out request),
        };
        return ok ? TlsParseResult.Complete : TlsParseResult.Malformed;
    }

    private static bool ParseCertificateRequest12(ReadOnlySpan<byte> body, bool withSignatureAlgorithms, out CertificateRequestInfo? request)
    {
        request = null;
        var r = new TlsWireReader(body);
        if (!r.TryReadVector8(out var types) || types.IsEmpty)
        {
            return false;
        }
        ushort[] algorithms = [];
        if (withSignatureAlgorithms && (!r.TryReadVector16(out var algs) || !TlsWireReader.TryReadUInt16List(algs, out algorithms)))
        {
            return false;
        }
        if (!r.TryReadVector16(out var authorities) || !r.IsEmpty || !TryParseDistinguishedNames(authorities, out var names))
        {
            return false;
        }
        request = new CertificateRequestInfo(types.ToArray(), algorithms, names);
        return true;
    }

    private static bool ParseCertificateRequest13(ReadOnlySpan<byte> body, out CertificateRequestInfo? request)
    {
        request = null;
        var r = new TlsWireReader(body);
        if (!r.TryReadVector8(out var context) || !r.TryReadVector16(out var extensions) || !r.IsEmpty)
        {
            return false;
        }
        ushort[] algorithms = [];
        List<byte[]> names = [];
        var types = new List<ushort>();
        var e = new TlsWireReader(extensions);
        while (!e.IsEmpty)
        {
            if (!e.TryReadUInt16(out var extType) || !e.TryReadVector16(out var data))
            {
                return false;
            }
            types.Add(extType);
            if (extType == ExtensionType.SignatureAlgorithms && !TryParseVector16UInt16(data, out algorithms))
            {
                return false;
            }
            if (extType == ExtensionType.CertificateAuthorities)
            {
                var a = new TlsWireReader(data);
                if (!a.TryReadVector16(out var list) || !a.IsEmpty || !TryParseDistinguishedNames(list, out names))
                {
                    return false;
                }
            }
        }
        request = new CertificateRequestInfo([], algorithms, names) { RequestContext = context.ToArray(), ExtensionTypes = types };
        return true;
    }

    private static bool TryParseDistinguishedNames(ReadOnlySpan<byte> list, out List<byte[]> names)
    {
        names = [];
        var l = new TlsWireReader(list);
        while (!l.IsEmpty)
        {
            if (!l.TryReadVector16(out var dn) || dn.IsEmpty)
            {
                return false;
            }
            names.Add(dn.ToArray());
        }
        return true;
    }
}
