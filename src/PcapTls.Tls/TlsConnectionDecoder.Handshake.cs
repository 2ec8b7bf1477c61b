namespace PcapTls.Tls;

// Handshake messages (one part of TlsConnectionDecoder).
public sealed partial class TlsConnectionDecoder
{
    private void AppendHandshake(int side, Side s, ReadOnlySpan<byte> fragment, bool decrypted, TlsPosition position)
    {
        if (s.Handshake.Count > 0 && s.HandshakeDecrypted != decrypted)
        {
            // RFC 8446 section 5.1: handshake messages must not span a key change.
            Anomaly(side, TlsAnomalyKind.UnexpectedMessage, position,
                $"{s.Handshake.Count} bytes of an unfinished handshake message dropped at a key change (stream offset {s.RecordOffset})");
            s.Handshake.Clear();
        }
        s.HandshakeDecrypted = decrypted;
        handshakeBytes += fragment.Length;
        if (handshakeBytes > limits.MaxHandshakeBytesPerConnection)
        {
            Anomaly(side, TlsAnomalyKind.HandshakeBytesPerConnectionExceeded, position,
                $"more than {limits.MaxHandshakeBytesPerConnection} bytes of handshake messages on this connection (record at stream offset {s.RecordOffset}); decoding of this side stops");
            Stop(s, Mode.Stopped);
            return;
        }
        // The records that carried the message still in progress: the one that began it, those in between, this one.
        var carriedBy = s.Handshake.Count > 0 ? s.MessageRecords + 1 : 1;
        int completed;
        if (s.Handshake.Count == 0)
        {
            var rest = HandleMessages(side, s, fragment, decrypted, carriedBy, position, out completed);
            if (s.Mode == Mode.Records && !rest.IsEmpty)
            {
                s.Handshake.Append(rest);
            }
        }
        else
        {
            s.Handshake.Append(fragment);
            var held = s.Handshake.Span;
            var left = HandleMessages(side, s, held, decrypted, carriedBy, position, out completed);
            if (s.Mode != Mode.Records)
            {
                return;
            }
            s.Handshake.Consume(held.Length - left.Length);
        }
        s.MessageRecords = s.Handshake.Count == 0 ? 0 : completed > 0 ? 1 : carriedBy;
        if (s.Mode == Mode.Records && !fragment.IsEmpty
            && TlsHandshakeParser.TryParseHeader(s.Handshake.Span, out var type, out var length) == TlsParseResult.Complete)
        {
            // The message in progress continues in later records: estimate how many at this record's size.
            var left = TlsHandshakeParser.HeaderLength + length - s.Handshake.Count;
            var estimate = s.MessageRecords + ((left + fragment.Length - 1) / fragment.Length);
            sink.OnHandshakeFragment(side, type, length, s.MessageRecords, estimate, position);
        }
    }

    /// <summary>Handles every complete message at the start of data; returns the incomplete tail. The first message
    /// was carried by <paramref name="firstCarriedBy"/> records, the others by this one.</summary>
    private ReadOnlySpan<byte> HandleMessages(int side, Side s, ReadOnlySpan<byte> data, bool decrypted, int firstCarriedBy, TlsPosition position, out int completed)
    {
        completed = 0;
        while (TlsHandshakeParser.TryParseHeader(data, out var type, out var length) == TlsParseResult.Complete)
        {
            if (length > limits.MaxHandshakeMessageLength)
            {
                Anomaly(side, TlsAnomalyKind.HandshakeMessageTooLarge, position,
                    $"{TlsNames.HandshakeType(type)} of {length} bytes (record at stream offset {s.RecordOffset}) exceeds the limit of {limits.MaxHandshakeMessageLength}; decoding of this side stops");
                Stop(s, Mode.Stopped);
                return default;
            }
            var total = TlsHandshakeParser.HeaderLength + length;
            if (data.Length < total)
            {
                break;
            }
            if (completed == 0 && firstCarriedBy > 1)
            {
                sink.OnHandshakeFragment(side, type, length, firstCarriedBy, firstCarriedBy, position);
            }
            completed++;
            HandleMessage(side, s, type, data[..total], decrypted, position);
            if (s.Mode != Mode.Records)
            {
                return default;
            }
            data = data[total..];
        }
        return data;
    }

