using PcapTls.Capture;
using PcapTls.Flows;
using PcapTls.Tls;

namespace PcapTls.Analysis;

/// <summary>A record seen on one side, kept small: what the TLS 1.3 inference needs without keys. A record that
/// carried part of a handshake message spread over several records names it (FragmentIndex of FragmentCount, from 1).</summary>
internal readonly record struct RecordSeen(int Side, TlsContentType Type, int Length, long Packet, long TimeNanos, int Seq,
    TlsHandshakeType FragmentOf = default, int FragmentIndex = 0, int FragmentCount = 0)
{
    public bool IsFragment => FragmentCount > 1;
}

internal readonly record struct AlertSeen(int Side, TlsAlert Alert, long Packet, long TimeNanos, int Seq);

internal readonly record struct ControlSeen(int Side, TcpControlKind Kind, long Packet, long TimeNanos, int Seq);

/// <summary>A handshake message; CarriedBy is the number of records it was spread over (1 for most).</summary>
internal readonly record struct MessageSeen(int Side, TlsHandshakeType Type, bool Decrypted, long Packet, long TimeNanos, int Seq, int CarriedBy = 1);

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

    /// <summary>The body length of the server's (first) Certificate message, as its header announced it: known even
    /// when the message never completed (a client that gave up on its size). 0 when none was seen.</summary>
    public int ServerCertificateLength { get; set; }
    public CertificateMessage? ClientCertificate { get; set; }
    public long ClientCertificatePacket { get; set; }

    public CertificateRequestInfo? CertificateRequest { get; set; }
    public long CertificateRequestPacket { get; set; }

    // Sized for a whole ordinary handshake (up to 15 records and 10 messages per connection on the busy benchmark
    // capture), so the lists do not regrow two or three times per connection. Controls (SYN, SYN/ACK, two FINs) and
    // alerts fit the list's first growth.
    public List<RecordSeen> Records { get; } = new(TypicalRecords);
    public List<AlertSeen> Alerts { get; } = [];
    public List<ControlSeen> Controls { get; } = [];
    public List<MessageSeen> Messages { get; } = new(TypicalMessages);

    /// <summary>Initial capacity of the record list.</summary>
    internal const int TypicalRecords = 16;

    /// <summary>Initial capacity of the message list.</summary>
    internal const int TypicalMessages = 10;

    public List<ReportAnomaly> Anomalies { get; } = [];

    // Per-side facts live inside the observation (two values each, no array allocated per fact and connection).
    private PerSide<int> changeCipherSpecCount;
    private PerSide<long> firstChangeCipherSpecPacket;
    private PerSide<int> applicationDataRecords;
    private PerSide<int> encryptedRecords;
    private PerSide<long> payloadBytes;
    private PerSide<bool> gapSeen;
    private PerSide<long> gapPacket;
    private PerSide<string?> notTlsPreview;
    private PerSide<long> notTlsPacket;
    private PerSide<long> notTlsTime;
    private PerSide<bool> truncatedPayload;
    private PerSide<PcapTls.Tls.Preambles.TlsPreamble?> preamble;
    private PerSide<long> preamblePacket;
    private PerSide<long> preambleTime;
    private PerSide<int> firstByte;

    public HandshakeObservation()
    {
        firstByte[0] = -1;
        firstByte[1] = -1;
    }

    public ref PerSide<int> ChangeCipherSpecCount => ref changeCipherSpecCount;
    public ref PerSide<long> FirstChangeCipherSpecPacket => ref firstChangeCipherSpecPacket;
    public ref PerSide<int> ApplicationDataRecords => ref applicationDataRecords;
    public ref PerSide<int> EncryptedRecords => ref encryptedRecords;
    public ref PerSide<long> PayloadBytes => ref payloadBytes;
    public ref PerSide<bool> GapSeen => ref gapSeen;
    public ref PerSide<long> GapPacket => ref gapPacket;
    public ref PerSide<string?> NotTlsPreview => ref notTlsPreview;

    /// <summary>The plaintext a side sent before its TLS (proxy handshake, upgrade, or unrecognised), and the packet where TLS began.</summary>
    public ref PerSide<PcapTls.Tls.Preambles.TlsPreamble?> Preamble => ref preamble;
    public ref PerSide<long> PreamblePacket => ref preamblePacket;
    public ref PerSide<long> PreambleTime => ref preambleTime;

    /// <summary>The server's refusal of a tunnel or an upgrade (protocol, quoted answer, where), or null.</summary>
    public PreambleRefusal? Refusal { get; set; }
    public ref PerSide<long> NotTlsPacket => ref notTlsPacket;
    public ref PerSide<long> NotTlsTime => ref notTlsTime;
    public ref PerSide<bool> TruncatedPayload => ref truncatedPayload;

    /// <summary>The first payload byte of each side (0x16 = a TLS handshake record), -1 before any payload.</summary>
    public ref PerSide<int> FirstByte => ref firstByte;

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

    /// <summary>TLS 1.3 or one of its drafts (0x7Fxx, Facebook's 0xFBxx): the handshake after the ServerHello is encrypted.</summary>
    public bool IsTls13 => ServerHello is { } sh && TlsHandshakeParser.IsTls13Family(sh.NegotiatedVersion) && !sh.IsHelloRetryRequest;

    /// <summary>TLS &lt;= 1.2 False Start (RFC 7918): the client's first application data record sent before the
    /// server's ChangeCipherSpec (0 when none). Each direction is judged on its own: the server's CCS and Finished
    /// after it still count.</summary>
    public long FalseStartPacket { get; set; }

    /// <summary>TLS 1.3 0-RTT: protected records from the client before any ServerHello.</summary>
    public int EarlyDataRecords { get; set; }

    public long EarlyDataPacket { get; set; }

    public bool HasFatalAlert
    {
        get
        {
            foreach (var a in Alerts)
            {
                if (a.Alert.Level == TlsAlertLevel.Fatal || (a.Alert.Encrypted && a.Alert.Level is null))
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>The judge's "; client FIN #12, ..." text, made at most once per judgement (several causes quote it).</summary>
    internal string? TeardownTextMemo { get; set; }

    /// <summary>Called when a judgement starts: the connection may have seen more packets since the last one.</summary>
    internal void ForgetTeardownText() => TeardownTextMemo = null;

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

/// <summary>One value per side of a connection (index 0 = originator, 1 = responder), stored inline.</summary>
[System.Runtime.CompilerServices.InlineArray(2)]
internal struct PerSide<T>
{
    private T first;
}

/// <summary>A server's refusal of the tunnel or upgrade asked for in a preamble: its answer quoted, and where it came.</summary>
internal sealed record PreambleRefusal(int Side, string Protocol, string Answer, PcapTls.Tls.Preambles.PreambleTarget? Target, long Packet, long TimeNanos)
{
    /// <summary>A proxy handshake (the tunnel was refused) rather than an in-place upgrade.</summary>
    public bool IsProxy => Protocol is "HTTP CONNECT" or "SOCKS5" or "SOCKS4";
}
