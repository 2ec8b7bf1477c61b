using System.Buffers.Binary;

namespace PcapTls.Capture;

// Classic pcap: the file header, then records of a 16-byte header and the frame.
public sealed partial class CaptureFileReader
{
    private static class PcapMagic
    {
        // As read little-endian from the first four bytes.
        public const uint Micro = 0xA1B2C3D4;
        public const uint MicroSwapped = 0xD4C3B2A1;
        public const uint Nano = 0xA1B23C4D;
        public const uint NanoSwapped = 0x4D3CB2A1;
    }

    /*
     * typedef struct pcap_hdr_s {
     *     guint32 magic_number;   // 0
     *     guint16 version_major;  // 4
     *     guint16 version_minor;  // 6
     *     gint32  thiszone;       // 8
     *     guint32 sigfigs;        // 12
     *     guint32 snaplen;        // 16
     *     guint32 network;        // 20  link type in bits 0-15, FCS information in bits 26-31
     * } pcap_hdr_t;
     */
    private readonly record struct PcapHeader(bool BigEndian, bool Nano, uint SnapLength, LinkType LinkType)
    {
        private const int SnapLengthOffset = 16;
        private const int NetworkOffset = 20;
        private const uint LinkTypeMask = 0xFFFF;

        public static PcapHeader Parse(ReadOnlySpan<byte> h)
        {
            var magic = BinaryPrimitives.ReadUInt32LittleEndian(h);
            var bigEndian = magic is PcapMagic.MicroSwapped or PcapMagic.NanoSwapped;
            var nano = magic is PcapMagic.Nano or PcapMagic.NanoSwapped;
            var snap = ReadU32(h[SnapLengthOffset..], bigEndian);
            var network = ReadU32(h[NetworkOffset..], bigEndian);
            return new PcapHeader(bigEndian, nano, snap, (LinkType)(network & LinkTypeMask));
        }
    }

    /*
     * typedef struct pcaprec_hdr_s {
     *     guint32 ts_sec;   // 0
     *     guint32 ts_usec;  // 4  (nanoseconds with the nanosecond magic)
     *     guint32 incl_len; // 8
     *     guint32 orig_len; // 12
     * } pcaprec_hdr_t;
     */
    private void ReadPcap(ChunkedSource src, IPacketHandler handler, AnomalyReporter sink)
    {
        if (!src.Ensure(PcapFileHeaderLength))
        {
            sink.Report(1, CaptureAnomalyKind.TruncatedRecord, "the file ends inside the pcap file header");
            return;
        }
        var header = PcapHeader.Parse(src.Available);
        src.Advance(PcapFileHeaderLength);
        var big = header.BigEndian;
        var fractionToNanos = header.Nano ? 1L : 1000L;
        var linkType = header.LinkType;
        var fractionLimit = header.Nano ? 1_000_000_000u : 1_000_000u;
        long lastSeconds = -1;

        while (true)
        {
            var span = src.Available;
            if (span.Length < PcapRecordHeaderLength)
            {
                if (!src.Ensure(PcapRecordHeaderLength))
                {
                    ReportEndInsideRecordHeader(src, sink);
                    return;
                }
                continue;
            }

            var included = ReadU32(span[8..], big);
            if (included > MaxCapturedLength)
            {
                if (TryResyncPcap(src, big, fractionLimit, lastSeconds, sink, included))
                {
                    continue;
                }
                return;
            }
            var recordLength = PcapRecordHeaderLength + (int)included;
            if (span.Length < recordLength)
            {
                if (!src.Ensure(recordLength))
                {
                    sink.Report(PacketCount + 1, CaptureAnomalyKind.TruncatedRecord,
                        $"the file ends inside the last record ({src.Available.Length - PcapRecordHeaderLength} of {included} captured bytes)");
                    return;
                }
                continue;
            }

            var seconds = ReadU32(span, big);
            var fraction = ReadU32(span[4..], big);
            var original = ReadU32(span[12..], big);
            var ts = unchecked((long)seconds * 1_000_000_000L + fraction * fractionToNanos);
            lastSeconds = seconds;
            Deliver(handler, ts, linkType, span.Slice(PcapRecordHeaderLength, (int)included), original, 0);
            src.Advance(recordLength);
        }
    }

    private void ReportEndInsideRecordHeader(ChunkedSource src, AnomalyReporter sink)
    {
        if (src.Available.Length > 0)
        {
            sink.Report(PacketCount + 1, CaptureAnomalyKind.TruncatedRecord,
                $"the file ends inside a record header ({src.Available.Length} of {PcapRecordHeaderLength} bytes)");
        }
    }

    /// <summary>After an impossible record length, looks ahead (at most <see cref="ResyncWindow"/> bytes) for a
    /// record header that is plausible and followed by another plausible one (or the end of the file), and
    /// continues there. Classic pcap has no markers, so this is a heuristic; what was skipped is reported.</summary>
    private bool TryResyncPcap(ChunkedSource src, bool big, uint fractionLimit, long lastSeconds, AnomalyReporter sink, uint badLength)
    {
        src.Ensure(ResyncWindow);
        var span = src.Available;
        var limit = Math.Min(span.Length, ResyncWindow);
        for (var offset = 1; offset + PcapRecordHeaderLength <= limit; offset++)
        {
            var candidate = span[offset..];
            if (!IsPlausiblePcapRecord(candidate, big, fractionLimit, lastSeconds, out var length))
            {
                continue;
            }
            var atEnd = candidate.Length == length && src.AtEnd;
            if (atEnd || IsPlausiblePcapRecord(candidate[Math.Min(length, candidate.Length)..], big, fractionLimit, lastSeconds, out _))
            {
                src.Advance(offset);
                sink.Report(PacketCount + 1, CaptureAnomalyKind.RecordLengthInvalid,
                    $"record length {badLength} is impossible (more than {MaxCapturedLength}): {offset} corrupt bytes skipped to the next plausible record");
                return true;
            }
        }
        sink.Report(PacketCount + 1, CaptureAnomalyKind.RecordLengthInvalid,
            $"record length {badLength} is impossible (more than {MaxCapturedLength}) and no plausible record follows within {ResyncWindow / 1024} KiB; reading stopped");
        return false;
    }

    private static bool IsPlausiblePcapRecord(ReadOnlySpan<byte> h, bool big, uint fractionLimit, long lastSeconds, out int recordLength)
    {
        const long maxClockJumpSeconds = 86_400;
        const uint maxOriginalLength = 16 << 20;
        recordLength = 0;
        if (h.Length < PcapRecordHeaderLength)
        {
            return false;
        }
        var seconds = ReadU32(h, big);
        var fraction = ReadU32(h[4..], big);
        var included = ReadU32(h[8..], big);
        var original = ReadU32(h[12..], big);
        if (included == 0 || included > MaxCapturedLength || original < included || original > maxOriginalLength || fraction >= fractionLimit)
        {
            return false;
        }
        if (lastSeconds >= 0 && Math.Abs(seconds - lastSeconds) > maxClockJumpSeconds)
        {
            return false;
        }
        recordLength = PcapRecordHeaderLength + (int)included;
        return h.Length >= recordLength;
    }
}
