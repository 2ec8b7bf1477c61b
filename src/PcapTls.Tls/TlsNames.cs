using System.Collections.Frozen;
using System.Globalization;

namespace PcapTls.Tls;

/// <summary>
/// Names for IANA wire values, as the RFCs and the IANA registries spell them. An unknown value is shown as its
/// number (hex for versions and suites, decimal for alerts), never dropped.
/// </summary>
public static class TlsNames
{
    /// <summary>IANA TLS Cipher Suites registry: the suites seen in practice (all of TLS 1.3, RSA, DHE, ECDHE, ...).</summary>
    private static readonly FrozenDictionary<ushort, string> CipherSuites = new Dictionary<ushort, string>
    {
        [0x0000] = "TLS_NULL_WITH_NULL_NULL",
        [0x0001] = "TLS_RSA_WITH_NULL_MD5",
        [0x0002] = "TLS_RSA_WITH_NULL_SHA",
        [0x0003] = "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        [0x0004] = "TLS_RSA_WITH_RC4_128_MD5",
        [0x0005] = "TLS_RSA_WITH_RC4_128_SHA",
        [0x0006] = "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
        [0x0007] = "TLS_RSA_WITH_IDEA_CBC_SHA",
        [0x0008] = "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
        [0x0009] = "TLS_RSA_WITH_DES_CBC_SHA",
        [0x000A] = "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        [0x000B] = "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA",
        [0x000C] = "TLS_DH_DSS_WITH_DES_CBC_SHA",
        [0x000D] = "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA",
        [0x000E] = "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA",
        [0x000F] = "TLS_DH_RSA_WITH_DES_CBC_SHA",
        [0x0010] = "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA",
        [0x0011] = "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA",
        [0x0012] = "TLS_DHE_DSS_WITH_DES_CBC_SHA",
        [0x0013] = "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA",
        [0x0014] = "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA",
        [0x0015] = "TLS_DHE_RSA_WITH_DES_CBC_SHA",
        [0x0016] = "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        [0x0017] = "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5",
        [0x0018] = "TLS_DH_anon_WITH_RC4_128_MD5",
        [0x0019] = "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA",
        [0x001A] = "TLS_DH_anon_WITH_DES_CBC_SHA",
        [0x001B] = "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA",
        [0x002F] = "TLS_RSA_WITH_AES_128_CBC_SHA",
        [0x0030] = "TLS_DH_DSS_WITH_AES_128_CBC_SHA",
        [0x0031] = "TLS_DH_RSA_WITH_AES_128_CBC_SHA",
        [0x0032] = "TLS_DHE_DSS_WITH_AES_128_CBC_SHA",
        [0x0033] = "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        [0x0034] = "TLS_DH_anon_WITH_AES_128_CBC_SHA",
        [0x0035] = "TLS_RSA_WITH_AES_256_CBC_SHA",
        [0x0036] = "TLS_DH_DSS_WITH_AES_256_CBC_SHA",
        [0x0037] = "TLS_DH_RSA_WITH_AES_256_CBC_SHA",
        [0x0038] = "TLS_DHE_DSS_WITH_AES_256_CBC_SHA",
        [0x0039] = "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        [0x003A] = "TLS_DH_anon_WITH_AES_256_CBC_SHA",
        [0x003B] = "TLS_RSA_WITH_NULL_SHA256",
        [0x003C] = "TLS_RSA_WITH_AES_128_CBC_SHA256",
        [0x003D] = "TLS_RSA_WITH_AES_256_CBC_SHA256",
        [0x003E] = "TLS_DH_DSS_WITH_AES_128_CBC_SHA256",
        [0x003F] = "TLS_DH_RSA_WITH_AES_128_CBC_SHA256",
        [0x0040] = "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
        [0x0041] = "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA",
        [0x0045] = "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA",
        [0x0067] = "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        [0x0068] = "TLS_DH_DSS_WITH_AES_256_CBC_SHA256",
        [0x0069] = "TLS_DH_RSA_WITH_AES_256_CBC_SHA256",
        [0x006A] = "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256",
        [0x006B] = "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        [0x006C] = "TLS_DH_anon_WITH_AES_128_CBC_SHA256",
        [0x006D] = "TLS_DH_anon_WITH_AES_256_CBC_SHA256",
        [0x0084] = "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA",
        [0x0088] = "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA",
        [0x008C] = "TLS_PSK_WITH_AES_128_CBC_SHA",
        [0x008D] = "TLS_PSK_WITH_AES_256_CBC_SHA",
        [0x0096] = "TLS_RSA_WITH_SEED_CBC_SHA",
        [0x009C] = "TLS_RSA_WITH_AES_128_GCM_SHA256",
        [0x009D] = "TLS_RSA_WITH_AES_256_GCM_SHA384",
        [0x009E] = "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        [0x009F] = "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        [0x00A2] = "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256",
        [0x00A3] = "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384",
        [0x00A6] = "TLS_DH_anon_WITH_AES_128_GCM_SHA256",
        [0x00A7] = "TLS_DH_anon_WITH_AES_256_GCM_SHA384",
        [0x00A8] = "TLS_PSK_WITH_AES_128_GCM_SHA256",
        [0x00A9] = "TLS_PSK_WITH_AES_256_GCM_SHA384",
        [0x00AE] = "TLS_PSK_WITH_AES_128_CBC_SHA256",
        [0x00AF] = "TLS_PSK_WITH_AES_256_CBC_SHA384",
        [0x00FF] = "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        [0x1301] = "TLS_AES_128_GCM_SHA256",
        [0x1302] = "TLS_AES_256_GCM_SHA384",
        [0x1303] = "TLS_CHACHA20_POLY1305_SHA256",
        [0x1304] = "TLS_AES_128_CCM_SHA256",
        [0x1305] = "TLS_AES_128_CCM_8_SHA256",
        [0x5600] = "TLS_FALLBACK_SCSV",
        [0xC001] = "TLS_ECDH_ECDSA_WITH_NULL_SHA",
        [0xC002] = "TLS_ECDH_ECDSA_WITH_RC4_128_SHA",
        [0xC003] = "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA",
        [0xC004] = "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA",
        [0xC005] = "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA",
        [0xC006] = "TLS_ECDHE_ECDSA_WITH_NULL_SHA",
        [0xC007] = "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
        [0xC008] = "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
        [0xC009] = "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        [0xC00A] = "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        [0xC00B] = "TLS_ECDH_RSA_WITH_NULL_SHA",
        [0xC00C] = "TLS_ECDH_RSA_WITH_RC4_128_SHA",
        [0xC00D] = "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA",
        [0xC00E] = "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA",
        [0xC00F] = "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA",
        [0xC010] = "TLS_ECDHE_RSA_WITH_NULL_SHA",
        [0xC011] = "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        [0xC012] = "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        [0xC013] = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        [0xC014] = "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        [0xC015] = "TLS_ECDH_anon_WITH_NULL_SHA",
        [0xC016] = "TLS_ECDH_anon_WITH_RC4_128_SHA",
        [0xC017] = "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA",
        [0xC018] = "TLS_ECDH_anon_WITH_AES_128_CBC_SHA",
        [0xC019] = "TLS_ECDH_anon_WITH_AES_256_CBC_SHA",
        [0xC023] = "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        [0xC024] = "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        [0xC025] = "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256",
        [0xC026] = "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384",
        [0xC027] = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        [0xC028] = "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        [0xC029] = "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256",
        [0xC02A] = "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384",
        [0xC02B] = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        [0xC02C] = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        [0xC02D] = "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256",
        [0xC02E] = "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384",
        [0xC02F] = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        [0xC030] = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        [0xC031] = "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256",
        [0xC032] = "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384",
        [0xC035] = "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA",
        [0xC036] = "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA",
        [0xC037] = "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
        [0xC038] = "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384",
        [0xC09C] = "TLS_RSA_WITH_AES_128_CCM",
        [0xC09D] = "TLS_RSA_WITH_AES_256_CCM",
        [0xC09E] = "TLS_DHE_RSA_WITH_AES_128_CCM",
        [0xC09F] = "TLS_DHE_RSA_WITH_AES_256_CCM",
        [0xC0A0] = "TLS_RSA_WITH_AES_128_CCM_8",
        [0xC0A1] = "TLS_RSA_WITH_AES_256_CCM_8",
        [0xC0AC] = "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
        [0xC0AD] = "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
        [0xC0AE] = "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
        [0xC0AF] = "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8",
        [0xCCA8] = "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        [0xCCA9] = "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        [0xCCAA] = "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        [0xCCAB] = "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256",
        [0xCCAC] = "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
        [0xCCAD] = "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
    }.ToFrozenDictionary();

