using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>What <see cref="IpFragmentReassembler.Add"/> did with a fragment.</summary>
public enum FragmentStatus : byte
{
    /// <summary>Held until the rest of its datagram arrives.</summary>
    Held,
    /// <summary>The datagram is whole: decode it with <see cref="PacketDecoder.TryDecodeDatagram"/>.</summary>
    Completed,
    /// <summary>An exact copy of a fragment already held (a duplicate on the wire, or a SPAN copy).</summary>
    Duplicate,
    /// <summary>The fragment, or its datagram, was dropped: <see cref="IpFragmentReassembler.LastDrop"/> says why.</summary>
    Dropped,
}

/// <summary>Why fragments were dropped (each is counted and reported by the caller).</summary>
public enum FragmentDrop : byte
{
    None,
    /// <summary>The snapshot length cut the fragment: its bytes are not in the capture.</summary>
    Truncated,
    /// <summary>Offsets and lengths that cannot be (beyond 65,535 bytes, not a multiple of 8, a header cut).</summary>
    Malformed,
    /// <summary>Fragments that overlap without being copies: the whole datagram is discarded (RFC 5722; Linux does
    /// the same for IPv4 since 4.19), as an overlap is how evasion and Teardrop-style attacks work.</summary>
    Overlap,
    /// <summary>Fragments of one datagram that disagree about where it ends (two last fragments with different
    /// ends, or data beyond the last fragment's end).</summary>
    Inconsistent,
    /// <summary>More fragments for one datagram than <see cref="IpFragmentReassembler.MaxFragmentsPerDatagram"/>.</summary>
    TooManyFragments,
    /// <summary>More datagrams or bytes pending than the limits: the oldest datagram was discarded.</summary>
    TooManyPending,
    /// <summary>Not completed within <see cref="IpFragmentReassembler.Timeout"/> of capture time, or by the capture's end.</summary>
    Incomplete,
}

/// <summary>
/// Reassembles IPv4 (RFC 791) and IPv6 (RFC 8200 section 4.5) fragments found at any depth of the encapsulation
/// path (tunnels fragment their outer packets), into one datagram that is then decoded as if it had arrived
/// whole under the same outer headers. Datagrams are told apart by source, destination, identification, protocol
/// (IPv4) and the tunnel context, so two tenants' fragments never mix. Bounded by named limits; time is capture
/// time. Not thread-safe: one per pipeline.
/// </summary>
public sealed class IpFragmentReassembler
{
    /// <summary>A reassembled datagram larger than this is impossible without jumbograms (the 16-bit length).</summary>
    public const int MaxDatagramBytes = 65_535;

    /// <summary>Fragments of one datagram. 64 KB in 576-byte fragments is 119; a flood of tiny ones is not real.</summary>
    public const int MaxFragmentsPerDatagram = 128;

    /// <summary>Datagrams being reassembled at once; beyond it the oldest is discarded.</summary>
    public const int MaxPendingDatagrams = 1024;

    /// <summary>Bytes held over all pending datagrams; beyond it the oldest is discarded.</summary>
    public const long MaxPendingBytes = 16L << 20;

    /// <summary>A datagram whose fragments do not all arrive within this (capture time) is discarded: RFC 8200's
    /// 60 seconds (Linux waits 30 s for IPv4 and 60 s for IPv6; the longer one loses nothing a host would keep).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private const int IPv4FragmentUnit = 8;

    private readonly Dictionary<DatagramKey, Pending> _pending = [];
    private readonly Queue<(DatagramKey Key, long Serial)> _order = new();
    private long _pendingBytes;
    private long _serial;
    private long _clock = long.MinValue;

    /// <summary>Fragmented datagrams inside a reassembled one (a tunnel over a fragmenting tunnel) taken per frame.</summary>
    public const int MaxNesting = 3;

    public long FragmentsSeen { get; private set; }

    public long DatagramsCompleted { get; private set; }

    /// <summary>Datagrams (or lone fragments) dropped, per reason.</summary>
    public long[] Dropped { get; } = new long[Enum.GetValues<FragmentDrop>().Length];

    /// <summary>Why the last <see cref="FragmentStatus.Dropped"/> happened, and what was lost (fragments, bytes).</summary>
    public FragmentDrop LastDrop { get; private set; }

    public string LastDropDetail { get; private set; } = "";

