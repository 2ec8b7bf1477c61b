using PcapTls.Capture;
using PcapTls.Flows;
using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>
/// The one path from frames to handshake reports: decode each frame, feed TCP flows, decode TLS per connection,
/// judge each handshake when its connection ends. A capture file and a live interface both feed this.
/// </summary>
public sealed class HandshakePipeline : IPacketHandler, ITcpStreamConsumerFactory, ICaptureAnomalySink, IFlowAnomalySink
{
    /// <summary>Anomalies kept for the report; the rest are only counted.</summary>
    public const int MaxAnomaliesKept = 2000;

    private readonly JudgeContext context;
    private readonly CaptureFacts facts;
    /// <summary>False for a worker of a <see cref="PartitionedAnalysis"/>: the reader's thread keeps the shared
    /// facts, so a worker reads them without writing.</summary>
    private readonly bool keepsFacts;
    private readonly TcpFlowTable flows;
    private readonly HandshakeStore handshakes;
    private long handshakesKept;
    private readonly List<ReportAnomaly> anomalies = [];
    private readonly HashSet<string> linkTypes = [];
    private long lastPacket;
    private long lastTime;
    private long firstTime = long.MinValue;
    /// <summary>The capture's clock: the latest packet time or <see cref="AdvanceClock"/> time.</summary>
    private long clock = long.MinValue;
    private bool finished;
    private readonly AwaitingSecrets? awaiting;
    private readonly PcapTls.Capture.Encapsulations.UnknownEncapsulations unknownEncapsulations = new();
    private readonly PcapTls.Capture.Encapsulations.IpFragmentReassembler fragments = new();

    public HandshakePipeline(AnalysisOptions options, int? snapLength = null)
        : this(options, NewContext(options, snapLength), new HandshakeStore(options.HandshakesInMemory), keepsFacts: true)
    {
    }

    /// <summary>A pipeline judging with a context shared by others (the workers of one partitioned analysis share
    /// the validation cache, the parsed certificates and the report texts).</summary>
    internal HandshakePipeline(AnalysisOptions options, JudgeContext context, HandshakeStore store, bool keepsFacts)
    {
        handshakes = store;
        Options = options;
        this.context = context;
        facts = context.Facts;
        this.keepsFacts = keepsFacts;
        flows = new TcpFlowTable(this, options.FlowLimits, this);
        if (options.Decryptors is IGrowingKeyLog growing)
        {
            awaiting = new AwaitingSecrets(growing, options.SecretsWait);
        }
    }

    internal static JudgeContext NewContext(AnalysisOptions options, int? snapLength)
    {
        var trust = options.TrustStore ?? TrustStore.SystemRoots();
        return new JudgeContext(trust, options.TrustStore is null, options, options.Cache ?? new ValidationCache(), snapLength, new CaptureFacts());
    }

    public AnalysisOptions Options { get; }

    public TrustStore TrustStore => context.TrustStore;

    /// <summary>Raised as soon as a handshake's connection ends (or the capture does): live output hangs off this.</summary>
    public event Action<HandshakeReport>? HandshakeReported;

    public long Packets { get; private set; }

    public long Bytes { get; private set; }

    public long TruncatedPackets { get; private set; }

    public long NonTcpPackets { get; private set; }

    public long AnomalyCount { get; private set; }

    public long TcpConnections { get; private set; }


    /// <summary>Reports kept for <see cref="BuildReport"/>; later ones are still raised by
    /// <see cref="HandshakeReported"/> but only counted (a live capture running for days must not keep them all).</summary>
    public int MaxHandshakesKept { get; set; } = int.MaxValue;

    /// <summary>Handshakes reported beyond <see cref="MaxHandshakesKept"/>.</summary>
    public long HandshakesNotKept { get; private set; }

    public IReadOnlyCollection<string> LinkTypes => linkTypes;

    public DateTimeOffset? FirstPacketTime => firstTime == long.MinValue ? null : HandshakeJudge.FromNanos(firstTime);

    public DateTimeOffset? LastPacketTime => lastPacket == 0 ? null : HandshakeJudge.FromNanos(lastTime);

    public FlowStatistics FlowStatistics => flows.Statistics;

    /// <summary>With a growing key log: TLS 1.3 connections that waited for secrets after they ended, how many got
    /// them, how many were judged without, how many are waiting now, and how many could not wait (a byte bound).</summary>
    public (long Held, long Arrived, long Expired, int Waiting, long NotRecorded) SecretsWaits =>
        awaiting is null ? default : (awaiting.Held, awaiting.Arrived, awaiting.Expired, awaiting.Count, awaiting.Budget.Abandoned);

