namespace PcapTls.Tls;

// SSLv2 (one part of TlsConnectionDecoder).
public sealed partial class TlsConnectionDecoder
{
    private void HandleSslv2Record(int side, Side s, ReadOnlySpan<byte> record, TlsPosition position)
    {
        Sslv2Parser.TryParseHeader(record, out var headerLength, out var bodyLength);
        sink.OnRecord(side, TlsContentType.Sslv2, Sslv2Parser.Version2, bodyLength, position);
        var index = s.Sslv2Records++;
        var body = record[headerLength..];
        if (index == 0 && headerLength == Sslv2Parser.ShortHeaderLength && !body.IsEmpty && body[0] == Sslv2Parser.MsgClientHello)
        {
            sink.OnHandshakeMessage(side, TlsHandshakeType.ClientHello, bodyLength, decrypted: false, position);
            if (Sslv2Parser.TryParseClientHello(record, out var hello) == TlsParseResult.Complete)
            {
                AcceptClientHello(side, hello!);
                sink.OnClientHello(side, hello!, position);
            }
            else
            {
                Anomaly(side, TlsAnomalyKind.MalformedHandshake, position, $"SSLv2 CLIENT-HELLO of {bodyLength} bytes at stream offset {s.RecordOffset} does not parse");
            }
            return;
        }
        if (index == 0 && headerLength == Sslv2Parser.ShortHeaderLength && !body.IsEmpty && body[0] == Sslv2Parser.MsgServerHello)
        {
            sink.OnHandshakeMessage(side, TlsHandshakeType.ServerHello, bodyLength, decrypted: false, position);
            if (Sslv2Parser.TryParseServerHello(record, out var hello, out var certificate) == TlsParseResult.Complete)
            {
                ClientSide ??= 1 - side;
                NegotiatedVersion = Sslv2Parser.Version2;
                CipherSuite = 0;
                sslv2Negotiated = true;
                sink.OnServerHello(side, hello!, position);
                if (certificate is not null)
                {
                    sink.OnHandshakeMessage(side, TlsHandshakeType.Certificate, certificate.Certificates[0].Length, decrypted: false, position);
                    sink.OnCertificate(side, certificate, position);
                }
            }
            else
            {
                Anomaly(side, TlsAnomalyKind.MalformedHandshake, position, $"SSLv2 SERVER-HELLO of {bodyLength} bytes at stream offset {s.RecordOffset} does not parse");
            }
            return;
        }
        var plaintext = !body.IsEmpty && headerLength == Sslv2Parser.ShortHeaderLength
            && (body[0] == Sslv2Parser.MsgError || (index == 1 && body[0] == Sslv2Parser.MsgClientMasterKey));
        if (!plaintext && sslv2Negotiated)
        {
            // After the hellos (and the client's CLIENT-MASTER-KEY) SSL 2.0 encrypts everything.
            sink.OnEncryptedRecord(side, TlsContentType.Sslv2, bodyLength, position);
        }
    }
}