    /// <summary>Datagrams discarded since the last call because they timed out or made room, with the first
    /// packet of each (the caller reports them).</summary>
    public List<(long FirstPacket, FragmentDrop Reason, string Detail)> Expired { get; } = [];

    /// <summary>
    /// Adds the fragment that <paramref name="detail"/> points at in <paramref name="frame"/> (its IP header starts at
    /// <see cref="DecodeDetail.IpOffset"/>). On <see cref="FragmentStatus.Completed"/>, <paramref name="datagram"/> is
    /// the whole IP datagram (a new array) and <paramref name="outer"/> the headers outside it.
    /// </summary>
    public FragmentStatus Add(ReadOnlySpan<byte> frame, int wireLength, in DecodeDetail detail, long packetNumber, long timestampNanos,
        out byte[]? datagram, out EncapsulationPath outer)
    {
        datagram = null;
        outer = detail.Path;
        FragmentsSeen++;
        if (timestampNanos > _clock)
        {
            _clock = timestampNanos;
        }
        ExpireOld();
        if (detail.IpOffset < 0 || detail.IpOffset > frame.Length)
        {
            return Drop(FragmentDrop.Malformed, "the fragment's IP header is not in the frame");
        }
        var ip = frame[detail.IpOffset..];
        var ipWire = wireLength - detail.IpOffset;
        var parsed = detail.IsIPv6 ? ParseIPv6(ip, ipWire, out var f) : ParseIPv4(ip, ipWire, out f);
        if (parsed != FragmentDrop.None)
        {
            return Drop(parsed, parsed == FragmentDrop.Truncated
                ? "the snapshot length cut the fragment; its datagram cannot be reassembled"
                : "the fragment's offset or length is impossible");
        }
        if (f.Offset == 0 && !f.More)
        {
            // An atomic fragment (RFC 6946: offset 0, M clear) is a whole datagram, taken apart from any pending.
            var atomic = new Pending(0, packetNumber, timestampNanos, detail.Path, detail.IsIPv6);
            atomic.Add(f, ip, out _);
            DatagramsCompleted++;
            datagram = atomic.Build();
            return FragmentStatus.Completed;
        }
        var key = new DatagramKey(f.Source, f.Destination, f.Identification, f.Protocol, detail.IsIPv6, detail.Path.TunnelContext);
        if (!_pending.TryGetValue(key, out var p))
        {
            p = new Pending(++_serial, packetNumber, timestampNanos, detail.Path, detail.IsIPv6);
            _pending[key] = p;
            _order.Enqueue((key, p.Serial));
        }
        var status = p.Add(f, ip, out var drop);
        if (drop != FragmentDrop.None)
        {
            Remove(key, p);
            return Drop(drop, drop switch
            {
                FragmentDrop.Overlap => "fragments of one datagram overlap without being copies; the datagram is discarded (RFC 5722)",
                FragmentDrop.Inconsistent => "fragments of one datagram disagree about where it ends; the datagram is discarded",
                _ => $"more than {MaxFragmentsPerDatagram} fragments for one datagram (MaxFragmentsPerDatagram); discarded",
            });
        }
        if (status == FragmentStatus.Duplicate)
        {
            return status;
        }
        _pendingBytes += f.Length;
        if (!p.IsComplete)
        {
            MakeRoom(key);
            return _pending.ContainsKey(key) ? FragmentStatus.Held : Drop(FragmentDrop.TooManyPending, "too many fragments pending");
        }
        Remove(key, p);
        DatagramsCompleted++;
        datagram = p.Build();
        outer = p.Path;
        return FragmentStatus.Completed;
    }

    /// <summary>What the last <see cref="Decode"/> did with the fragment it returned <see cref="DecodeStatus.IpFragment"/> for.</summary>
    public FragmentStatus LastStatus { get; private set; }

