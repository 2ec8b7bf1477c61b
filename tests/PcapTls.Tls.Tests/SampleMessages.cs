namespace PcapTls.Tls.Tests;

/// <summary>Hand-made handshake messages, commented field by field (lengths checked by SampleMessagesTests).</summary>
internal static class SampleMessages
{
    public const string KeyShareKey = "1111111111111111111111111111111111111111111111111111111111111111";

    /// <summary>TLS 1.3 ClientHello: SNI example.com, ALPN h2 + http/1.1, versions 1.3 + 1.2, X25519 key share.</summary>
    public static byte[] ClientHello13 => Hex.Parse($$"""
        01 00009E                  // msg_type client_hello(1), length 158
        0303                       // legacy_version TLS 1.2
        {{new string('A', 64)}}    // random (32 bytes of 0xAA)
        04 DEADBEEF                // legacy_session_id: 4 bytes
        0006 1301 C02F 00FF        // cipher_suites: 6 bytes, TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, SCSV
        01 00                      // legacy_compression_methods: 1 byte, null
        006B                       // extensions: 107 bytes
          0000 0010                //   server_name, 16 bytes
            000E                   //     server_name_list: 14 bytes
            00 000B 6578616D706C652E636F6D  // host_name(0), 11 bytes "example.com"
          0010 000E                //   application_layer_protocol_negotiation, 14 bytes
            000C                   //     protocol_name_list: 12 bytes
            02 6832                //     "h2"
            08 687474702F312E31    //     "http/1.1"
          002B 0005                //   supported_versions, 5 bytes
            04 0304 0303           //     4 bytes: TLS 1.3, TLS 1.2
          000D 0006                //   signature_algorithms, 6 bytes
            0004 0403 0804         //     ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256
          000A 0004                //   supported_groups, 4 bytes
            0002 001D              //     x25519
          0033 0026                //   key_share, 38 bytes
            0024                   //     client_shares: 36 bytes
            001D 0020 {{KeyShareKey}}  // x25519, 32-byte key
        """);

    /// <summary>TLS 1.3 ServerHello: TLS_AES_128_GCM_SHA256, X25519 share.</summary>
    public static byte[] ServerHello13 => Hex.Parse($$"""
        02 00005A                  // msg_type server_hello(2), length 90
        0303                       // legacy_version TLS 1.2
        {{new string('B', 64)}}    // random (32 bytes of 0xBB)
        04 DEADBEEF                // legacy_session_id_echo
        1301                       // cipher_suite TLS_AES_128_GCM_SHA256
        00                         // legacy_compression_method
        002E                       // extensions: 46 bytes
          002B 0002 0304           //   supported_versions: selected TLS 1.3
          0033 0024                //   key_share, 36 bytes
            001D 0020 {{KeyShareKey}}  // x25519, 32-byte key
        """);

    /// <summary>HelloRetryRequest asking for secp256r1.</summary>
    public static byte[] HelloRetryRequest => Hex.Parse("""
        02 000034                  // msg_type server_hello(2), length 52
        0303                       // legacy_version
        CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C  // random = SHA-256("HelloRetryRequest")
        00                         // legacy_session_id_echo: empty
        1302                       // cipher_suite TLS_AES_256_GCM_SHA384
        00                         // legacy_compression_method
        000C                       // extensions: 12 bytes
          002B 0002 0304           //   supported_versions: TLS 1.3
          0033 0002 0017           //   key_share: selected_group secp256r1
        """);

    /// <summary>TLS 1.2 ServerHello with ALPN h2 and renegotiation_info.</summary>
    public static byte[] ServerHello12 => Hex.Parse($$"""
        02 000036                  // msg_type server_hello(2), length 54
        0303                       // server_version TLS 1.2
        {{new string('C', 64)}}    // random
        00                         // session_id: empty
        C02F                       // cipher_suite TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        00                         // compression_method null
        000E                       // extensions: 14 bytes
          0010 0005 0003 02 6832   //   ALPN: list of 3 bytes, "h2"
          FF01 0001 00             //   renegotiation_info: empty
        """);

