using PcapTls.Tls.Preambles;

namespace PcapTls.Tls;

/// <summary>
/// Decodes the TLS of one TCP connection from its two reassembled byte streams (sides 0 and 1), raising typed
/// events on an <see cref="ITlsEventSink"/>. It sees bytes, gaps and ends of stream, never packets (as Zeek's
/// SSL analyzer). Records may be cut anywhere by TCP, coalesced, and handshake messages may span records; all
/// buffering is bounded by <see cref="TlsLimits"/>. Hostile input raises anomalies; nothing here throws on data.
/// <para>Conventions:</para>
/// <list type="bullet">
/// <item>OnRecord first for every record (SSLv2 ones with <see cref="TlsContentType.Sslv2"/>), then the
/// events of its content. A message or record is reported at the position of the Feed that completed it.</item>
/// <item>Each handshake message: OnHandshakeMessage, then its typed event. A message that does not parse
/// raises a MalformedHandshake anomaly and decoding goes on with the next one.</item>
/// <item>TLS &lt;= 1.2: after a side's ChangeCipherSpec, its first handshake record is the encrypted Finished:
/// OnEncryptedRecord(side, Handshake, recordLength) then OnHandshakeMessage(side, Finished, recordLength,
/// decrypted: false); later encrypted handshake records (renegotiation) only OnEncryptedRecord. An alert record
/// after CCS whose length is not 2 is TlsAlert(null, null, Encrypted: true). Application data is OnApplicationData.</item>
/// <item>TLS 1.3 (supported_versions 0x0304 in the ServerHello or HelloRetryRequest): every type-23 record is
/// protected. With a <see cref="Decryptor"/> it is opened and its content reported (decrypted: true, alerts
/// Encrypted: true); without one, or once opening failed on that side, OnEncryptedRecord(side, ApplicationData,
/// length). The middlebox-compatibility ChangeCipherSpec is reported and changes nothing.</item>
/// <item>Type-23 records before any ServerHello are 0-RTT data when the ClientHello offered TLS 1.3
/// (OnEncryptedRecord), else OnApplicationData.</item>
/// <item>A gap raises GapInStream; the side then skips bytes until a plausible record header (type 20-24,
/// version 0x0300-0x0304, length 1..MaxRecordLength) and decodes from there. A malformed record header does
/// the same after a MalformedRecord anomaly.</item>
/// <item>A limit exceeded (record, handshake message, handshake bytes per connection, certificate count or size,
/// STARTTLS preamble) raises its anomaly and stops that side for good.</item>
/// <item>A handshake message carried by several records: each of its records raises OnHandshakeFragment(side, type,
/// length, index, count), so each record can be labelled "Certificate (fragment 3 of 21)"; the count is exact on
/// the record that completes the message, an estimate before (a message never completed still gets labels).</item>
/// </list>
/// </summary>
public sealed class TlsConnectionDecoder
{
    private const ushort Tls13 = 0x0304;

    private readonly ITlsEventSink sink;
    private readonly TlsLimits limits;
    private readonly Side[] sides = [new(), new()];
    private bool sslv2Negotiated;
    private long handshakeBytes;
    private bool clientOfferedTls13;

    public TlsConnectionDecoder(ITlsEventSink sink, TlsLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        this.sink = sink;
        this.limits = limits ?? TlsLimits.Default;
    }

    /// <summary>Opens TLS 1.3 protected records; may be set at any time (typically from OnServerHello).</summary>
    public ITlsRecordDecryptor? Decryptor { get; set; }

    /// <summary>The side that sent the ClientHello (or, without one, the peer of the ServerHello's sender).</summary>
    public int? ClientSide { get; private set; }

    /// <summary>From the last ServerHello (supported_versions when present); null before one is seen.</summary>
    public ushort? NegotiatedVersion { get; private set; }

    public ushort? CipherSuite { get; private set; }

    /// <summary>ClientHello.random of the first ClientHello (the key-log lookup key); null before one is seen.</summary>
    public byte[]? ClientRandom { get; private set; }

    /// <summary>TLS 1.3, or one of its drafts (0x7Fxx, Facebook's 0xFBxx): records after the ServerHello are protected.</summary>
    public bool IsTls13 => NegotiatedVersion is { } v && TlsHandshakeParser.IsTls13Family(v);