    private void HandleMessage(int side, Side s, TlsHandshakeType type, ReadOnlySpan<byte> message, bool decrypted, TlsPosition position)
    {
        sink.OnHandshakeMessage(side, type, message.Length - TlsHandshakeParser.HeaderLength, decrypted, position);
        switch (type)
        {
            case TlsHandshakeType.ClientHello:
                if (TlsHandshakeParser.TryParseClientHello(message, out var clientHello) == TlsParseResult.Complete)
                {
                    AcceptClientHello(side, clientHello!);
                    sink.OnClientHello(side, clientHello!, position);
                    return;
                }
                break;
            case TlsHandshakeType.ServerHello:
                if (TlsHandshakeParser.TryParseServerHello(message, out var serverHello) == TlsParseResult.Complete)
                {
                    AcceptServerHello(side, serverHello!);
                    sink.OnServerHello(side, serverHello!, position);
                    return;
                }
                break;
            case TlsHandshakeType.Certificate:
                if (HandleCertificate(side, s, message, decrypted, position))
                {
                    return;
                }
                break;
            case TlsHandshakeType.CertificateRequest:
                var version = decrypted || IsTls13 ? Tls13 : NegotiatedVersion ?? 0;
                if (TlsHandshakeParser.TryParseCertificateRequest(message, version, out var request) == TlsParseResult.Complete)
                {
                    sink.OnCertificateRequest(side, request!, position);
                    return;
                }
                break;
            default:
                return;
        }
        if (s.Mode == Mode.Records)
        {
            Anomaly(side, TlsAnomalyKind.MalformedHandshake, position,
                $"{TlsNames.HandshakeType(type)} of {message.Length - TlsHandshakeParser.HeaderLength} bytes (record at stream offset {s.RecordOffset}) does not parse");
        }
    }

    /// <summary>Returns false when the message is malformed (the caller reports it); limits stop the side here.</summary>
    private bool HandleCertificate(int side, Side s, ReadOnlySpan<byte> message, bool decrypted, TlsPosition position)
    {
        var tls13 = decrypted || IsTls13;
        var measured = TlsHandshakeParser.TryMeasureCertificate(message, tls13, out var count, out var largest);
        if (measured == TlsParseResult.Malformed && NegotiatedVersion is null)
        {
            // Without the ServerHello the format is a guess; try the other one.
            tls13 = !tls13;
            measured = TlsHandshakeParser.TryMeasureCertificate(message, tls13, out count, out largest);
        }
        if (measured != TlsParseResult.Complete)
        {
            return false;
        }
        if (count > limits.MaxCertificates)
        {
            Anomaly(side, TlsAnomalyKind.TooManyCertificates, position,
                $"Certificate message with {count} certificates (record at stream offset {s.RecordOffset}) exceeds the limit of {limits.MaxCertificates}; decoding of this side stops");
            Stop(s, Mode.Stopped);
            return true;
        }
        if (largest > limits.MaxCertificateLength)
        {
            Anomaly(side, TlsAnomalyKind.CertificateTooLarge, position,
                $"a certificate of {largest} bytes (record at stream offset {s.RecordOffset}) exceeds the limit of {limits.MaxCertificateLength}; decoding of this side stops");
            Stop(s, Mode.Stopped);
            return true;
        }
        TlsHandshakeParser.TryParseCertificate(message, tls13, out var certificate);
        sink.OnCertificate(side, certificate!, position);
        return true;
    }

    private void AcceptClientHello(int side, ClientHelloInfo hello)
    {
        ClientSide ??= side;
        ClientRandom ??= hello.Random;
        clientOfferedTls13 |= hello.SupportedVersions.Any(TlsHandshakeParser.IsTls13Family);
    }

    private void AcceptServerHello(int side, ServerHelloInfo hello)
    {
        ClientSide ??= 1 - side;
        NegotiatedVersion = hello.NegotiatedVersion;
        CipherSuite = hello.CipherSuite;
    }
}
