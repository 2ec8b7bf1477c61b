namespace PcapTls.Tls;

// Certificate, TLS 1.2 and 1.3 (one part of TlsHandshakeParser).
public static partial class TlsHandshakeParser
{
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
}
