using PcapTls.Capture;
using PcapTls.Flows;
using PcapTls.Tls;

namespace PcapTls.Analysis;

/// <summary>A record seen on one side, kept small: what the TLS 1.3 inference needs without keys.</summary>
internal readonly record struct RecordSeen(int Side, TlsContentType Type, int Length, long Packet, long TimeNanos, int Seq);

internal readonly record struct AlertSeen(int Side, TlsAlert Alert, long Packet, long TimeNanos, int Seq);

internal readonly record struct ControlSeen(int Side, TcpControlKind Kind, long Packet, long TimeNanos, int Seq);

internal readonly record struct MessageSeen(int Side, TlsHandshakeType Type, bool Decrypted, long Packet, long TimeNanos, int Seq);

/// <summary>
/// The facts gathered about one connection while its bytes stream past (mutable while tracking; turned into an
/// immutable <see cref="HandshakeReport"/> by <see cref="HandshakeJudge"/>). Sides are the flow layer's:
/// 0 = originator, 1 = responder.
/// </summary>
internal sealed class HandshakeObservation
{
    public required TcpConnectionInfo Connection { get; init; }

    public ClientHelloInfo? ClientHello { get; set; }
    public int? ClientHelloSide { get; set; }
    public long ClientHelloPacket { get; set; }
    public long ClientHelloTime { get; set; }

    public ServerHelloInfo? ServerHello { get; set; }
    public long ServerHelloPacket { get; set; }
    public bool SawHelloRetryRequest { get; set; }

    /// <summary>Certificate messages by side, in arrival order (the first one per side is the one judged).</summary>
    public CertificateMessage? ServerCertificate { get; set; }
    public long ServerCertificatePacket { get; set; }
    public long ServerCertificateTime { get; set; }
    public bool ServerCertificateDecrypted { get; set; }
    public CertificateMessage? ClientCertificate { get; set; }
    public long ClientCertificatePacket { get; set; }

    public CertificateRequestInfo? CertificateRequest { get; set; }
    public long CertificateRequestPacket { get; set; }

    public List<RecordSeen> Records { get; } = [];
    public List<AlertSeen> Alerts { get; } = [];
    public List<ControlSeen> Controls { get; } = [];
    public List<MessageSeen> Messages { get; } = [];
    public List<ReportAnomaly> Anomalies { get; } = [];

    public int[] ChangeCipherSpecCount { get; } = new int[2];
    public long[] FirstChangeCipherSpecPacket { get; } = new long[2];
    public int[] ApplicationDataRecords { get; } = new int[2];
    public int[] EncryptedRecords { get; } = new int[2];
    public long[] PayloadBytes { get; } = new long[2];
    public bool[] GapSeen { get; } = new bool[2];
    public long[] GapPacket { get; } = new long[2];
    public string?[] NotTlsPreview { get; } = new string?[2];
    public long[] NotTlsPacket { get; } = new long[2];
    public long[] NotTlsTime { get; } = new long[2];
    public bool[] TruncatedPayload { get; } = new bool[2];

    /// <summary>The first payload byte of each side (0x16 = a TLS handshake record), -1 before any payload.</summary>
    public int[] FirstByte { get; } = [-1, -1];

    /// <summary>Wire order of the events kept, across both sides (the ladder sorts by it within a packet).</summary>
    public int NextSeq()
    {
        return seq++;
    }

    private int seq;

    public string? KeyLogNote { get; set; }
    public bool Decrypting { get; set; }

    public long FirstPacket { get; set; }
    public long FirstTime { get; set; }
    public long LastPacket { get; set; }
    public long LastTime { get; set; }
    public FlowEndReason? EndReason { get; set; }

    /// <summary>The side that acts as the TLS client: the one that sent the ClientHello, else the TCP originator.</summary>
    public int ClientSide => ClientHelloSide ?? 0;

    public int ServerSide => 1 - ClientSide;

    public Peer PeerOf(int side) => side == ClientSide ? Peer.Client : Peer.Server;

    public NetEndpoint EndpointOf(int side) => side == 0 ? Connection.Originator : Connection.Responder;

    public bool IsTls13 => ServerHello is { NegotiatedVersion: 0x0304 } && !ServerHello.IsHelloRetryRequest;

    public bool HasFatalAlert => Alerts.Any(a => a.Alert.Level == TlsAlertLevel.Fatal || (a.Alert.Encrypted && a.Alert.Level is null));

    public void Touch(long packet, long timeNanos)
    {
        if (FirstPacket == 0)
        {
            FirstPacket = packet;
            FirstTime = timeNanos;
        }
        if (packet >= LastPacket)
        {
            LastPacket = packet;
            LastTime = timeNanos;
        }
    }
}