    /// <summary>SSL 2.0 cipher kinds (draft-hickman-netscape-ssl-00, appendix C).</summary>
    private static readonly FrozenDictionary<int, string> Sslv2CipherSpecs = new Dictionary<int, string>
    {
        [0x010080] = "SSL_CK_RC4_128_WITH_MD5",
        [0x020080] = "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
        [0x030080] = "SSL_CK_RC2_128_CBC_WITH_MD5",
        [0x040080] = "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5",
        [0x050080] = "SSL_CK_IDEA_128_CBC_WITH_MD5",
        [0x060040] = "SSL_CK_DES_64_CBC_WITH_MD5",
        [0x0700C0] = "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
    }.ToFrozenDictionary();

    /// <summary>TLS Alert registry (RFC 8446 section 6, RFC 5246 section 7.2, RFC 6066, RFC 7301, RFC 7507).</summary>
    private static readonly FrozenDictionary<byte, string> AlertDescriptions = new Dictionary<byte, string>
    {
        [0] = "close_notify",
        [10] = "unexpected_message",
        [20] = "bad_record_mac",
        [21] = "decryption_failed",
        [22] = "record_overflow",
        [30] = "decompression_failure",
        [40] = "handshake_failure",
        [41] = "no_certificate",
        [42] = "bad_certificate",
        [43] = "unsupported_certificate",
        [44] = "certificate_revoked",
        [45] = "certificate_expired",
        [46] = "certificate_unknown",
        [47] = "illegal_parameter",
        [48] = "unknown_ca",
        [49] = "access_denied",
        [50] = "decode_error",
        [51] = "decrypt_error",
        [60] = "export_restriction",
        [70] = "protocol_version",
        [71] = "insufficient_security",
        [80] = "internal_error",
        [86] = "inappropriate_fallback",
        [90] = "user_canceled",
        [100] = "no_renegotiation",
        [109] = "missing_extension",
        [110] = "unsupported_extension",
        [111] = "certificate_unobtainable",
        [112] = "unrecognized_name",
        [113] = "bad_certificate_status_response",
        [114] = "bad_certificate_hash_value",
        [115] = "unknown_psk_identity",
        [116] = "certificate_required",
        [120] = "no_application_protocol",
    }.ToFrozenDictionary();

