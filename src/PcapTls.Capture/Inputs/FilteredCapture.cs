namespace PcapTls.Capture.Inputs;

/// <summary>Decides, before any decoding, whether a frame goes on to the analysis (a BPF program, as tcpdump and
/// tshark apply one to a file).</summary>
public interface IPacketFilter
{
    /// <summary>What the filter is, as the report's note names it ("BPF filter 'tcp port 443'").</summary>
    string Description { get; }

    bool Keep(in RawPacket packet);
}

/// <summary>
/// A capture whose frames pass a <see cref="IPacketFilter"/> before the analysis sees them. Frames keep their own
/// numbers (the file's, or file#packet for several files), so a report on the filtered capture still points at
/// the packets Wireshark shows for the whole file.
/// </summary>
public sealed class FilteredCapture(ICaptureInput inner, IPacketFilter filter) : ICaptureInput
{
    private long _seen;
    private long _kept;

    public ICaptureInput Inner => inner;

    public IPacketFilter Filter => filter;

    /// <summary>Frames read and frames kept by the last <see cref="Read"/>.</summary>
    public long Seen => Volatile.Read(ref _seen);

    public long Kept => Volatile.Read(ref _kept);

    public string Path => inner.Path;

    public string FormatName => inner.FormatName;

    public bool CanReadAgain => inner.CanReadAgain;

    public long TotalBytes => inner.TotalBytes;

    public long BytesRead => inner.BytesRead;

    public int? SnapLength => inner.SnapLength;

    public IReadOnlyList<(string Source, string Text)> EmbeddedKeyLogs => inner.EmbeddedKeyLogs;

    public IPacketNames? PacketNames => inner.PacketNames;

    public void Read(IPacketHandler handler, ICaptureAnomalySink? anomalies = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _seen = 0;
        _kept = 0;
        inner.Read(new Gate(this, handler), anomalies, ct);
    }

    private sealed class Gate(FilteredCapture owner, IPacketHandler next) : IPacketHandler
    {
        public void OnPacket(in RawPacket packet)
        {
            Volatile.Write(ref owner._seen, owner._seen + 1);
            if (owner.Filter.Keep(packet))
            {
                Volatile.Write(ref owner._kept, owner._kept + 1);
                next.OnPacket(packet);
            }
        }
    }
}
