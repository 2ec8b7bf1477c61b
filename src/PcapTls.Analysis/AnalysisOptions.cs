using PcapTls.Flows;
using PcapTls.Tls;
using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>What the analysis needs besides the packets: how to judge the chains it finds.</summary>
public sealed record AnalysisOptions
{
    /// <summary>The client's truststore; null means the system roots (the report says so).</summary>
    public TrustStore? TrustStore { get; init; }

    /// <summary>The host the client meant to reach; null means the target endpoint's URL host, else the SNI.</summary>
    public string? Host { get; init; }

    /// <summary>Validation time; null means the capture's own time (the packet carrying the Certificate).</summary>
    public DateTimeOffset? At { get; init; }

    public ClientProfile Profile { get; init; } = ClientProfile.Java;

    /// <summary>OpenSSL profile: accept a trusted intermediate as the anchor, as curl does (X509_V_FLAG_PARTIAL_CHAIN).</summary>
    public bool AllowPartialChain { get; init; }

    public IHandshakeDecryptorFactory? Decryptors { get; init; }

    /// <summary>The key log files behind <see cref="Decryptors"/>: merged with the key logs a pcapng carries in
    /// Decryption Secrets Blocks, when it carries any.</summary>
    public IReadOnlyList<string> KeyLogFiles { get; init; } = [];

    /// <summary>Key logs found with the captures (next to a capture file, inside an archive), already read:
    /// in <see cref="Decryptors"/> too, and merged the same way with a pcapng's own.</summary>
    public IReadOnlyList<(string Name, string Text)> FoundKeyLogs { get; init; } = [];

    /// <summary>Java profile: the security properties the checks apply (JDK 17 defaults, or an override file's).</summary>
    public JavaSecurity JavaSecurity { get; init; } = JavaSecurity.Jdk17;

    /// <summary>Java profile: the JDK 17 update whose messages and alerts are predicted.</summary>
    public JavaRelease Java { get; init; } = JavaRelease.Default;

    /// <summary>With a growing key log (<see cref="IGrowingKeyLog"/>, live): how long and how much a TLS 1.3
    /// connection is held for secrets that arrive after it ended.</summary>
    public SecretsWaitLimits SecretsWait { get; init; } = SecretsWaitLimits.Default;

    public TargetEndpoint? TargetEndpoint { get; init; }

    public TlsLimits TlsLimits { get; init; } = TlsLimits.Default;

    public FlowLimits FlowLimits { get; init; } = FlowLimits.Default;

    /// <summary>Pipelines analyzing a capture file side by side (connections partitioned by hash); null picks:
    /// <see cref="CaptureAnalyzer.DefaultWorkers"/> for a file of <see cref="CaptureAnalyzer.PartitionFromBytes"/> or
    /// more that opens many connections (<see cref="CaptureAnalyzer.PartitionFromConnectionsPerMegabyte"/>) on a
    /// multi-core machine, else one.</summary>
    public int? Workers { get; init; }

    /// <summary>Handshake reports kept in memory; beyond it they go to a temporary file until the report is rendered
    /// (see <see cref="HandshakeStore"/>): memory does not grow with the number of handshakes.</summary>
    public int HandshakesInMemory { get; init; } = 10_000;

    /// <summary>How the texts name a packet when the capture is several files ("ring.pcap3#12"); null: "#12".</summary>
    public PcapTls.Capture.Inputs.IPacketNames? PacketNames { get; init; }

    /// <summary>Shared across runs (live, bench): a chain seen many times is validated once.</summary>
    public ValidationCache? Cache { get; init; }
}
