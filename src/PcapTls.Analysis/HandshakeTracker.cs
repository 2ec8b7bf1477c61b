using PcapTls.Flows;
using PcapTls.Tls;

namespace PcapTls.Analysis;

/// <summary>Makes a TLS 1.3 record decryptor for a connection when a key log holds its secrets.</summary>
public interface IHandshakeDecryptorFactory
{
    /// <summary>Returns null when no key is known; note says what was matched (e.g. "key log matched (server side)").</summary>
    ITlsRecordDecryptor? TryCreate(ClientHelloInfo clientHello, ServerHelloInfo serverHello, int clientSide, out string? note);

    /// <summary>For TLS 1.2: whether the key log holds CLIENT_RANDOM for this hello (nothing to decrypt, but reported).</summary>
    bool MatchesTls12(ClientHelloInfo clientHello);
}

/// <summary>
/// Follows one TCP connection: feeds its reassembled streams to the TLS decoder and records the TLS events and
/// the TCP teardown into a <see cref="HandshakeObservation"/>. Knows nothing about validation.
/// </summary>
internal sealed class HandshakeTracker : ITcpStreamConsumer, ITlsEventSink
{
    /// <summary>Records kept per connection for the ladder and the TLS 1.3 inference; later ones are counted only.</summary>
    internal const int MaxRecordsKept = 64;
    internal const int MaxControlsKept = 32;
    internal const int MaxAlertsKept = 16;

    private readonly TlsConnectionDecoder decoder;
    private readonly IHandshakeDecryptorFactory? decryptors;
    private readonly Action<HandshakeObservation, ConnectionRecording?> onEnd;
    private readonly ConnectionRecording? recording;
    private bool ended;

    /// <param name="recording">Keeps what the flow layer delivers, so the connection can be decoded again when a
    /// growing key log gains its secrets later (dropped as soon as the ServerHello shows no TLS 1.3).</param>
    public HandshakeTracker(TcpConnectionInfo connection, TlsLimits limits, IHandshakeDecryptorFactory? decryptors,
        Action<HandshakeObservation, ConnectionRecording?> onEnd, ConnectionRecording? recording = null)
    {
        Observation = new HandshakeObservation { Connection = connection };
        Observation.Touch(connection.FirstPosition.PacketNumber, connection.FirstPosition.TimestampNanos);
        decoder = new TlsConnectionDecoder(this, limits);
        this.decryptors = decryptors;
        this.onEnd = onEnd;
        this.recording = recording;
    }

    public HandshakeObservation Observation { get; }

    /// <summary>True once nothing more in the payload can change the verdict.</summary>
    public bool Decided { get; private set; }

    public bool WantsPayload => !Decided;

    // ---- TCP side ----

    public void OnData(FlowDirection direction, ReadOnlySpan<byte> data, SegmentPosition position)
    {
        recording?.Data(direction, data, position);
        var side = (int)direction;
        Observation.Touch(position.PacketNumber, position.TimestampNanos);
        if (Observation.FirstByte[side] < 0 && data.Length > 0)
        {
            Observation.FirstByte[side] = data[0];
        }
        Observation.PayloadBytes[side] += data.Length;
        decoder.Feed(side, data, new TlsPosition(position.PacketNumber, position.TimestampNanos));
    }

    public void OnGap(FlowDirection direction, long missingBytes, SegmentPosition position)
    {
        recording?.Gap(direction, missingBytes, position);
        var side = (int)direction;
        Observation.Touch(position.PacketNumber, position.TimestampNanos);
        if (!Observation.GapSeen[side])
        {
            Observation.GapSeen[side] = true;
            Observation.GapPacket[side] = position.PacketNumber;
        }
        decoder.Gap(side, missingBytes, new TlsPosition(position.PacketNumber, position.TimestampNanos));
    }

    public void OnControl(FlowDirection direction, TcpControlKind kind, SegmentPosition position)
    {
        recording?.Control(direction, kind, position);
        Observation.Touch(position.PacketNumber, position.TimestampNanos);
        if (Observation.Controls.Count < MaxControlsKept)
        {
            Observation.Controls.Add(new ControlSeen((int)direction, kind, position.PacketNumber, position.TimestampNanos, Observation.NextSeq()));
        }
    }

    public void OnEnd(FlowEndReason reason, SegmentPosition lastPosition)
    {
        if (ended)
        {
            return;
        }
        ended = true;
        recording?.End(reason, lastPosition);
        Observation.Touch(lastPosition.PacketNumber, lastPosition.TimestampNanos);
        Observation.EndReason = reason;
        // Bytes still buffered say something: a stream cut inside a record (TruncatedAtEnd), or a short reply
        // that is not TLS at all (OnNotTls), which the decoder only decides at the end of the stream.
        var end = new TlsPosition(lastPosition.PacketNumber, lastPosition.TimestampNanos);
        decoder.EndOfStream(0, end);
        decoder.EndOfStream(1, end);
        onEnd(Observation, recording);
    }

    // ---- TLS side ----

