using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>What a handshake came to (the JSON names are the kebab-case forms).</summary>
public enum HandshakeOutcome
{
    Completed,
    Failed,
    Incomplete,
    NotTls,

    /// <summary>A proxy refused the tunnel, or the server the upgrade, before any TLS.</summary>
    Refused,
}

/// <summary>Which end of a connection did something.</summary>
public enum Peer
{
    Client,
    Server,
}

/// <summary>The whole result of analyzing one capture: immutable, rendered by the reporting layer.</summary>
public sealed record AnalysisReport(
    CaptureSummary Capture,
    TrustContext Trust,
    IReadOnlyList<HandshakeReport> Handshakes,
    IReadOnlyList<ReportAnomaly> Anomalies,
    IReadOnlyList<string> Notes)
{
    /// <summary>`analyze --probe`: what the servers whose chain the capture did not show sent when probed.</summary>
    public IReadOnlyList<ProbeFinding> Probes { get; init; } = [];

    /// <summary>The files when the capture is several (merged in time order); empty for one file or a pipe.</summary>
    public IReadOnlyList<CaptureFileSummary> Files { get; init; } = [];

    /// <summary>How packets are named when the capture is several files ("ring.pcap3#12"); null: "#12".</summary>
    public PcapTls.Capture.Inputs.IPacketNames? PacketNames { get; init; }

    /// <summary>"#12", or "file#12" when the capture is several files.</summary>
    public string PacketText(long packet) => PacketNames is { } names ? names.Name(packet) : "#" + packet.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One file of a capture given as several: what it held and what its handshakes came to (a handshake
/// belongs to the file its first packet is in).</summary>
/// <param name="Name">As packets are named ("ring.pcap3", or "mp01/capture.pcap" when two files share a name).</param>
/// <param name="SharesConnections">Whether a handshake of this file continues in another file (a rotated set); files
/// from different hosts share none and are best read side by side.</param>
public sealed record CaptureFileSummary(
    string Name,
    string Path,
    string Format,
    long Packets,
    DateTimeOffset? FirstPacketTime,
    DateTimeOffset? LastPacketTime,
    int Handshakes,
    int Failed,
    IReadOnlyList<string> Causes,
    bool SharesConnections);

/// <summary>The chain a server sent to an active probe (read on a connection that hangs up before its Finished), and its verdict.</summary>
/// <param name="Server">"ip:port" as in the handshakes.</param>
/// <param name="Outcome">trusted, not-trusted, no-chain or unreachable.</param>
public sealed record ProbeFinding(
    string Server,
    string? Sni,
    string Outcome,
    string? Version,
    IReadOnlyList<CertificateSummary> Chain,
    string? ClientMessage,
    IReadOnlyList<Cause> Causes,
    IReadOnlyList<string> Notes);

/// <param name="File">The path as given.</param>
/// <param name="FirstPacketTime">Null for an empty capture.</param>
/// <param name="SnapLength">The capture's snapshot length when the format records one.</param>
public sealed record CaptureSummary(
    string File,
    string Format,
    long Packets,
    long Bytes,
    IReadOnlyList<string> LinkTypes,
    DateTimeOffset? FirstPacketTime,
    DateTimeOffset? LastPacketTime,
    int? SnapLength,
    long TruncatedPackets,
    long TcpConnections);

/// <summary>Which truststore validated the chains, and what the client profile and time source were.</summary>
public sealed record TrustContext(
    string TrustStoreDescription,
    bool IsSystemRoots,
    int Entries,
    IReadOnlyList<string> Warnings,
    ClientProfile Profile,
    DateTimeOffset? FixedValidationTime,
    string? TargetEndpointNote);

public sealed record ReportAnomaly(long Packet, string Kind, string Detail);

/// <summary>One certificate as the report shows it.</summary>
public sealed record CertificateSummary(
    string Subject,
    string Issuer,
    string Serial,
    string Sha256,
    DateTimeOffset? NotBefore,
    DateTimeOffset? NotAfter,
    IReadOnlyList<string> DnsNames,
    string? ParseError)
{
    public static CertificateSummary From(CertificateInfo c) => c.IsParsed
        ? new(c.Subject, c.Issuer, c.SerialHex, c.Sha256Hex, c.NotBefore, c.NotAfter, c.DnsNames, null)
        : new("(unparsable)", "", "", c.Sha256Hex, null, null, [], c.ParseError);
}

public sealed record AlertEvent(Peer From, string Level, string Description, int? Code, long Packet, DateTimeOffset Time, bool Encrypted);

public sealed record TeardownEvent(Peer From, string Kind, long Packet, DateTimeOffset Time);

public sealed record Cause(CauseCode Code, string Summary, string Evidence, string Fix);

/// <summary>One rung of the packet ladder (as the vendor guide draws it: ClientHello, ServerHello+Certificate, alert, FIN, RST).</summary>
public sealed record LadderStep(long Packet, DateTimeOffset Time, Peer From, string What);

/// <summary>Everything known about one TLS handshake (one TCP connection).</summary>
public sealed record HandshakeReport(
    string Client,
    string Server,
    long StartPacket,
    DateTimeOffset StartTime,
    string? Sni,
    string? Version,
    string? Cipher,
    HandshakeOutcome Outcome,
    string OutcomeDetail,
    IReadOnlyList<CertificateSummary> ServerCertificates,
    IReadOnlyList<CertificateSummary> ClientCertificates,
    bool CertificateRequested,
    bool CertificateEncrypted,
    bool ServerCertificateMessage,
    bool ClientCertificateMessage,
    IReadOnlyList<AlertEvent> Alerts,
    IReadOnlyList<TeardownEvent> Teardown,
    IReadOnlyList<Cause> Causes,
    IReadOnlyList<LadderStep> Ladder,
    string? HostChecked,
    string? HostSource,
    DateTimeOffset? ValidatedAt,
    string? KeyLog,
    ChainVerdict? Verdict,
    IReadOnlyList<byte[]> ServerChainDer,
    long LastPacket)
{
    /// <summary>The headers the handshake's connection was found under (<c>ethernet/vlan 10/ipv4/vxlan 42/ethernet/ipv4</c>).</summary>
    public string Path { get; init; } = "";

    public bool IsFailure => Outcome is HandshakeOutcome.Failed or HandshakeOutcome.NotTls or HandshakeOutcome.Refused
        || (Outcome == HandshakeOutcome.Incomplete && Causes.Count > 0);
}

public static class OutcomeNames
{
    public static string ToCode(this HandshakeOutcome o) => o switch
    {
        HandshakeOutcome.Completed => "completed",
        HandshakeOutcome.Failed => "failed",
        HandshakeOutcome.Incomplete => "incomplete",
        HandshakeOutcome.NotTls => "not-tls",
        HandshakeOutcome.Refused => "refused",
        _ => o.ToString(),
    };

    public static string ToCode(this Peer p) => p == Peer.Client ? "client" : "server";
}
