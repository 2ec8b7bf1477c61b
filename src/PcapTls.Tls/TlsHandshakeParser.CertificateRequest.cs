namespace PcapTls.Tls;

// CertificateRequest, TLS 1.0 to 1.3 (one part of TlsHandshakeParser).
public static partial class TlsHandshakeParser
{
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
