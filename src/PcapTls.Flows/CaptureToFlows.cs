using PcapTls.Capture;
using PcapTls.Capture.Encapsulations;

namespace PcapTls.Flows;

/// <summary>
/// The glue between a capture source and the connection table: decodes each frame, feeds TCP segments to the
/// <see cref="TcpFlowTable"/> (IP fragments reassembled first), counts what is not TCP, and reports frames it could
/// not use (truncated, fragments that never made a datagram, malformed, unknown link types and encapsulations) to
/// an anomaly sink, at most <see cref="FlowLimits.MaxAnomaliesPerKind"/> per kind.
/// </summary>
public sealed class CaptureToFlows : IPacketHandler
{
    private readonly TcpFlowTable _table;
    private readonly ICaptureAnomalySink? _anomalies;
    private readonly int _maxPerKind;
    private readonly int[] _anomalyCounts = new int[Enum.GetValues<CaptureAnomalyKind>().Length];
    private readonly HashSet<LinkType> _unsupportedLinkTypes = [];
    private readonly IpFragmentReassembler _fragments = new();
    private readonly UnknownEncapsulations _unknown = new();
    private bool _finished;

    public CaptureToFlows(TcpFlowTable table, ICaptureAnomalySink? anomalies = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        _table = table;
        _anomalies = anomalies;
        _maxPerKind = table.Limits.MaxAnomaliesPerKind;
    }

    public TcpFlowTable Table => _table;

    public long Packets { get; private set; }

    public long TcpSegments { get; private set; }

    public long NotIp { get; private set; }

    public long NotTcp { get; private set; }

    /// <summary>Frames cut by the snapshot length, before or inside the TCP payload.</summary>
    public long TruncatedPackets { get; private set; }

    /// <summary>IP fragments seen (reassembled or not); <see cref="Fragments"/> has what became of them.</summary>
    public long IpFragments { get; private set; }

    public IpFragmentReassembler Fragments => _fragments;

    /// <summary>Frames skipped because a header named a payload type no decoder knows.</summary>
    public long UnknownEncapsulationPackets { get; private set; }

    public long MalformedPackets { get; private set; }

    public long UnsupportedLinkTypePackets { get; private set; }

    /// <summary>The last frame seen (the position <see cref="Finish"/> ends live connections at).</summary>
    public SegmentPosition LastPosition { get; private set; }

    public void OnPacket(in RawPacket packet)
    {
        Packets++;
        LastPosition = new SegmentPosition(packet.Number, packet.TimestampNanos);
        var status = _fragments.Decode(packet, out var segment, out var detail);
        if (_fragments.Expired.Count > 0)
        {
            ReportExpiredFragments();
        }
        if (_fragments.FragmentsSeen != IpFragments)
        {
            IpFragments = _fragments.FragmentsSeen;
        }
        switch (status)
        {
            case DecodeStatus.Tcp:
                TcpSegments++;
                if (segment.IsPayloadTruncated)
                {
                    TruncatedPackets++;
                    if (Admit(packet.Number, CaptureAnomalyKind.TruncatedPacket))
                    {
                        Report(packet.Number, CaptureAnomalyKind.TruncatedPacket,
                        $"frame of {packet.OriginalLength} bytes captured as {packet.Data.Length} (snapshot length): " +
                        $"{segment.PayloadOriginalLength - segment.Payload.Length} of {segment.PayloadOriginalLength} TCP payload bytes missing");
                    }
                }
                _table.OnSegment(segment);
                break;
            case DecodeStatus.NotIp:
                NotIp++;
                break;
            case DecodeStatus.NotTcp:
                NotTcp++;
                break;
            case DecodeStatus.Truncated:
                TruncatedPackets++;
                if (Admit(packet.Number, CaptureAnomalyKind.TruncatedPacket))
                {
                    Report(packet.Number, CaptureAnomalyKind.TruncatedPacket,
                    $"frame of {packet.OriginalLength} bytes captured as {packet.Data.Length} (snapshot length): too short to reach the TCP payload");
                }
                break;
            case DecodeStatus.IpFragment:
                if (_fragments.LastStatus == FragmentStatus.Dropped && Admit(packet.Number, CaptureAnomalyKind.IpFragment))
                {
                    Report(packet.Number, CaptureAnomalyKind.IpFragment, $"IP fragment dropped: {_fragments.LastDropDetail}");
                }
                break;
            case DecodeStatus.UnknownEncapsulation:
                UnknownEncapsulationPackets++;
                _unknown.Count(detail, packet.Number);
                break;
            case DecodeStatus.Malformed:
                MalformedPackets++;
                if (Admit(packet.Number, CaptureAnomalyKind.MalformedPacket))
                {
                    Report(packet.Number, CaptureAnomalyKind.MalformedPacket, "link, IP or TCP header lengths contradict each other; frame skipped");
                }
                break;
            case DecodeStatus.UnsupportedLinkType:
                UnsupportedLinkTypePackets++;
                if (_unsupportedLinkTypes.Add(packet.LinkType) && Admit(packet.Number, CaptureAnomalyKind.UnsupportedLinkType))
                {
                    Report(packet.Number, CaptureAnomalyKind.UnsupportedLinkType,
                        $"link type {(uint)packet.LinkType} is not supported; frames of this link type are skipped");
                }
                break;
        }
    }

    /// <summary>End of capture: fragments still waiting are reported, unknown encapsulations are reported once per
    /// type with their packet count, and every live connection ends.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }
        _finished = true;
        _fragments.Finish();
        ReportExpiredFragments();
        foreach (var u in _unknown.Entries)
        {
            if (Admit(u.FirstPacket, CaptureAnomalyKind.UnknownEncapsulation))
            {
                Report(u.FirstPacket, CaptureAnomalyKind.UnknownEncapsulation, u.Describe());
            }
        }
        _table.Finish(LastPosition);
    }

    private void ReportExpiredFragments()
    {
        foreach (var (first, _, text) in _fragments.Expired)
        {
            if (Admit(first, CaptureAnomalyKind.IpFragment))
            {
                Report(first, CaptureAnomalyKind.IpFragment, $"IP fragments dropped: {text}");
            }
        }
        _fragments.Expired.Clear();
    }

    /// <summary>Counts the anomaly and says whether it is still within the per-kind limit (so the detail
    /// string is only built when it will be reported).</summary>
    private bool Admit(long packet, CaptureAnomalyKind kind)
    {
        var n = ++_anomalyCounts[(int)kind];
        if (n == _maxPerKind + 1)
        {
            _anomalies?.Report(new CaptureAnomaly(packet, CaptureAnomalyKind.AnomaliesSuppressed,
                $"more than {_maxPerKind} anomalies of kind {kind}: further ones are only counted"));
        }
        return n <= _maxPerKind && _anomalies is not null;
    }

    private void Report(long packet, CaptureAnomalyKind kind, string detail) => _anomalies?.Report(new CaptureAnomaly(packet, kind, detail));
}
