using System.Text;

namespace PcapTls.Tls;

// ClientHello and the extensions read from it (one part of TlsHandshakeParser).
public static partial class TlsHandshakeParser
{
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
}