    /// <summary>The preamble protocol recognised on a side, null when the side began with TLS or nobody knew it.</summary>
    public string? StartTlsProtocol(int side) => sides[CheckSide(side)].Recogniser?.Protocol;

    /// <summary>The plaintext before the side's first TLS record, once TLS started after one; null otherwise.</summary>
    public TlsPreamble? Preamble(int side) => sides[CheckSide(side)].Preamble;

    /// <summary>True once the side stopped for good (not TLS, a limit hit, or its end of stream).</summary>
    public bool IsStopped(int side) => sides[CheckSide(side)].Mode is Mode.Stopped or Mode.Ended;

    public void Feed(int side, ReadOnlySpan<byte> data, TlsPosition position)
    {
        var s = sides[CheckSide(side)];
        while (!data.IsEmpty)
        {
            var consumed = s.Mode switch
            {
                Mode.Detecting => FeedDetecting(side, s, data, position),
                Mode.Preamble => FeedPreamble(side, s, data, position),
                Mode.Records => FeedRecords(side, s, data, position),
                Mode.Resync => FeedResync(s, data),
                _ => data.Length,
            };
            s.StreamOffset += consumed;
            data = data[consumed..];
        }
        if (s.Mode == Mode.Records && s.Pending.Count > 0)
        {
            // Bytes held while classifying the stream (or scanning a preamble) may already hold whole records.
            FeedRecords(side, s, default, position);
        }
    }

    public void Gap(int side, long missingBytes, TlsPosition position)
    {
        var s = sides[CheckSide(side)];
        if (s.Mode is Mode.Stopped or Mode.Ended)
        {
            s.StreamOffset += missingBytes;
            return;
        }
        Anomaly(side, TlsAnomalyKind.GapInStream, position,
            $"{missingBytes} bytes missing at stream offset {s.StreamOffset}; decoding resumes at the next plausible record header");
        s.StreamOffset += missingBytes;
        s.Pending.Clear();
        s.Handshake.Clear();
        s.MessageRecords = 0;
        if (s.Mode == Mode.Preamble)
        {
            // Still plaintext: keep scanning for the switch to TLS.
            s.PreambleScanFrom = 0;
            return;
        }
        s.Mode = Mode.Resync;
    }

    public void EndOfStream(int side, TlsPosition position)
    {
        var s = sides[CheckSide(side)];
        switch (s.Mode)
        {
            case Mode.Detecting when s.Pending.Count > 0:
                var start = PreambleRecognisers.Classify(s.Pending.Span, final: true, PeerProtocol(side), out _, out _);
                if (start is PreambleRecognisers.StreamStart.Tls or PreambleRecognisers.StreamStart.Sslv2)
                {
                    Anomaly(side, TlsAnomalyKind.TruncatedAtEnd, position, $"stream ends inside the first record ({s.Pending.Count} bytes)");
                }
                else
                {
                    sink.OnNotTls(side, PreambleRecognisers.Preview(s.Pending.Span), position);
                }
                break;
            case Mode.Preamble:
                // The plaintext protocol never switched to TLS: the server refused, or nobody asked.
                EndPreamble(side, s, position);
                // The client's plaintext stays until the server's end, which may quote the request it refuses.
                if (s.Role == PreambleRole.Client && sides[1 - side].Mode == Mode.Preamble)
                {
                    s.Mode = Mode.Ended;
                    return;
                }
                sides[1 - side].Pending.Release();
                break;
            case Mode.Records:
                if (s.Pending.Count > 0)
                {
                    Anomaly(side, TlsAnomalyKind.TruncatedAtEnd, position,
                        $"stream ends inside a record: {s.Pending.Count} bytes of it at stream offset {s.StreamOffset - s.Pending.Count}");
                }
                if (s.Handshake.Count > 0)
                {
                    Anomaly(side, TlsAnomalyKind.TruncatedAtEnd, position, $"stream ends inside a handshake message: {s.Handshake.Count} bytes of it");
                }
                break;
        }
        Stop(s, Mode.Ended);
    }

    private static int CheckSide(int side) => side is 0 or 1 ? side : throw new ArgumentOutOfRangeException(nameof(side), side, "side is 0 or 1");