    /// <summary>
    /// <see cref="PacketDecoder.TryDecodeTcp(in RawPacket, out TcpSegment, out DecodeDetail)"/> with reassembly: a
    /// fragment that completes its datagram comes back as the datagram's TCP segment (numbered and timed as the
    /// fragment that completed it; its payload points into the reassembled datagram). A fragment held, duplicated or
    /// dropped comes back as <see cref="DecodeStatus.IpFragment"/>, and <see cref="LastStatus"/> says which.
    /// </summary>
    public DecodeStatus Decode(in RawPacket packet, out TcpSegment segment, out DecodeDetail detail)
    {
        var status = PacketDecoder.TryDecodeTcp(packet, out segment, out detail);
        byte[]? reassembled = null;
        for (var depth = 0; status == DecodeStatus.IpFragment && depth < MaxNesting; depth++)
        {
            var frame = reassembled is null ? packet.Data : reassembled;
            var wire = reassembled is null ? packet.OriginalLength : reassembled.Length;
            LastStatus = Add(frame, wire, detail, packet.Number, packet.TimestampNanos, out reassembled, out var outer);
            if (LastStatus != FragmentStatus.Completed || reassembled is null)
            {
                return DecodeStatus.IpFragment;
            }
            status = PacketDecoder.TryDecodeDatagram(reassembled, detail.IsIPv6, outer, packet.Number, packet.TimestampNanos, out segment, out detail);
        }
        if (status == DecodeStatus.IpFragment)
        {
            LastStatus = Drop(FragmentDrop.Malformed, $"fragments nested more than {MaxNesting} deep (MaxNesting)");
        }
        return status;
    }

    /// <summary>The capture ended: what is still pending never completed (reported through <see cref="Expired"/>).</summary>
    public void Finish()
    {
        foreach (var (key, serial) in _order)
        {
            if (_pending.TryGetValue(key, out var p) && p.Serial == serial)
            {
                Expire(key, p, FragmentDrop.Incomplete, "the capture ended before all fragments of this datagram arrived");
            }
        }
        _order.Clear();
    }

    private FragmentStatus Drop(FragmentDrop reason, string detail)
    {
        Dropped[(int)reason]++;
        LastDrop = reason;
        LastDropDetail = detail;
        return FragmentStatus.Dropped;
    }

    private void ExpireOld()
    {
        var timeout = Timeout.Ticks * 100;
        while (_order.TryPeek(out var head))
        {
            if (!_pending.TryGetValue(head.Key, out var p) || p.Serial != head.Serial)
            {
                _order.Dequeue();
                continue;
            }
            if (_clock - p.FirstNanos <= timeout)
            {
                return;
            }
            _order.Dequeue();
            Expire(head.Key, p, FragmentDrop.Incomplete, $"not all fragments of this datagram arrived within {Timeout.TotalSeconds:0} s of capture time");
        }
    }

    private void MakeRoom(DatagramKey keep)
    {
        while ((_pending.Count > MaxPendingDatagrams || _pendingBytes > MaxPendingBytes) && _order.TryDequeue(out var head))
        {
            if (_pending.TryGetValue(head.Key, out var p) && p.Serial == head.Serial)
            {
                Expire(head.Key, p, FragmentDrop.TooManyPending,
                    $"more than {MaxPendingDatagrams} datagrams or {MaxPendingBytes >> 20} MiB of fragments pending (MaxPendingDatagrams, MaxPendingBytes); the oldest was discarded");
                if (head.Key.Equals(keep))
                {
                    return;
                }
            }
        }
    }

    private void Expire(DatagramKey key, Pending p, FragmentDrop reason, string detail)
    {
        Remove(key, p);
        Dropped[(int)reason]++;
        Expired.Add((p.FirstPacket, reason, $"{detail} ({p.Fragments} fragment(s), {p.Bytes} bytes lost)"));
    }

    private void Remove(DatagramKey key, Pending p)
    {
        _pending.Remove(key);
        _pendingBytes -= p.Bytes;
    }