    public void OnPacket(in RawPacket packet)
    {
        Packets++;
        Bytes += packet.Data.Length;
        lastPacket = packet.Number;
        lastTime = packet.TimestampNanos;
        clock = Math.Max(clock, packet.TimestampNanos);
        if (firstTime == long.MinValue)
        {
            firstTime = packet.TimestampNanos;
        }
        if (packet.IsTruncated)
        {
            TruncatedPackets++;
            if (keepsFacts)
            {
                CountTruncated(facts, packet.Data.Length);
            }
        }
        if (linkTypes.Count < 16)
        {
            linkTypes.Add(LinkTypeName(packet.LinkType));
        }
        var status = fragments.Decode(packet, out var segment, out var detail);
        if (fragments.Expired.Count > 0)
        {
            AddExpiredFragments();
        }
        switch (status)
        {
            case DecodeStatus.UnknownEncapsulation:
                NonTcpPackets++;
                unknownEncapsulations.Count(detail, packet.Number);
                break;
            case DecodeStatus.Tcp:
                flows.OnSegment(segment);
                break;
            case DecodeStatus.IpFragment:
                if (fragments.LastStatus == PcapTls.Capture.Encapsulations.FragmentStatus.Dropped)
                {
                    Add(new ReportAnomaly(packet.Number, "ip-fragment", $"IP fragment dropped: {fragments.LastDropDetail}"));
                }
                break;
            case DecodeStatus.Truncated:
                Add(new ReportAnomaly(packet.Number, "truncated-packet", $"the frame was cut at {packet.Data.Length} of {packet.OriginalLength} bytes before the TCP header"));
                break;
            case DecodeStatus.Malformed:
                Add(new ReportAnomaly(packet.Number, "malformed-packet", "the IP or TCP header is malformed"));
                break;
            case DecodeStatus.UnsupportedLinkType:
                Add(new ReportAnomaly(packet.Number, "unsupported-link-type", $"link type {(uint)packet.LinkType} is not decoded"));
                break;
            default:
                NonTcpPackets++;
                break;
        }
        awaiting?.Poll(clock, final: false, Replay, Conclude);
    }

    private void AddExpiredFragments()
    {
        foreach (var (first, _, text) in fragments.Expired)
        {
            Add(new ReportAnomaly(first, "ip-fragment", $"IP fragments dropped: {text}"));
        }
        fragments.Expired.Clear();
    }

    internal static void CountTruncated(CaptureFacts facts, int capturedLength)
    {
        facts.TruncatedPackets++;
        facts.ObservedSnapLength = Math.Max(facts.ObservedSnapLength, capturedLength);
    }

    /// <summary>Live capture: no packet for a while, so let time pass (nanoseconds since the Unix epoch, the
    /// packets' clock). Connections closed longer than the grace period, or idle longer than the timeout, end
    /// now and are reported, instead of waiting for the next packet.</summary>
    public void AdvanceClock(long nowNanos)
    {
        if (!finished)
        {
            clock = Math.Max(clock, nowNanos);
            flows.AdvanceClock(nowNanos, lastPacket);
            awaiting?.Poll(clock, final: false, Replay, Conclude);
        }
    }

    /// <summary>Ends every open connection (end of file or end of live capture) and judges them.</summary>
    public void Finish()
    {
        if (finished)
        {
            return;
        }
        finished = true;
        fragments.Finish();
        AddExpiredFragments();
        flows.Finish(new SegmentPosition(lastPacket, lastTime));
        awaiting?.Poll(clock, final: true, Replay, Conclude);
        foreach (var u in unknownEncapsulations.Entries)
        {
            Add(new ReportAnomaly(u.FirstPacket, "unknown-encapsulation", u.Describe()));
        }
    }

    public AnalysisReport BuildReport(string file, string format, int? snapLength)
        => BuildReport([this], [], 0, file, format, snapLength);