    /// <summary>TLS HandshakeType registry names, as the RFCs write them.</summary>
    private static readonly FrozenDictionary<byte, string> HandshakeTypes = new Dictionary<byte, string>
    {
        [0] = "hello_request",
        [1] = "client_hello",
        [2] = "server_hello",
        [3] = "hello_verify_request",
        [4] = "new_session_ticket",
        [5] = "end_of_early_data",
        [6] = "hello_retry_request",
        [8] = "encrypted_extensions",
        [11] = "certificate",
        [12] = "server_key_exchange",
        [13] = "certificate_request",
        [14] = "server_hello_done",
        [15] = "certificate_verify",
        [16] = "client_key_exchange",
        [20] = "finished",
        [21] = "certificate_url",
        [22] = "certificate_status",
        [23] = "supplemental_data",
        [24] = "key_update",
        [25] = "compressed_certificate",
        [254] = "message_hash",
    }.ToFrozenDictionary();

    /// <summary>"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"; GREASE values (RFC 8701) as "GREASE (0x0A0A)"; unknown as "0xC0FF".</summary>
    public static string CipherSuite(ushort suite)
    {
        if (CipherSuites.TryGetValue(suite, out var name))
        {
            return name;
        }
        return IsGrease(suite) ? $"GREASE ({Hex4(suite)})" : Hex4(suite);
    }