    /*
     * IPv4 (RFC 791): Identification at 4 (16 bits); Flags (3) | Fragment Offset (13, in 8-octet units) at 6;
     * MF = 0x2000. The reassembled header is the first fragment's, with flags/offset cleared and the total length set.
     */
    private static FragmentDrop ParseIPv4(ReadOnlySpan<byte> ip, int wire, out Fragment f)
    {
        f = default;
        if (ip.Length < IPv4Decoder.MinHeaderLength)
        {
            return FragmentDrop.Truncated;
        }
        var headerLength = (ip[0] & 0x0F) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip[IPv4Decoder.TotalLengthOffset..]);
        if (headerLength < IPv4Decoder.MinHeaderLength || total < headerLength || total > wire)
        {
            return FragmentDrop.Malformed;
        }
        if (ip.Length < total)
        {
            return FragmentDrop.Truncated;
        }
        var flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(ip[IPv4Decoder.FlagsOffset..]);
        var offset = (flagsAndOffset & IPv4Decoder.FragmentOffsetMask) * IPv4FragmentUnit;
        var more = (flagsAndOffset & IPv4Decoder.MoreFragments) != 0;
        var length = total - headerLength;
        if (more)
        {
            // RFC 791 cuts every fragment but the last on an 8-octet boundary and does not say to discard one that
            // is not; like Linux (ip_frag_queue), the receiver keeps its whole 8-octet blocks and drops the rest.
            length -= length % IPv4FragmentUnit;
            if (length == 0)
            {
                return FragmentDrop.Malformed;
            }
        }
        if (offset + length > MaxDatagramBytes - headerLength)
        {
            return FragmentDrop.Malformed;
        }
        f = new Fragment(BinaryPrimitives.ReadUInt32BigEndian(ip[IPv4Decoder.SourceOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(ip[IPv4Decoder.DestinationOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(ip[IPv4Decoder.IdentificationOffset..]), ip[IPv4Decoder.ProtocolOffset],
            offset, length, more, headerLength, headerLength, 0);
        return FragmentDrop.None;
    }

    /*
     * IPv6 (RFC 8200 section 4.5): the unfragmentable part (the IPv6 header and the extension headers before the
     * Fragment header) comes from the first fragment; Fragment header = Next Header (8), Reserved (8),
     * Fragment Offset (13, 8-octet units) | Res (2) | M (1), Identification (32). The reassembled packet is the
     * unfragmentable part, with the Fragment header's Next Header written where the Fragment header was named.
     */
    private static FragmentDrop ParseIPv6(ReadOnlySpan<byte> ip, int wire, out Fragment f)
    {
        const int nextHeaderOffset = 6;
        f = default;
        if (ip.Length < IPv6Decoder.HeaderLength)
        {
            return FragmentDrop.Truncated;
        }
        var total = IPv6Decoder.HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        if (total > wire)
        {
            return FragmentDrop.Malformed;
        }
        if (ip.Length < total)
        {
            return FragmentDrop.Truncated;
        }
        ip = ip[..total];
        var next = ip[nextHeaderOffset];
        var nextAt = nextHeaderOffset;
        var offset = IPv6Decoder.HeaderLength;
        for (var count = 0; next != IPv6Decoder.Fragment; count++)
        {
            // Only hop-by-hop (0), routing (43) and destination options (60) may come before a Fragment header.
            if (count >= IPv6Decoder.MaxExtensionHeaders || next is not (0 or 43 or 60) || ip.Length < offset + 2)
            {
                return FragmentDrop.Malformed;
            }
            nextAt = offset;
            next = ip[offset];
            offset += (ip[offset + 1] + 1) * 8;
        }
        if (ip.Length < offset + IPv6Decoder.FragmentHeaderLength)
        {
            return FragmentDrop.Malformed;
        }
        var offsetAndFlags = BinaryPrimitives.ReadUInt16BigEndian(ip[(offset + 2)..]);
        var fragmentOffset = (offsetAndFlags >> 3) * IPv4FragmentUnit;
        var more = (offsetAndFlags & 1) != 0;
        var dataStart = offset + IPv6Decoder.FragmentHeaderLength;
        var length = total - dataStart;
        // RFC 8200 section 4.5: a fragment that is not the last must be a multiple of 8 octets long, and none may
        // make the reassembled Payload Length (the unfragmentable extension headers, then the data) exceed 65,535.
        if ((more && (length == 0 || length % IPv4FragmentUnit != 0)) ||
            offset - IPv6Decoder.HeaderLength + fragmentOffset + length > MaxDatagramBytes)
        {
            return FragmentDrop.Malformed;
        }
        var s = BinaryPrimitives.ReadUInt128BigEndian(ip[8..]);
        var d = BinaryPrimitives.ReadUInt128BigEndian(ip[24..]);
        f = new Fragment(s, d, BinaryPrimitives.ReadUInt32BigEndian(ip[(offset + 4)..]), ip[offset], fragmentOffset, length, more,
            offset, dataStart, nextAt);
        return FragmentDrop.None;
    }

    /// <param name="UnfragmentableLength">The header bytes the reassembled datagram starts with.</param>
    /// <param name="DataStart">Where the fragment's data starts in its packet.</param>
    /// <param name="NextHeaderAt">IPv6: where the Next Header byte naming the Fragment header is.</param>
    private readonly record struct Fragment(UInt128 Source, UInt128 Destination, uint Identification, byte Protocol, int Offset, int Length,
        bool More, int UnfragmentableLength, int DataStart, int NextHeaderAt);

    private readonly record struct DatagramKey(UInt128 Source, UInt128 Destination, uint Identification, byte Protocol, bool IsIPv6, ulong Context);

    private sealed class Pending(long serial, long firstPacket, long firstNanos, EncapsulationPath path, bool isIPv6)
    {
        /// <summary>The data held, as [Start, End) ranges sorted by start that never overlap (an overlap discards
        /// the datagram), so the datagram is whole when its last byte is known and the ranges hold that many.</summary>
        private readonly List<(int Start, int End)> _ranges = [];
        private byte[] _data = new byte[2048];
        private byte[]? _header;
        private int _totalLength = -1;

        public long Serial { get; } = serial;

        public long FirstPacket { get; } = firstPacket;

        public long FirstNanos { get; } = firstNanos;

        public EncapsulationPath Path { get; } = path;

        public int Fragments => _ranges.Count;

        public long Bytes { get; private set; }

        public bool IsComplete => _header is not null && _totalLength >= 0 && Bytes == _totalLength;

        public FragmentStatus Add(in Fragment f, ReadOnlySpan<byte> packet, out FragmentDrop drop)
        {
            drop = FragmentDrop.None;
            var data = packet.Slice(f.DataStart, f.Length);
            var end = f.Offset + f.Length;
            var at = 0;
            while (at < _ranges.Count && _ranges[at].Start < f.Offset)
            {
                at++;
            }
            // RFC 5722 (errata 3089): an exact duplicate may be dropped; any other overlap discards the datagram.
            if (at < _ranges.Count && _ranges[at] == (f.Offset, end) && data.SequenceEqual(_data.AsSpan(f.Offset, f.Length)))
            {
                return FragmentStatus.Duplicate;
            }
            if ((at > 0 && _ranges[at - 1].End > f.Offset) || (at < _ranges.Count && _ranges[at].Start < end) ||
                (at < _ranges.Count && _ranges[at].Start == f.Offset))
            {
                drop = FragmentDrop.Overlap;
                return FragmentStatus.Dropped;
            }
            if (_ranges.Count >= MaxFragmentsPerDatagram)
            {
                drop = FragmentDrop.TooManyFragments;
                return FragmentStatus.Dropped;
            }
            if (!f.More)
            {
                // The last fragment says where the datagram ends: a second, different end, or data held beyond it,
                // is a datagram that cannot be (RFC 8200 section 4.5; Linux discards the queue the same way).
                if ((_totalLength >= 0 && _totalLength != end) || (_ranges.Count > 0 && _ranges[^1].End > end))
                {
                    drop = FragmentDrop.Inconsistent;
                    return FragmentStatus.Dropped;
                }
                _totalLength = end;
            }
            else if (_totalLength >= 0 && end > _totalLength)
            {
                drop = FragmentDrop.Inconsistent;
                return FragmentStatus.Dropped;
            }
            if (end > _data.Length)
            {
                Array.Resize(ref _data, Math.Min(Math.Max(end, _data.Length * 2), MaxDatagramBytes));
            }
            data.CopyTo(_data.AsSpan(f.Offset));
            _ranges.Insert(at, (f.Offset, end));
            Bytes += f.Length;
            if (f.Offset == 0)
            {
                _header = packet[..f.UnfragmentableLength].ToArray();
                if (isIPv6)
                {
                    // The Fragment header is left out: whatever named it now names what it carried.
                    _header[f.NextHeaderAt] = f.Protocol;
                }
            }
            return FragmentStatus.Held;
        }

        /// <summary>The whole datagram: the first fragment's header, lengths fixed, then the data.</summary>
        public byte[] Build()
        {
            var header = _header!;
            var whole = new byte[header.Length + _totalLength];
            header.CopyTo(whole, 0);
            _data.AsSpan(0, _totalLength).CopyTo(whole.AsSpan(header.Length));
            if (isIPv6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(whole.AsSpan(4), (ushort)(whole.Length - IPv6Decoder.HeaderLength));
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(whole.AsSpan(IPv4Decoder.TotalLengthOffset), (ushort)Math.Min(whole.Length, ushort.MaxValue));
                BinaryPrimitives.WriteUInt16BigEndian(whole.AsSpan(IPv4Decoder.FlagsOffset), 0);
            }
            return whole;
        }
    }
}
