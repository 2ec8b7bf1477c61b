using System.Buffers.Binary;
using System.Text;

namespace PcapTls.Robustness.Tests;

/// <summary>Builds TLS records and handshake messages byte by byte (RFC 5246 / RFC 8446 layouts).</summary>
internal static class TlsBytes
{
    public const byte Handshake = 22;
    public const byte Alert = 21;
    public const byte ClientHelloType = 1;
    public const byte ServerHelloType = 2;
    public const byte CertificateType = 11;
    public const byte ServerHelloDoneType = 14;

    /// <summary>struct { ContentType type; ProtocolVersion version; uint16 length; opaque fragment[length]; } TLSPlaintext;</summary>
    public static byte[] Record(byte type, ReadOnlySpan<byte> fragment, ushort version = 0x0303)
    {
        var r = new byte[5 + fragment.Length];
        r[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(1), version);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(3), (ushort)fragment.Length);
        fragment.CopyTo(r.AsSpan(5));
        return r;
    }

    /// <summary>Cuts a handshake byte stream into records of at most 2^14 bytes.</summary>
    public static byte[] Records(byte type, ReadOnlySpan<byte> content)
    {
        var output = new List<byte>();
        for (var off = 0; off < content.Length; off += 16384)
        {
            output.AddRange(Record(type, content.Slice(off, Math.Min(16384, content.Length - off))));
        }
        return [.. output];
    }

    /// <summary>struct { HandshakeType msg_type; uint24 length; body } Handshake;</summary>
    public static byte[] HandshakeMessage(byte type, ReadOnlySpan<byte> body)
    {
        var m = new byte[4 + body.Length];
        m[0] = type;
        WriteUInt24(m.AsSpan(1), body.Length);
        body.CopyTo(m.AsSpan(4));
        return m;
    }

    /// <summary>A TLS 1.2 ClientHello with one suite (TLS_RSA_WITH_AES_128_CBC_SHA) and a server_name.</summary>
    public static byte[] ClientHello(string sni = "backend.test")
    {
        var name = Encoding.ASCII.GetBytes(sni);
        var body = new List<byte>();
        body.AddRange([0x03, 0x03]);                       // client_version TLS 1.2
        body.AddRange(Enumerable.Repeat((byte)0x11, 32));  // random
        body.Add(0);                                       // session_id length
        body.AddRange([0x00, 0x02, 0x00, 0x2F]);           // cipher_suites: length 2, TLS_RSA_WITH_AES_128_CBC_SHA
        body.AddRange([0x01, 0x00]);                       // compression_methods: length 1, null
        var sniExt = new List<byte>();
        sniExt.AddRange(U16(name.Length + 3));             // server_name_list length
        sniExt.Add(0);                                     // name_type host_name
        sniExt.AddRange(U16(name.Length));                 // HostName length
        sniExt.AddRange(name);
        body.AddRange(U16(4 + sniExt.Count));              // extensions length
        body.AddRange([0x00, 0x00]);                       // extension_type server_name
        body.AddRange(U16(sniExt.Count));                  // extension_data length
        body.AddRange(sniExt);
        return HandshakeMessage(ClientHelloType, [.. body]);
    }

    /// <summary>A TLS 1.2 ServerHello choosing TLS_RSA_WITH_AES_128_CBC_SHA, no extensions.</summary>
    public static byte[] ServerHello()
    {
        var body = new List<byte>();
        body.AddRange([0x03, 0x03]);                       // server_version TLS 1.2
        body.AddRange(Enumerable.Repeat((byte)0x22, 32));  // random
        body.Add(0);                                       // session_id length
        body.AddRange([0x00, 0x2F]);                       // cipher_suite
        body.Add(0);                                       // compression_method null
        return HandshakeMessage(ServerHelloType, [.. body]);
    }

    /// <summary>opaque ASN.1Cert&lt;1..2^24-1&gt;; struct { ASN.1Cert certificate_list&lt;0..2^24-1&gt;; } Certificate; (TLS 1.2)</summary>
    public static byte[] Certificate(IEnumerable<byte[]> certificates)
    {
        var list = new List<byte>();
        foreach (var c in certificates)
        {
            list.AddRange(U24(c.Length));
            list.AddRange(c);
        }
        var body = new List<byte>();
        body.AddRange(U24(list.Count));
        body.AddRange(list);
        return HandshakeMessage(CertificateType, [.. body]);
    }

    public static byte[] ServerHelloDone() => HandshakeMessage(ServerHelloDoneType, []);

    /// <summary>struct { AlertLevel level; AlertDescription description; } Alert;</summary>
    public static byte[] FatalAlert(byte description) => Record(Alert, [2, description]);

    public static byte[] U16(int v) => [(byte)(v >> 8), (byte)v];

    public static byte[] U24(int v) => [(byte)(v >> 16), (byte)(v >> 8), (byte)v];

    public static void WriteUInt24(Span<byte> s, int v)
    {
        s[0] = (byte)(v >> 16);
        s[1] = (byte)(v >> 8);
        s[2] = (byte)v;
    }

    /// <summary>DER of the first certificate in a PEM file of the corpus PKI.</summary>
    public static byte[] PemCertificate(string path)
    {
        var text = File.ReadAllText(path);
        const string Begin = "-----BEGIN CERTIFICATE-----", End = "-----END CERTIFICATE-----";
        var start = text.IndexOf(Begin, StringComparison.Ordinal) + Begin.Length;
        var end = text.IndexOf(End, start, StringComparison.Ordinal);
        return Convert.FromBase64String(text[start..end].Replace("\n", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal));
    }
}
