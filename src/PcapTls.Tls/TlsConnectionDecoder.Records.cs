namespace PcapTls.Tls;

// Records (one part of TlsConnectionDecoder).
public sealed partial class TlsConnectionDecoder
{
    private int FeedRecords(int side, Side s, ReadOnlySpan<byte> data, TlsPosition position)
    {
        var consumed = 0;
        // First complete the record whose start is held back, then parse straight from the caller's span.
        while (s.Pending.Count > 0 && s.Mode == Mode.Records)
        {
            var framed = FrameRecord(side, s, s.Pending.Span, s.StreamOffset + consumed - s.Pending.Count, position, out var total);
            if (framed == TlsParseResult.Malformed || framed == TlsParseResult.LimitExceeded)
            {
                return consumed;
            }
            if (s.Pending.Count >= total)
            {
                HandleRecord(side, s, s.Pending.Span[..total], s.StreamOffset + consumed - s.Pending.Count, position);
                s.Pending.Consume(total);
                continue;
            }
            var take = Math.Min(total - s.Pending.Count, data.Length - consumed);
            s.Pending.Append(data.Slice(consumed, take));
            consumed += take;
            if (s.Pending.Count < total)
            {
                return consumed;
            }
        }
        while (s.Mode == Mode.Records && consumed < data.Length)
        {
            var rest = data[consumed..];
            var framed = FrameRecord(side, s, rest, s.StreamOffset + consumed, position, out var total);
            if (framed == TlsParseResult.Malformed || framed == TlsParseResult.LimitExceeded)
            {
                return consumed;
            }
            if (rest.Length < total)
            {
                s.Pending.Append(rest);
                return data.Length;
            }
            HandleRecord(side, s, rest[..total], s.StreamOffset + consumed, position);
            consumed += total;
        }
        return consumed;
    }

    /// <summary>
    /// How long the record starting at data is (header included). Incomplete: total is what is needed to learn
    /// more. Malformed / LimitExceeded: the anomaly is raised and the side's mode changed here.
    /// </summary>
    private TlsParseResult FrameRecord(int side, Side s, ReadOnlySpan<byte> data, long offset, TlsPosition position, out int total)
    {
        total = TlsRecordParser.HeaderLength;
        int headerLength;
        int bodyLength;
        if (data.IsEmpty)
        {
            total = 1;
            return TlsParseResult.Incomplete;
        }
        if ((data[0] & 0x80) != 0 || sslv2Negotiated)
        {
            var v2 = Sslv2Parser.TryParseHeader(data, out headerLength, out bodyLength);
            if (v2 != TlsParseResult.Complete)
            {
                total = (data[0] & 0x80) != 0 ? Sslv2Parser.ShortHeaderLength : Sslv2Parser.LongHeaderLength;
                return v2;
            }
        }
        else
        {
            var result = TlsRecordParser.TryParseHeader(data, out var header);
            if (result == TlsParseResult.Incomplete)
            {
                return result;
            }
            if (result == TlsParseResult.Malformed)
            {
                Anomaly(side, TlsAnomalyKind.MalformedRecord, position,
                    $"bytes {Convert.ToHexString(data[..TlsRecordParser.HeaderLength])} at stream offset {offset} are not a record header; skipping to the next plausible one");
                s.Pending.Clear();
                s.Handshake.Clear();
                s.Mode = Mode.Resync;
                return result;
            }
            headerLength = TlsRecordParser.HeaderLength;
            bodyLength = header.Length;
        }
        if (bodyLength > limits.MaxRecordLength)
        {
            Anomaly(side, TlsAnomalyKind.RecordTooLarge, position,
                $"record of {bodyLength} bytes at stream offset {offset} exceeds the limit of {limits.MaxRecordLength}; decoding of this side stops");
            Stop(s, Mode.Stopped);
            return TlsParseResult.LimitExceeded;
        }
        total = headerLength + bodyLength;
        return data.Length >= total ? TlsParseResult.Complete : TlsParseResult.Incomplete;
    }

    private void HandleRecord(int side, Side s, ReadOnlySpan<byte> record, long offset, TlsPosition position)
    {
        s.RecordOffset = offset;
        if ((record[0] & 0x80) != 0 || sslv2Negotiated)
        {
            HandleSslv2Record(side, s, record, position);
            return;
        }
        TlsRecordParser.TryParseRecord(record, out var header, out var fragment);
        sink.OnRecord(side, header.Type, header.Version, header.Length, position);
        switch (header.Type)
        {
            case TlsContentType.ChangeCipherSpec:
                sink.OnChangeCipherSpec(side, position);
                if (!IsTls13)
                {
                    s.SentChangeCipherSpec = true;
                }
                break;
            case TlsContentType.Alert:
                HandleAlertRecord(side, s, fragment, position);
                break;
            case TlsContentType.Handshake:
                if (s.SentChangeCipherSpec && !IsTls13 && !IsWholeClientHello(fragment))
                {
                    sink.OnEncryptedRecord(side, TlsContentType.Handshake, header.Length, position);
                    if (!s.SawEncryptedFinished)
                    {
                        s.SawEncryptedFinished = true;
                        sink.OnHandshakeMessage(side, TlsHandshakeType.Finished, header.Length, decrypted: false, position);
                    }
                }
                else
                {
                    AppendHandshake(side, s, fragment, decrypted: false, position);
                }
                break;
            case TlsContentType.ApplicationData:
                HandleApplicationDataRecord(side, s, record, header, fragment, position);
                break;
            case TlsContentType.Heartbeat:
                break;
            default:
                Anomaly(side, TlsAnomalyKind.UnknownContentType, position,
                    $"record of content type {(byte)header.Type} ({header.Length} bytes) at stream offset {offset}; skipped");
                break;
        }
    }