    /// <summary>An SSLv2 3-byte cipher spec: SSL 2.0 kinds by name, 0x00XXYY as the TLS suite XXYY, else "0x0700C1".</summary>
    public static string Sslv2CipherSpec(int spec)
    {
        if (Sslv2CipherSpecs.TryGetValue(spec, out var name))
        {
            return name;
        }
        return spec >> 16 == 0 ? CipherSuite((ushort)spec) : "0x" + spec.ToString("X6", CultureInfo.InvariantCulture);
    }

    /// <summary>"SSL 2.0", "SSL 3.0", "TLS 1.0" .. "TLS 1.3"; anything else (drafts such as 0x7F12, GREASE) as hex.</summary>
    public static string Version(ushort version) => version switch
    {
        0x0002 => "SSL 2.0",
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        // TLS 1.3 drafts were negotiated as 0x7F00 + draft number (draft-ietf-tls-tls13 section 4.2.1).
        >= 0x7F00 and <= 0x7FFF => $"TLS 1.3 (draft {version & 0xFF})",
        // Facebook's Fizz negotiated its own code points for drafts 23 and 26 (0xFB17, 0xFB1A).
        >= 0xFB00 and <= 0xFBFF => $"TLS 1.3 (Facebook draft {version & 0xFF}, {Hex4(version)})",
        _ => Hex4(version),
    };

    /// <summary>The RFC name ("certificate_unknown" for 46); an unknown code as its decimal number.</summary>
    public static string AlertDescription(byte description)
        => AlertDescriptions.TryGetValue(description, out var name) ? name : description.ToString(CultureInfo.InvariantCulture);

    /// <summary>"warning", "fatal"; an unknown level as its decimal number.</summary>
    public static string AlertLevel(TlsAlertLevel level) => level switch
    {
        TlsAlertLevel.Warning => "warning",
        TlsAlertLevel.Fatal => "fatal",
        _ => ((byte)level).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>"client_hello", "certificate", ...; an unknown type as its decimal number.</summary>
    public static string HandshakeType(TlsHandshakeType type)
        => HandshakeTypes.TryGetValue((byte)type, out var name) ? name : ((byte)type).ToString(CultureInfo.InvariantCulture);

    /// <summary>"change_cipher_spec", "alert", "handshake", "application_data", "heartbeat"; SSLv2 records as
    /// "sslv2"; an unknown type as its decimal number.</summary>
    public static string ContentType(TlsContentType type) => type switch
    {
        TlsContentType.ChangeCipherSpec => "change_cipher_spec",
        TlsContentType.Alert => "alert",
        TlsContentType.Handshake => "handshake",
        TlsContentType.ApplicationData => "application_data",
        TlsContentType.Heartbeat => "heartbeat",
        TlsContentType.Sslv2 => "sslv2",
        _ => ((byte)type).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>GREASE values (RFC 8701): 0x0A0A, 0x1A1A, ... 0xFAFA; clients send them to keep servers honest.</summary>
    public static bool IsGrease(ushort value) => (value & 0x0F0F) == 0x0A0A && value >> 8 == (value & 0xFF);

    private static string Hex4(ushort value) => "0x" + value.ToString("X4", CultureInfo.InvariantCulture);
}
