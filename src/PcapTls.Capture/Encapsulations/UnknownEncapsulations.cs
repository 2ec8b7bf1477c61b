using System.Globalization;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// Counts the frames skipped because a header named a payload type no decoder knows, per table and value, so the
/// report says each one once with its packet count (never a silent drop). At most <see cref="MaxDistinct"/>
/// distinct values are kept; the rest are counted together.
/// </summary>
public sealed class UnknownEncapsulations
{
    /// <summary>Distinct unknown values reported one by one.</summary>
    public const int MaxDistinct = 64;

    private readonly Dictionary<(DispatchTable Table, uint Value), Entry> _entries = [];
    private long _overflow;
    private long _overflowFirst;

    public void Count(in DecodeDetail detail, long packetNumber)
    {
        var key = (detail.UnknownTable, detail.UnknownValue);
        if (_entries.TryGetValue(key, out var e))
        {
            e.Packets++;
            return;
        }
        if (_entries.Count >= MaxDistinct)
        {
            if (_overflow++ == 0)
            {
                _overflowFirst = packetNumber;
            }
            return;
        }
        _entries[key] = new Entry(detail.UnknownTable, detail.UnknownValue, packetNumber, detail.Path.ToString()) { Packets = 1 };
    }

    /// <summary>One per unknown value, in the order first seen; then one for the values beyond the limit.</summary>
    public IEnumerable<Entry> Entries
    {
        get
        {
            foreach (var e in _entries.Values.OrderBy(e => e.FirstPacket))
            {
                yield return e;
            }
            if (_overflow > 0)
            {
                yield return new Entry(default, 0, _overflowFirst, "") { Packets = _overflow, IsOverflow = true };
            }
        }
    }

    public sealed record Entry(DispatchTable Table, uint Value, long FirstPacket, string Path)
    {
        public long Packets { get; set; }

        public bool IsOverflow { get; init; }

        public string Describe()
        {
            var inv = CultureInfo.InvariantCulture;
            if (IsOverflow)
            {
                return string.Create(inv, $"{Packets} packet(s) with more unknown encapsulations than {MaxDistinct} distinct types; skipped");
            }
            var (what, digits) = Table switch
            {
                DispatchTable.EtherType => ("EtherType", 4),
                DispatchTable.GreProtocol => ("GRE protocol type", 4),
                DispatchTable.PppProtocol => ("PPP protocol", 4),
                DispatchTable.IPProtocol => ("IP protocol", 2),
                DispatchTable.LinkType => ("link type", 0),
                DispatchTable.ErspanFrameType => ("ERSPAN III frame type", 0),
                DispatchTable.GtpMessageType => ("GTP-U message type", 2),
                DispatchTable.NflogFamily => ("NFLOG address family", 0),
                _ => (Table.ToString(), 0),
            };
            var value = digits == 0 ? Value.ToString(inv) : "0x" + Value.ToString("x" + digits.ToString(inv), inv);
            var under = Path.Length > 0 ? $" under {Path}" : "";
            return string.Create(inv, $"unknown encapsulation: {what} {value}{under} is not decoded; {Packets} packet(s) skipped");
        }
    }
}