    /// <summary>TLS 1.2 Certificate with two (fake, short) DER blobs.</summary>
    public static byte[] Certificate12 => Hex.Parse("""
        0B 00000E                  // msg_type certificate(11), length 14
        00000B                     // certificate_list: 11 bytes
          000003 300102            //   ASN.1Cert, 3 bytes
          000002 3000              //   ASN.1Cert, 2 bytes
        """);

    /// <summary>TLS 1.3 Certificate: empty context, two entries, the second with a status_request extension.</summary>
    public static byte[] Certificate13 => Hex.Parse("""
        0B 000018                  // msg_type certificate(11), length 24
        00                         // certificate_request_context: empty
        000014                     // certificate_list: 20 bytes
          000003 300102            //   cert_data, 3 bytes
          0000                     //   extensions: none
          000002 3000              //   cert_data, 2 bytes
          0005 0005 000100         //   extensions: 5 bytes: status_request(5), 1 byte
        """);

    /// <summary>TLS 1.2 CertificateRequest: RSA + ECDSA types, two signature algorithms, two CA names.</summary>
    public static byte[] CertificateRequest12 => Hex.Parse("""
        0D 000017                  // msg_type certificate_request(13), length 23
        02 01 40                   // certificate_types: rsa_sign(1), ecdsa_sign(64)
        0004 0403 0804             // supported_signature_algorithms: 4 bytes
        000C                       // certificate_authorities: 12 bytes
          0005 3003310141          //   DistinguishedName, 5 bytes
          0003 300100              //   DistinguishedName, 3 bytes
        """);

    /// <summary>The same request as TLS 1.0/1.1 send it: no signature algorithms.</summary>
    public static byte[] CertificateRequest11 => Hex.Parse("""
        0D 000011                  // msg_type certificate_request(13), length 17
        02 01 40                   // certificate_types
        000C                       // certificate_authorities: 12 bytes
          0005 3003310141
          0003 300100
        """);

    /// <summary>TLS 1.3 CertificateRequest: context 0x01, signature_algorithms and certificate_authorities.</summary>
    public static byte[] CertificateRequest13 => Hex.Parse("""
        0D 000017                  // msg_type certificate_request(13), length 23
        01 01                      // certificate_request_context: 1 byte
        0013                       // extensions: 19 bytes
          000D 0004 0002 0403      //   signature_algorithms: ecdsa_secp256r1_sha256
          002F 0007 0005           //   certificate_authorities: 7 bytes, list of 5
            0003 300100            //     DistinguishedName, 3 bytes
        """);

    /// <summary>SSLv2-format ClientHello offering TLS 1.0 with two TLS suites and one SSL 2.0 kind.</summary>
    public static byte[] Sslv2ClientHello => Hex.Parse("""
        8022                       // record header: high bit set, length 34
        01                         // msg_type CLIENT-HELLO
        0301                       // version TLS 1.0
        0009                       // cipher_spec_length: 9 (3 specs)
        0000                       // session_id_length: 0
        0010                       // challenge_length: 16
        00002F                     // TLS_RSA_WITH_AES_128_CBC_SHA
        000035                     // TLS_RSA_WITH_AES_256_CBC_SHA
        010080                     // SSL_CK_RC4_128_WITH_MD5
        000102030405060708090A0B0C0D0E0F  // challenge
        """);

    /// <summary>SSLv2 SERVER-HELLO with a (fake) certificate, one cipher kind and a 16-byte connection id.</summary>
    public static byte[] Sslv2ServerHello => Hex.Parse("""
        8021                       // record header: high bit set, length 33
        04                         // msg_type SERVER-HELLO
        00                         // SESSION-ID-HIT: no
        01                         // CERTIFICATE-TYPE: X.509
        0002                       // SERVER-VERSION: SSL 2.0
        0003                       // CERTIFICATE-LENGTH
        0003                       // CIPHER-SPECS-LENGTH
        0010                       // CONNECTION-ID-LENGTH
        300102                     // certificate
        010080                     // SSL_CK_RC4_128_WITH_MD5
        F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF  // connection id
        """);
}