    public void OnRecord(int side, TlsContentType type, ushort version, int length, TlsPosition position)
    {
        if (Observation.Records.Count < MaxRecordsKept)
        {
            Observation.Records.Add(new RecordSeen(side, type, length, position.PacketNumber, position.TimestampNanos, Observation.NextSeq()));
        }
    }

    public void OnClientHello(int side, ClientHelloInfo hello, TlsPosition position)
    {
        if (Observation.ClientHello is not null)
        {
            Observation.Anomalies.Add(new ReportAnomaly(position.PacketNumber, "second-client-hello", "another ClientHello on the same connection (renegotiation or a retry after HelloRetryRequest)"));
            if (Observation.ServerHello is { IsHelloRetryRequest: false })
            {
                return;
            }
        }
        Observation.ClientHello = hello;
        Observation.ClientHelloSide = side;
        Observation.ClientHelloPacket = position.PacketNumber;
        Observation.ClientHelloTime = position.TimestampNanos;
    }

    public void OnServerHello(int side, ServerHelloInfo hello, TlsPosition position)
    {
        if (hello.IsHelloRetryRequest)
        {
            Observation.SawHelloRetryRequest = true;
        }
        Observation.ServerHello = hello;
        Observation.ServerHelloPacket = position.PacketNumber;
        if (Observation.ClientHelloSide is null)
        {
            // Mid-connection capture: the ServerHello tells us who the server is.
            Observation.ClientHelloSide = 1 - side;
        }
        if (!hello.IsHelloRetryRequest && hello.NegotiatedVersion != 0x0304)
        {
            recording?.Drop(); // only TLS 1.3 (final, not a draft) hides what a key log could open later
        }
        if (hello.IsHelloRetryRequest || decryptors is null || Observation.ClientHello is null)
        {
            return;
        }
        if (hello.NegotiatedVersion == 0x0304)
        {
            var decryptor = decryptors.TryCreate(Observation.ClientHello, hello, Observation.ClientSide, out var note);
            Observation.KeyLogNote = note;
            if (decryptor is not null)
            {
                decoder.Decryptor = decryptor;
                Observation.Decrypting = true;
            }
        }
        else if (decryptors.MatchesTls12(Observation.ClientHello))
        {
            Observation.KeyLogNote = "key log matched (CLIENT_RANDOM); TLS 1.2 sends the chain in plaintext, nothing needed decrypting";
        }
    }

    public void OnCertificate(int side, CertificateMessage message, TlsPosition position)
    {
        var decrypted = Observation.IsTls13;
        if (Observation.PeerOf(side) == Peer.Server)
        {
            if (Observation.ServerCertificate is null)
            {
                Observation.ServerCertificateLength = Math.Max(Observation.ServerCertificateLength, MessageLength(message));
                Observation.ServerCertificate = message;
                Observation.ServerCertificatePacket = position.PacketNumber;
                Observation.ServerCertificateTime = position.TimestampNanos;
                Observation.ServerCertificateDecrypted = decrypted;
            }
        }
        else if (Observation.ClientCertificate is null)
        {
            Observation.ClientCertificate = message;
            Observation.ClientCertificatePacket = position.PacketNumber;
        }
    }

    /// <summary>The Certificate message's body length: certificate_list with its 3-byte length (TLS 1.3: the
    /// request context and each entry's extensions too, taken as empty).</summary>
    private static int MessageLength(CertificateMessage message)
    {
        var length = 3;
        foreach (var der in message.Certificates)
        {
            length += 3 + der.Length + (message.RequestContext is null ? 0 : 2);
        }
        return length + (message.RequestContext is { } context ? 1 + context.Length : 0);
    }

    public void OnCertificateRequest(int side, CertificateRequestInfo request, TlsPosition position)
    {
        Observation.CertificateRequest ??= request;
        if (Observation.CertificateRequestPacket == 0)
        {
            Observation.CertificateRequestPacket = position.PacketNumber;
        }
    }

    public void OnHandshakeMessage(int side, TlsHandshakeType type, int length, bool decrypted, TlsPosition position)
    {
        var carriedBy = pendingCarriedBy;
        pendingCarriedBy = 1;
        if (type == TlsHandshakeType.Finished && Observation.FalseStartPacket != 0 && Observation.PeerOf(side) == Peer.Server)
        {
            // After a False Start the server's Finished is the last thing the verdict waited for.
            Decided = true;
        }
        if (Observation.Messages.Count < MaxRecordsKept)
        {
            Observation.Messages.Add(new MessageSeen(side, type, decrypted, position.PacketNumber, position.TimestampNanos, Observation.NextSeq(), carriedBy));
        }
    }

    private int pendingCarriedBy = 1;