    // ---- stream start: TLS, SSLv2, STARTTLS preamble, or not TLS ----

    private int FeedDetecting(int side, Side s, ReadOnlySpan<byte> data, TlsPosition position)
    {
        var take = Math.Min(data.Length, PreambleRecognisers.ClassifyWindow - s.Pending.Count);
        s.Pending.Append(data[..take]);
        s.FirstPlaintext ??= position;
        s.LastPlaintext = position;
        // A full window must decide, or a stream of undecidable bytes would never be consumed.
        var start = PreambleRecognisers.Classify(s.Pending.Span, final: s.Pending.Count >= PreambleRecognisers.ClassifyWindow, PeerProtocol(side),
            out var recogniser, out var role);
        switch (start)
        {
            case PreambleRecognisers.StreamStart.Tls:
            case PreambleRecognisers.StreamStart.Sslv2:
                // The bytes held are the start of the first record; the record loop tops them up.
                s.Mode = Mode.Records;
                return take;
            case PreambleRecognisers.StreamStart.Recognised:
            case PreambleRecognisers.StreamStart.Unrecognised:
                // Unrecognised plaintext is still scanned for a ClientHello, over a shorter stretch.
                s.Mode = Mode.Preamble;
                s.Recogniser = recogniser;
                s.Role = role;
                s.PreambleScanFrom = 0;
                return take;
            default:
                return take;
        }
    }

    private int FeedPreamble(int side, Side s, ReadOnlySpan<byte> data, TlsPosition position)
    {
        var room = PreambleLimit(s) + PreambleRecognisers.TlsStartProbeLength - s.Pending.Count;
        var take = Math.Min(data.Length, Math.Max(room, 0));
        s.Pending.Append(data[..take]);
        s.LastPlaintext = position;
        var held = s.Pending.Span;
        // After unknown plaintext only a ClientHello counts, or the server's answer once the peer sent one.
        var serverHello = s.Recogniser is not null || ClientSide == 1 - side;
        for (var i = s.PreambleScanFrom; i < held.Length; i++)
        {
            var probe = PreambleRecognisers.ProbeTlsStart(held[i..], limits.MaxRecordLength, serverHello);
            if (probe == TlsParseResult.Incomplete)
            {
                s.PreambleScanFrom = i;
                return CheckPreambleLimit(side, s, data.Length, take, position);
            }
            if (probe == TlsParseResult.Complete)
            {
                // held[0] sits at stream offset StreamOffset + take - held.Length (a gap may have dropped earlier text).
                var target = s.Role == PreambleRole.Client ? s.Recogniser?.FindTarget(held[..i]) : null;
                s.Preamble = new TlsPreamble(target?.Variant ?? s.Recogniser?.Protocol, s.StreamOffset + take - held.Length + i, target);
                sink.OnStartTls(side, s.Preamble, position);
                s.Pending.Consume(i);
                s.Mode = Mode.Records;
                return take;
            }
        }
        s.PreambleScanFrom = held.Length;
        return CheckPreambleLimit(side, s, data.Length, take, position);
    }

    private int CheckPreambleLimit(int side, Side s, int offered, int taken, TlsPosition position)
    {
        if (s.Pending.Count <= PreambleLimit(s))
        {
            return taken;
        }
        if (s.Recogniser is not null)
        {
            Anomaly(side, TlsAnomalyKind.PreambleTooLong, position,
                $"{s.Recogniser.Protocol} plaintext went on for more than {limits.MaxPlaintextPreamble} bytes without switching to TLS");
        }
        EndPreamble(side, s, position);
        Stop(s, Mode.Stopped);
        return offered;
    }

    private int PreambleLimit(Side s)
        => s.Recogniser is null ? Math.Min(PreambleRecognisers.UnrecognisedScanLimit, limits.MaxPlaintextPreamble) : limits.MaxPlaintextPreamble;

    private string? PeerProtocol(int side) => sides[1 - side].Recogniser?.Protocol;

