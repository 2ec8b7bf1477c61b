using PcapTls.Flows;
using PcapTls.Tls;
using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>
/// What the TLS and TCP layers saw of one connection, gathered once when it is judged: the rules read these facts
/// and never change them (nor the observation they were read from).
/// </summary>
/// <param name="Observation">The connection's observation, read only.</param>
/// <param name="ServerCertificates">The server's certificates as sent (each parsed once per analysis).</param>
/// <param name="ClientCertificates">The client's certificates as sent.</param>
/// <param name="TruncatedOriginator">The snapshot length cut the originator's payload (or a gap is the snapshot length).</param>
/// <param name="TruncatedResponder">The same for the responder.</param>
/// <param name="SnapLength">The snapshot length of the capture, when known (header or longest cut frame).</param>
/// <param name="TrustStoreIsSystemRoots">No truststore was given: a verdict is then a guess about the client's.</param>
internal sealed record HandshakeFacts(
    HandshakeObservation Observation,
    SeenCertificates.Seen[] ServerCertificates,
    SeenCertificates.Seen[] ClientCertificates,
    bool TruncatedOriginator,
    bool TruncatedResponder,
    int? SnapLength,
    bool TrustStoreIsSystemRoots)
{
    /// <summary>The first byte of a TLS handshake record (content type 22).</summary>
    internal const int TlsHandshakeRecordType = 22;

    public int Client => Observation.ClientSide;

    public int Server => Observation.ServerSide;

    public AlertSeen? ClientFatal { get; } = FirstFatal(Observation, Observation.ClientSide);

    public AlertSeen? ServerFatal { get; } = FirstFatal(Observation, Observation.ServerSide);

    public ControlSeen? ClientTeardown { get; } = FirstTeardown(Observation, Observation.ClientSide);

    public ControlSeen? ServerTeardown { get; } = FirstTeardown(Observation, Observation.ServerSide);

    /// <summary>The capture (or the flow table's eviction) ended the connection, not its peers.</summary>
    public bool EndedByCapture => Observation.EndReason is FlowEndReason.CaptureEnded or FlowEndReason.Evicted;

    /// <summary>Any TLS at all: a hello, a record, or a stream that starts with a handshake record.</summary>
    public bool SawTls => Observation.ClientHello is not null || Observation.ServerHello is not null || Observation.Records.Count > 0
        || Observation.FirstByte[0] == TlsHandshakeRecordType || Observation.FirstByte[1] == TlsHandshakeRecordType;

    /// <summary>The side that spoke plaintext (the originator first), or -1.</summary>
    public int PlaintextSide => Observation.NotTlsPreview[0] is not null ? 0 : Observation.NotTlsPreview[1] is not null ? 1 : -1;

    public bool Truncated(int side) => side == 0 ? TruncatedOriginator : TruncatedResponder;

    public bool AnyTruncated => TruncatedOriginator || TruncatedResponder;

    public bool AnyGap => Observation.GapSeen[0] || Observation.GapSeen[1];

    /// <summary>The snapshot length to quote when the capture cut this connection's packets.</summary>
    public int? CutAt => AnyTruncated ? SnapLength : null;

    /// <summary>Whether a message of this type was seen, from <paramref name="side"/> (-1: from either side).</summary>
    public bool HasMessage(int side, TlsHandshakeType type)
    {
        foreach (var m in Observation.Messages)
        {
            if (m.Type == type && (side < 0 || m.Side == side))
            {
                return true;
            }
        }
        return false;
    }

    public long FirstCcsPacket(int side) => Observation.ChangeCipherSpecCount[side] > 0 ? Observation.FirstChangeCipherSpecPacket[side] : long.MaxValue;

    /// <summary>The facts of one observation. With a small snapshot length every data packet is cut: a gap on a side
    /// is then the snapshot length, not packet loss.</summary>
    public static HandshakeFacts Of(HandshakeObservation o, SeenCertificates.Seen[] server, SeenCertificates.Seen[] client,
        long truncatedPackets, int? snapLength, bool trustStoreIsSystemRoots)
    {
        var gapsAreSnapLength = truncatedPackets > 0;
        return new HandshakeFacts(o, server, client,
            o.TruncatedPayload[0] || (gapsAreSnapLength && o.GapSeen[0]),
            o.TruncatedPayload[1] || (gapsAreSnapLength && o.GapSeen[1]),
            snapLength, trustStoreIsSystemRoots);
    }

    private static AlertSeen? FirstFatal(HandshakeObservation o, int side)
    {
        foreach (var a in o.Alerts)
        {
            if (a.Side == side && (a.Alert.Level == TlsAlertLevel.Fatal || (a.Alert.Level is null && a.Alert.Encrypted)))
            {
                return a;
            }
        }
        return null;
    }

    private static ControlSeen? FirstTeardown(HandshakeObservation o, int side)
    {
        foreach (var x in o.Controls)
        {
            if (x.Side == side && x.Kind is TcpControlKind.Fin or TcpControlKind.Rst)
            {
                return x;
            }
        }
        return null;
    }
}