    /// <summary>Labels the current record (the side's last kept handshake record, or opened TLS 1.3 record) as fragment
    /// <paramref name="index"/> of the message; when the message is complete, the earlier fragments get the exact count.
    /// Records beyond <see cref="MaxRecordsKept"/> were not kept and keep no label.</summary>
    public void OnHandshakeFragment(int side, TlsHandshakeType type, int messageLength, int index, int count, TlsPosition position)
    {
        if (type == TlsHandshakeType.Certificate && Observation.PeerOf(side) == Peer.Server && Observation.ServerCertificate is null)
        {
            Observation.ServerCertificateLength = messageLength;
        }
        var complete = index == count;
        if (complete)
        {
            pendingCarriedBy = count;
        }
        var want = index;
        for (var i = Observation.Records.Count - 1; i >= 0 && want > 0; i--)
        {
            var r = Observation.Records[i];
            if (r.Side != side || r.Type is not (TlsContentType.Handshake or TlsContentType.ApplicationData))
            {
                continue;
            }
            if (want == index || (complete && r.FragmentOf == type && r.FragmentIndex == want))
            {
                Observation.Records[i] = r with { FragmentOf = type, FragmentIndex = want, FragmentCount = count };
            }
            if (!complete)
            {
                break;
            }
            want--;
        }
    }

    public void OnChangeCipherSpec(int side, TlsPosition position)
    {
        if (Observation.ChangeCipherSpecCount[side]++ == 0)
        {
            Observation.FirstChangeCipherSpecPacket[side] = position.PacketNumber;
        }
    }

    public void OnEncryptedRecord(int side, TlsContentType outerType, int length, TlsPosition position)
    {
        Observation.EncryptedRecords[side]++;
        if (Observation.ServerHello is null && outerType == TlsContentType.ApplicationData && Observation.ClientHello is not null
            && Observation.PeerOf(side) == Peer.Client && Observation.EarlyDataRecords++ == 0)
        {
            Observation.EarlyDataPacket = position.PacketNumber;
        }
        if (!Observation.IsTls13 || outerType != TlsContentType.ApplicationData)
        {
            return;
        }
        // TLS 1.3: once the client has sent its flight and more, and the server has answered it with something
        // that is not an alert, nothing can change the verdict: bulk data need not be buffered or decoded.
        if (Observation.PeerOf(side) == Peer.Client)
        {
            clientProtectedRecords++;
        }
        else if (clientProtectedRecords > 0 && !Tls13Rules.IsAlertSized(length))
        {
            serverAnsweredClient = true;
        }
        if (clientProtectedRecords >= DecidedAfterClientProtectedRecords && serverAnsweredClient)
        {
            Decided = true;
        }
    }

    private int clientProtectedRecords;
    private bool serverAnsweredClient;

    /// <summary>Protected records from a TLS 1.3 client after which nothing can change the outcome.</summary>
    internal const int DecidedAfterClientProtectedRecords = 3;

    public void OnAlert(int side, TlsAlert alert, TlsPosition position)
    {
        if (Observation.Alerts.Count < MaxAlertsKept)
        {
            Observation.Alerts.Add(new AlertSeen(side, alert, position.PacketNumber, position.TimestampNanos, Observation.NextSeq()));
        }
        if (alert.Level == TlsAlertLevel.Fatal)
        {
            Decided = true;
        }
    }

    public void OnApplicationData(int side, int length, TlsPosition position)
    {
        Observation.ApplicationDataRecords[side]++;
        if (Observation.PeerOf(side) != Peer.Client || Observation.ServerHello is null)
        {
            return;
        }
        var serverFinished = Observation.IsTls13 || Observation.ChangeCipherSpecCount[Observation.ServerSide] > 0;
        if (!serverFinished && Observation.FalseStartPacket == 0)
        {
            // False Start (RFC 7918): the client's data before the server's CCS/Finished, which are still to come.
            Observation.FalseStartPacket = position.PacketNumber;
        }
        // Application data from the client once both sides finished means the client accepted the server.
        if (serverFinished && (!Observation.IsTls13 || Observation.Decrypting))
        {
            Decided = true;
        }
    }

    public void OnStartTls(int side, PcapTls.Tls.Preambles.TlsPreamble preamble, TlsPosition position)
    {
        Observation.Preamble[side] = preamble;
        Observation.PreamblePacket[side] = position.PacketNumber;
        Observation.PreambleTime[side] = position.TimestampNanos;
    }

    public void OnPreambleRefused(int side, string protocol, string refusal, PcapTls.Tls.Preambles.PreambleTarget? target, TlsPosition position)
    {
        Observation.Refusal ??= new PreambleRefusal(side, protocol, refusal, target, position.PacketNumber, position.TimestampNanos);
        if (Observation.NotTlsPreview[1 - side] is not null)
        {
            Decided = true;
        }
    }

    public void OnNotTls(int side, string firstBytesPreview, TlsPosition position)
    {
        Observation.NotTlsPreview[side] ??= firstBytesPreview;
        if (Observation.NotTlsPacket[side] == 0)
        {
            Observation.NotTlsPacket[side] = position.PacketNumber;
            Observation.NotTlsTime[side] = position.TimestampNanos;
        }
        if (Observation.NotTlsPreview[0] is not null && Observation.NotTlsPreview[1] is not null)
        {
            Decided = true;
        }
    }

    public void OnAnomaly(int side, TlsAnomaly anomaly)
    {
        if (Observation.Anomalies.Count < MaxAlertsKept)
        {
            Observation.Anomalies.Add(new ReportAnomaly(anomaly.PacketNumber, AnomalyKinds.Name(anomaly.Kind), anomaly.Detail));
        }
    }
}