    /// <summary>One report from the pipelines that shared a capture (one, or the workers of a partitioned analysis,
    /// each holding whole connections) and the anomalies of the file itself. Handshakes come in the order of their
    /// first packet, anomalies in packet order: the same report whichever pipeline saw which connection.</summary>
    internal static AnalysisReport BuildReport(IReadOnlyList<HandshakePipeline> parts, IReadOnlyList<ReportAnomaly> fileAnomalies,
        long fileAnomalyCount, string file, string format, int? snapLength)
    {
        var first = parts[0];
        var handshakes = first.handshakes;
        var anomalies = new List<ReportAnomaly>(fileAnomalies);
        long anomalyCount = fileAnomalyCount, notKept = 0, packets = 0, bytes = 0, truncated = 0, connections = 0;
        long firstTime = long.MaxValue, lastTime = long.MinValue;
        var linkTypes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var p in parts)
        {
            p.Finish();
            if (p.handshakes != handshakes)
            {
                throw new ArgumentException("the pipelines of one report share one handshake store", nameof(parts));
            }
            anomalies.AddRange(p.anomalies);
            anomalyCount += p.AnomalyCount;
            notKept += p.HandshakesNotKept;
            packets += p.Packets;
            bytes += p.Bytes;
            truncated += p.TruncatedPackets;
            connections += p.TcpConnections;
            linkTypes.UnionWith(p.linkTypes);
            if (p.Packets > 0)
            {
                firstTime = Math.Min(firstTime, p.firstTime);
                lastTime = Math.Max(lastTime, p.lastTime);
            }
        }
        handshakes.Seal(HandshakeOrder);
        // Stable: anomalies of one packet keep the order they were found in.
        var ordered = anomalies.OrderBy(a => a.Packet).Take(MaxAnomaliesKept).ToList();
        return first.Report(file, format, snapLength, handshakes, notKept, ordered, anomalyCount, packets, bytes, truncated, connections,
            linkTypes.ToList(), packets == 0 ? null : HandshakeJudge.FromNanos(firstTime), packets == 0 ? null : HandshakeJudge.FromNanos(lastTime));
    }

    /// <summary>By first packet; two connections starting in one packet (hostile or odd captures) by their last
    /// packet and then their client, so the order never depends on which worker finished first.</summary>
    private static int HandshakeOrder(HandshakeReport a, HandshakeReport b)
    {
        var c = a.StartPacket.CompareTo(b.StartPacket);
        if (c == 0)
        {
            c = a.LastPacket.CompareTo(b.LastPacket);
        }
        if (c == 0)
        {
            c = string.CompareOrdinal(a.Client, b.Client);
        }
        return c == 0 ? string.CompareOrdinal(a.Server, b.Server) : c;
    }

    private AnalysisReport Report(string file, string format, int? snapLength, HandshakeStore handshakes, long handshakesNotKept,
        List<ReportAnomaly> anomalies, long anomalyCount, long packets, long bytes, long truncatedPackets, long tcpConnections,
        List<string> linkTypes, DateTimeOffset? firstPacketTime, DateTimeOffset? lastPacketTime)
    {
        var notes = new List<string>
        {
            "Revocation (CRL/OCSP) is not checked and missing intermediates are not fetched (no AIA), as a Java client with default settings does.",
        };
        if (context.TrustStoreIsSystemRoots)
        {
            notes.Add($"No --truststore given: chains were validated against the system roots ({context.TrustStore.Source}), not the client's own truststore.");
        }
        if (Options.At is null)
        {
            notes.Add("Chains were validated at the capture's own time (the time of the packet carrying each Certificate).");
        }
        if (handshakesNotKept > 0)
        {
            notes.Add($"{handshakes.Count + handshakesNotKept} handshakes in all; only the first {handshakes.Count} are listed (MaxHandshakesKept).");
        }
        if (anomalyCount > anomalies.Count)
        {
            notes.Add($"{anomalyCount} anomalies in all; the first {anomalies.Count} are listed.");
        }
        var trust = new TrustContext(
            context.TrustStore.Source,
            context.TrustStoreIsSystemRoots,
            context.TrustStore.Entries.Count,
            context.TrustStore.Warnings,
            Options.Profile,
            Options.At,
            Options.TargetEndpoint?.Describe());
        var summary = new CaptureSummary(file, format, packets, bytes, linkTypes,
            firstPacketTime, lastPacketTime, snapLength, truncatedPackets, tcpConnections);
        return new AnalysisReport(summary, trust, handshakes, anomalies, notes);
    }

    ITcpStreamConsumer ITcpStreamConsumerFactory.Create(TcpConnectionInfo connection)
    {
        if (!connection.Continues)
        {
            TcpConnections++;
        }
        return new HandshakeTracker(connection, Options.TlsLimits, Options.Decryptors, OnConnectionEnd, awaiting?.NewRecording(connection));
    }

    /// <summary>A waiting connection decoded again from its recording, now that the key log holds more of its secrets.</summary>
    private HandshakeObservation Replay(ConnectionRecording recording)
    {
        HandshakeObservation? seen = null;
        var tracker = new HandshakeTracker(recording.Connection, Options.TlsLimits, Options.Decryptors, (o, _) => seen = o);
        recording.Replay(tracker);
        return seen ?? tracker.Observation;
    }

    void ICaptureAnomalySink.Report(in CaptureAnomaly anomaly)
        => Add(new ReportAnomaly(anomaly.PacketNumber, AnomalyKinds.Name(anomaly.Kind), anomaly.Detail));

    void IFlowAnomalySink.Report(in FlowAnomaly anomaly)
        => Add(new ReportAnomaly(anomaly.PacketNumber, AnomalyKinds.Name(anomaly.Kind), anomaly.Detail));

    private void OnConnectionEnd(HandshakeObservation observation, ConnectionRecording? recording)
    {
        if (awaiting is not null && awaiting.TryHold(observation, recording, Math.Max(clock, observation.LastTime)))
        {
            return;
        }
        Conclude(observation);
    }

    private void Conclude(HandshakeObservation observation)
    {
        foreach (var a in observation.Anomalies)
        {
            Add(a);
        }
        // A connection continuing after its eviction is not a capture that began late (resumed-after-eviction says so).
        if (!observation.Connection.Continues && HandshakeJudge.IsMidstreamTls(observation))
        {
            Add(new ReportAnomaly(observation.FirstPacket, "midstream-tls",
                $"TLS records between {observation.Connection.Originator} and {observation.Connection.Responder}, but the capture began after their handshake"));
        }
        var report = HandshakeJudge.Judge(observation, context);
        if (report is null)
        {
            return;
        }
        ReportUnparsable(report.ServerCertificates, observation.ServerCertificatePacket, "server");
        ReportUnparsable(report.ClientCertificates, observation.ClientCertificatePacket, "client");
        if (report.Outcome is not (HandshakeOutcome.NotTls or HandshakeOutcome.Refused))
        {
            ReportNotTls(observation);
        }
        if (handshakesKept < MaxHandshakesKept)
        {
            handshakesKept++;
            handshakes.Add(report);
        }
        else
        {
            HandshakesNotKept++;
        }
        HandshakeReported?.Invoke(report);
    }

    /// <summary>A certificate BouncyCastle cannot parse is an anomaly of its own (its bytes stay in the report
    /// and in --export-certs): a chain with a broken entry is evidence, not an error.</summary>
    private void ReportUnparsable(IReadOnlyList<CertificateSummary> certificates, long packet, string peer)
    {
        for (var i = 0; i < certificates.Count; i++)
        {
            if (certificates[i].ParseError is { } error)
            {
                Add(new ReportAnomaly(packet, "certificate-unparsable",
                    $"{peer} certificate [{i}] (sha256 {certificates[i].Sha256}) does not parse: {error}"));
            }
        }
    }

    /// <summary>Bytes that are not TLS on a side of a handshake the judge still reads as TLS (so its outcome
    /// does not already say "not TLS"): the anomaly says what those bytes were.</summary>
    private void ReportNotTls(HandshakeObservation o)
    {
        for (var side = 0; side < 2; side++)
        {
            if (o.NotTlsPacket[side] != 0)
            {
                Add(new ReportAnomaly(o.NotTlsPacket[side], "not-tls",
                    $"the {o.PeerOf(side).ToCode()}'s bytes are not TLS: {o.NotTlsPreview[side]}"));
            }
        }
    }

    private void Add(ReportAnomaly anomaly)
    {
        AnomalyCount++;
        if (anomalies.Count < MaxAnomaliesKept)
        {
            anomalies.Add(anomaly);
        }
    }

    internal static string LinkTypeName(LinkType t) => t switch
    {
        LinkType.Ethernet => "ethernet",
        LinkType.LinuxSll => "linux_sll",
        LinkType.LinuxSll2 => "linux_sll2",
        LinkType.Raw or LinkType.Ipv4 or LinkType.Ipv6 => "raw_ip",
        LinkType.Null => "null",
        LinkType.Loop => "loop",
        _ => ((uint)t).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