    /// <summary>
    /// A TLS 1.3 client sends its middlebox CCS before a second ClientHello (after a HelloRetryRequest); when
    /// that CCS is decoded before the server's side, the version is not known yet. An encrypted Finished that
    /// happens to start with type 1 and its exact length has odds of 2^-32, so the shape decides.
    /// </summary>
    private static bool IsWholeClientHello(ReadOnlySpan<byte> fragment)
        => TlsHandshakeParser.TryParseHeader(fragment, out var type, out var length) == TlsParseResult.Complete
           && type == TlsHandshakeType.ClientHello && TlsHandshakeParser.HeaderLength + length == fragment.Length;

    private void HandleAlertRecord(int side, Side s, ReadOnlySpan<byte> fragment, TlsPosition position)
    {
        if (s.SentChangeCipherSpec && !IsTls13 && fragment.Length != TlsRecordParser.AlertLength)
        {
            // A TLS <= 1.2 alert under the record cipher: the MAC (and IV/padding) make it longer than 2 bytes.
            sink.OnAlert(side, new TlsAlert(null, null, Encrypted: true), position);
            return;
        }
        ReportAlerts(side, fragment, encrypted: false, position);
    }

    /// <summary>One record may carry several alerts (pairs of bytes); an odd or empty fragment is malformed.</summary>
    private void ReportAlerts(int side, ReadOnlySpan<byte> fragment, bool encrypted, TlsPosition position)
    {
        if (fragment.IsEmpty || fragment.Length % TlsRecordParser.AlertLength != 0)
        {
            Anomaly(side, TlsAnomalyKind.MalformedRecord, position,
                $"alert record of {fragment.Length} bytes at stream offset {sides[side].RecordOffset} (alerts are 2 bytes each)");
            return;
        }
        while (TlsRecordParser.TryParseAlert(fragment, out var level, out var description) == TlsParseResult.Complete)
        {
            sink.OnAlert(side, new TlsAlert(level, description, encrypted), position);
            fragment = fragment[TlsRecordParser.AlertLength..];
        }
    }

    private void HandleApplicationDataRecord(int side, Side s, ReadOnlySpan<byte> record, TlsRecordHeader header, ReadOnlySpan<byte> fragment, TlsPosition position)
    {
        if (NegotiatedVersion is null)
        {
            // Before any ServerHello: 0-RTT early data if the client offered TLS 1.3 (or a capture that missed
            // the hellos, where nothing tells the content).
            if (clientOfferedTls13)
            {
                sink.OnEncryptedRecord(side, TlsContentType.ApplicationData, header.Length, position);
            }
            else
            {
                sink.OnApplicationData(side, header.Length, position);
            }
            return;
        }
        if (!IsTls13)
        {
            sink.OnApplicationData(side, header.Length, position);
            return;
        }
        if (Decryptor is { } decryptor && !s.DecryptionFailed)
        {
            if (decryptor.TryDecrypt(side, record[..TlsRecordParser.HeaderLength], fragment, out var plaintext, out var innerType))
            {
                HandleDecrypted(side, s, plaintext, innerType, position);
                return;
            }
            // Usually the keys end here (e.g. only handshake secrets logged); later records could not open either.
            s.DecryptionFailed = true;
        }
        sink.OnEncryptedRecord(side, TlsContentType.ApplicationData, header.Length, position);
    }

    private void HandleDecrypted(int side, Side s, byte[] plaintext, TlsContentType innerType, TlsPosition position)
    {
        switch (innerType)
        {
            case TlsContentType.Handshake:
                AppendHandshake(side, s, plaintext, decrypted: true, position);
                break;
            case TlsContentType.Alert:
                ReportAlerts(side, plaintext, encrypted: true, position);
                break;
            case TlsContentType.ApplicationData:
                sink.OnApplicationData(side, plaintext.Length, position);
                break;
            default:
                Anomaly(side, TlsAnomalyKind.UnexpectedMessage, position,
                    $"protected record at stream offset {s.RecordOffset} holds content type {(byte)innerType}, not allowed inside TLS 1.3 protection");
                break;
        }
    }
}
