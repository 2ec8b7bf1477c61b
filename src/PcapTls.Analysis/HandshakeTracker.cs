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
    private readonly Action<HandshakeObservation> onEnd;
    private bool ended;

    public HandshakeTracker(TcpConnectionInfo connection, TlsLimits limits, IHandshakeDecryptorFactory? decryptors, Action<HandshakeObservation> onEnd)
    {
        Observation = new HandshakeObservation { Connection = connection };
        Observation.Touch(connection.FirstPosition.PacketNumber, connection.FirstPosition.TimestampNanos);
        decoder = new TlsConnectionDecoder(this, limits);
        this.decryptors = decryptors;
        this.onEnd = onEnd;
    }

    public HandshakeObservation Observation { get; }

    /// <summary>True once nothing more in the payload can change the verdict.</summary>
    public bool Decided { get; private set; }

    public bool WantsPayload => !Decided;

    // ---- TCP side ----

    public void OnData(FlowDirection direction, ReadOnlySpan<byte> data, SegmentPosition position)
    {
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
        Observation.Touch(lastPosition.PacketNumber, lastPosition.TimestampNanos);
        Observation.EndReason = reason;
        // Bytes still buffered say something: a stream cut inside a record (TruncatedAtEnd), or a short reply
        // that is not TLS at all (OnNotTls), which the decoder only decides at the end of the stream.
        var end = new TlsPosition(lastPosition.PacketNumber, lastPosition.TimestampNanos);
        decoder.EndOfStream(0, end);
        decoder.EndOfStream(1, end);
        onEnd(Observation);
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
        if (Observation.Messages.Count < MaxRecordsKept)
        {
            Observation.Messages.Add(new MessageSeen(side, type, decrypted, position.PacketNumber, position.TimestampNanos, Observation.NextSeq()));
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
        // Application data from the client after the handshake means the client accepted the server.
        if (Observation.PeerOf(side) == Peer.Client && Observation.ApplicationDataRecords[side] >= 1 && Observation.ServerHello is not null
            && (!Observation.IsTls13 || Observation.Decrypting))
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