    /// <summary>A side's plaintext that never switched to TLS: the server's refusal when it shows one, else not TLS.</summary>
    private void EndPreamble(int side, Side s, TlsPosition position)
    {
        if (s.Recogniser is { } r && s.Role == PreambleRole.Server)
        {
            var peer = sides[1 - side];
            var client = peer.Recogniser == r && peer.Preamble is null ? peer.Pending.Span : default;
            if (r.FindRefusal(s.Pending.Span, client) is { } refusal)
            {
                sink.OnPreambleRefused(side, r.Protocol, refusal, client.IsEmpty ? null : r.FindTarget(client), s.LastPlaintext ?? position);
                return;
            }
        }
        // Plaintext nobody knows is quoted where it began (it was decided there before ClientHellos were looked for in it).
        sink.OnNotTls(side, PreambleRecognisers.Preview(s.Pending.Span), s.Recogniser is null ? s.FirstPlaintext ?? position : position);
    }

    // ---- records ----

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

    // ---- handshake messages ----

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

    // ---- SSLv2 ----

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

    // ---- resynchronisation after a gap or garbage ----

    private int FeedResync(Side s, ReadOnlySpan<byte> data)
    {
        // Held bytes (at most 4) are the tail of what was already scanned; look across the boundary first.
        Span<byte> joint = stackalloc byte[2 * TlsRecordParser.HeaderLength];
        var held = s.Pending.Count;
        s.Pending.Span.CopyTo(joint);
        var extra = Math.Min(data.Length, TlsRecordParser.HeaderLength);
        data[..extra].CopyTo(joint[held..]);
        var jointSpan = joint[..(held + extra)];
        for (var i = 0; i < held; i++)
        {
            if (IsPlausibleAt(jointSpan[i..]))
            {
                s.Pending.Consume(i);
                s.Mode = Mode.Records;
                return 0;
            }
        }
        for (var j = 0; j + TlsRecordParser.HeaderLength <= data.Length; j++)
        {
            if (IsPlausibleAt(data[j..]))
            {
                s.Pending.Clear();
                s.Mode = Mode.Records;
                return j;
            }
        }
        // Keep the last 4 bytes: a header may straddle this call and the next. jointSpan is a copy, so clearing
        // Pending does not disturb it; when data is shorter than the tail, jointSpan ends where data ends.
        var tailLength = Math.Min(TlsRecordParser.HeaderLength - 1, held + data.Length);
        var tail = data.Length >= tailLength ? data[^tailLength..] : jointSpan[^tailLength..];
        s.Pending.Clear();
        s.Pending.Append(tail);
        return data.Length;
    }

    private bool IsPlausibleAt(ReadOnlySpan<byte> data)
        => TlsRecordParser.TryParseHeader(data, out var header) == TlsParseResult.Complete && TlsRecordParser.IsPlausibleHeader(header, limits.MaxRecordLength);

    // ---- helpers ----

    private void Anomaly(int side, TlsAnomalyKind kind, TlsPosition position, string detail)
        => sink.OnAnomaly(side, new TlsAnomaly(kind, position.PacketNumber, detail));

    private static void Stop(Side s, Mode mode)
    {
        s.Mode = mode;
        s.Pending.Release();
        s.Handshake.Release();
    }

    private enum Mode
    {
        Detecting,
        Preamble,
        Records,
        Resync,
        Stopped,
        Ended,
    }

    private sealed class Side
    {
        public Mode Mode;

        /// <summary>Partial record (Records), first bytes (Detecting), plaintext (Preamble), or a header tail (Resync).</summary>
        public readonly StreamBuffer Pending = new();

        /// <summary>Partial handshake message(s) waiting for the next record.</summary>
        public readonly StreamBuffer Handshake = new();

        public bool HandshakeDecrypted;

        /// <summary>How many records have carried the unfinished message in <see cref="Handshake"/> so far.</summary>
        public int MessageRecords;

        /// <summary>Bytes of this side consumed so far (gaps included): anomaly details give offsets in it.</summary>
        public long StreamOffset;

        public long RecordOffset;
        public bool SentChangeCipherSpec;
        public bool SawEncryptedFinished;
        public bool DecryptionFailed;
        public int Sslv2Records;
        public IPreambleRecogniser? Recogniser;
        public PreambleRole Role;
        public TlsPreamble? Preamble;
        public int PreambleScanFrom;

        /// <summary>The position of the last plaintext fed (a refusal is quoted at the packet that carried it).</summary>
        public TlsPosition? LastPlaintext;
        public TlsPosition? FirstPlaintext;
    }
}
