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
public sealed partial class TlsConnectionDecoder
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
