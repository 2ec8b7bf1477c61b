using System.Buffers.Binary;
using PcapTls.Capture.Inputs;

namespace PcapTls.Capture;

/// <summary>
/// Reads classic pcap (micro/nanosecond, either byte order), pcapng (several sections and interfaces) and
/// gzip-compressed files of either, and streams every frame to an <see cref="IPacketHandler"/> as a
/// <see cref="RawPacket"/> whose span points into one large read buffer (no allocation per frame).
/// Bad data never throws out of <see cref="Read"/>: it becomes a <see cref="CaptureAnomaly"/> and reading
/// goes on, or stops cleanly where the format gives no way to find the next record.
/// </summary>
public sealed class CaptureFileReader : ICaptureInput
{
    /// <summary>Bytes asked of the file per read: large enough that reads are few, small enough that the frames are
    /// still in the CPU's cache when they are parsed (on the 2-core bench machine 256 KiB reads ran at ~3 GB/s from
    /// the page cache, 4 MiB reads at 2.0-2.7).</summary>
    public const int ReadBufferSize = 256 << 10;

    /// <summary>Largest captured frame accepted (libpcap's own maximum snapshot length). A larger record
    /// length means a corrupt file: in classic pcap there is no way to find the next record after it.</summary>
    public const int MaxCapturedLength = 256 * 1024;

    /// <summary>Largest pcapng block accepted (Wireshark's limit too). Name resolution and comment blocks can be
    /// large; anything beyond this is corruption.</summary>
    public const int MaxBlockLength = 16 << 20;

    /// <summary>How far past a corrupt record the reader looks for the next plausible one before giving up.</summary>
    public const int ResyncWindow = 1 << 20;

    private const int PcapFileHeaderLength = 24;
    private const int PcapRecordHeaderLength = 16;
    private const int PcapNgMinBlockLength = 12;
    private const int HeaderProbeLength = 64 * 1024;

    /// <summary>Key log text kept from pcapng Decryption Secrets Blocks, over the whole file.</summary>
    public const int MaxEmbeddedKeyLogBytes = 16 << 20;

    private readonly List<LinkType> _linkTypes = [];
    private readonly List<string> _embeddedKeyLogs = [];
    private long _embeddedKeyLogBytes;
    private long _bytesRead;

    private readonly CaptureSource _source;

    private CaptureFileReader(CaptureSource source, CaptureFormat format, CaptureCompression compression, long totalBytes)
    {
        _source = source;
        Path = source.Name;
        Format = format;
        Compression = compression;
        TotalBytes = totalBytes;
    }

    public string Path { get; }

    public CaptureFormat Format { get; }

    public bool IsGzip => Compression == CaptureCompression.Gzip;

    /// <summary>How the bytes are compressed (told by their first bytes, not the file name).</summary>
    public CaptureCompression Compression { get; }

    /// <summary>Whether <see cref="Read"/> can be called more than once (a file: yes; standard input: no).</summary>
    public bool CanReadAgain => _source.CanReadAgain;

    /// <summary>Link types declared by the file: from the pcap header, or from the pcapng interface blocks
    /// (those near the start are known after Open; the rest are added while reading).</summary>
    public IReadOnlyList<LinkType> LinkTypes => _linkTypes;

    /// <summary>The snapshot length the file declares (the largest over pcapng interfaces). When it declares
    /// none (0, as editcap writes) and a read found frames cut short, it is inferred after <see cref="Read"/> as
    /// the largest captured length of a cut frame (as capinfos does); <see cref="SnapLengthInferred"/> says so.</summary>
    public int? SnapLength { get; private set; }

    public bool SnapLengthInferred { get; private set; }

    private int _largestTruncatedFrame;

    /// <summary>NSS key log text carried in pcapng Decryption Secrets Blocks (`editcap --inject-secrets tls,FILE`),
    /// one entry per block: the blocks near the start of the file (where editcap puts them) are known after Open,
    /// all of them after Read. Parse it as a key log file.</summary>
    public IReadOnlyList<string> EmbeddedTlsKeyLogs => _embeddedKeyLogs;

    /// <summary><see cref="EmbeddedTlsKeyLogs"/> named by where they were found ("cap.pcapng, Decryption Secrets Block 1").</summary>
    public IReadOnlyList<(string Source, string Text)> EmbeddedKeyLogs =>
        [.. _embeddedKeyLogs.Select((text, i) => ($"{System.IO.Path.GetFileName(Path)}, {DecryptionSecretsBlockName} {i + 1}", text))];

    /// <summary>How a key log found in a capture is named in the report.</summary>
    public const string DecryptionSecretsBlockName = "Decryption Secrets Block";

    /// <summary>"pcap", "pcap-ns" or "pcapng", with the compression's suffix ("pcapng.zst").</summary>
    public string FormatName => Format switch
    {
        CaptureFormat.Pcap => "pcap",
        CaptureFormat.PcapNanosecond => "pcap-ns",
        CaptureFormat.PcapNg => "pcapng",
        var f => f.ToString(),
    } + Inputs.Compression.Suffix(Compression);

    /// <summary>Size of the file on disk (compressed size when compressed), for a progress bar; -1 for a pipe.</summary>
    public long TotalBytes { get; }

    /// <summary>Bytes of the file consumed so far; safe to read from another thread while Read runs.</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);

    /// <summary>Frames delivered by the last Read.</summary>
    public long PacketCount { get; private set; }

    /// <summary>Sum of the captured lengths of the frames delivered by the last Read.</summary>
    public long CapturedBytes { get; private set; }

    /// <summary>Frames whose captured length is below their length on the wire (snapshot length).</summary>
    public long TruncatedPacketCount { get; private set; }

    public long? FirstTimestampNanos { get; private set; }

    public long? LastTimestampNanos { get; private set; }

    /// <summary>Identifies the file and its format. Throws <see cref="CaptureFormatException"/> (one-line
    /// message, original exception inside) when it cannot be opened or is not a capture.</summary>
    public static CaptureFileReader Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            throw new CaptureFormatException($"{path}: is a directory, not a capture file");
        }
        return Open(CaptureSource.File(path));
    }

    /// <summary>Identifies the source's format (and compression) from its first bytes. A one-pass source (a pipe)
    /// keeps the bytes read here for the one <see cref="Read"/>.</summary>
    public static CaptureFileReader Open(CaptureSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var path = source.Name;
        try
        {
            var raw = source.OpenForProbe();
            try
            {
                var total = source.Length;
                if (total == 0)
                {
                    throw new CaptureFormatException($"{path}: the file is empty");
                }
                var magic = new byte[Inputs.Compression.MagicLength];
                var m = raw.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
                var compression = Inputs.Compression.Detect(magic.AsSpan(0, m));
                CaptureSource.Rewind(raw);
                if (m == 0)
                {
                    throw new CaptureFormatException(source.CanReadAgain ? $"{path}: the file is empty" : $"{path}: the stream is empty (no capture arrived)");
                }
                var content = Inputs.Compression.Decompress(raw, compression);
                try
                {
                    var probe = new byte[HeaderProbeLength];
                    var n = ReadAtLeast(content, probe);
                    var reader = Identify(source, compression, total, probe.AsSpan(0, n));
                    CaptureSource.Rewind(raw);
                    return reader;
                }
                finally
                {
                    if (!ReferenceEquals(content, raw))
                    {
                        content.Dispose();
                    }
                }
            }
            finally
            {
                if (source.CanReadAgain)
                {
                    raw.Dispose();
                }
            }
        }
        catch (FileNotFoundException ex)
        {
            throw new CaptureFormatException($"{path}: no such file", ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new CaptureFormatException($"{path}: no such file (the folder does not exist)", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CaptureFormatException($"{path}: permission denied", ex);
        }
        catch (CaptureFormatException ex) when (!ex.Message.StartsWith(path + ":", StringComparison.Ordinal))
        {
            throw new CaptureFormatException($"{path}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is not CaptureFormatException && Inputs.Compression.IsCorruptData(ex))
        {
            throw new CaptureFormatException($"{path}: not a valid compressed file ({ex.Message})", ex);
        }
        catch (IOException ex)
        {
            throw new CaptureFormatException($"{path}: cannot be read ({ex.Message})", ex);
        }
    }

    private static CaptureFileReader Identify(CaptureSource source, CaptureCompression compression, long total, ReadOnlySpan<byte> head)
    {
        var path = source.Name;
        var n = head.Length;
        var what = compression == CaptureCompression.None ? "the file" : $"the decompressed {Inputs.Compression.Name(compression)} content";
        if (n == 0)
        {
            throw new CaptureFormatException($"{path}: {what} is empty");
        }
        if (n < 4)
        {
            throw new CaptureFormatException($"{path}: {what} is too short to be a capture ({n} bytes)");
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(head);
        CaptureFileReader reader;
        switch (magic)
        {
            case PcapMagic.Micro or PcapMagic.MicroSwapped or PcapMagic.Nano or PcapMagic.NanoSwapped:
                if (n < PcapFileHeaderLength)
                {
                    throw new CaptureFormatException($"{path}: truncated pcap file header ({n} of {PcapFileHeaderLength} bytes)");
                }
                var nano = magic is PcapMagic.Nano or PcapMagic.NanoSwapped;
                reader = new CaptureFileReader(source, nano ? CaptureFormat.PcapNanosecond : CaptureFormat.Pcap, compression, total);
                var header = PcapHeader.Parse(head);
                reader._linkTypes.Add(header.LinkType);
                reader.SnapLength = header.SnapLength is > 0 and <= int.MaxValue ? (int)header.SnapLength : null;
                break;
            case PcapNgBlockType.SectionHeader:
                reader = new CaptureFileReader(source, CaptureFormat.PcapNg, compression, total);
                if (!reader.ProbePcapNg(head))
                {
                    throw new CaptureFormatException($"{path}: truncated or corrupt pcapng section header");
                }
                break;
            default:
                var known = DescribeOtherFormat(head);
                throw new CaptureFormatException(compression != CaptureCompression.None
                    ? $"{path}: {Inputs.Compression.Name(compression)}-compressed, but the content is not a pcap or pcapng capture ({known ?? "starts with " + Convert.ToHexString(head[..4])})"
                    : $"{path}: not a pcap or pcapng capture file ({known ?? "starts with " + Convert.ToHexString(head[..4])})");
        }
        return reader;
    }

    /// <summary>Streams every frame, from the start of the file, to the handler. Can be called again.
    /// Throws only for I/O failures of the device and for cancellation.</summary>
    public void Read(IPacketHandler handler, ICaptureAnomalySink? anomalies = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        PacketCount = 0;
        CapturedBytes = 0;
        TruncatedPacketCount = 0;
        _largestTruncatedFrame = 0;
        FirstTimestampNanos = null;
        LastTimestampNanos = null;
        Volatile.Write(ref _bytesRead, 0);

        using var raw = new CountingStream(_source.OpenForRead());
        using var content = Inputs.Compression.Decompress(raw, Compression);
        var source = new ChunkedSource(content, raw, this, ct);
        var sink = new AnomalyReporter(anomalies);
        try
        {
            if (Format == CaptureFormat.PcapNg)
            {
                ReadPcapNg(source, handler, sink);
            }
            else
            {
                ReadPcap(source, handler, sink);
            }
        }
        catch (Exception ex) when (Compression != CaptureCompression.None && Inputs.Compression.IsCorruptData(ex))
        {
            // Each decompressor's way of saying the compressed stream is corrupt or cut short.
            var name = Inputs.Compression.Name(Compression);
            sink.Report(PacketCount + 1, CaptureAnomalyKind.CompressedDataCorrupt, $"{name} data corrupt after {PacketCount} frames: {ex.Message}");
        }
        Volatile.Write(ref _bytesRead, TotalBytes >= 0 ? TotalBytes : raw.BytesRead);
        if ((SnapLength is null || SnapLengthInferred) && _largestTruncatedFrame > 0)
        {
            SnapLength = _largestTruncatedFrame;
            SnapLengthInferred = true;
        }
    }

    /// <summary>Names formats users send instead of a capture, so the error says what to do.</summary>
    private static string? DescribeOtherFormat(ReadOnlySpan<byte> head)
    {
        ReadOnlySpan<byte> zstd = [0x28, 0xB5, 0x2F, 0xFD];
        ReadOnlySpan<byte> xz = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00];
        ReadOnlySpan<byte> lz4 = [0x04, 0x22, 0x4D, 0x18];
        ReadOnlySpan<byte> zip = [0x50, 0x4B, 0x03, 0x04];
        ReadOnlySpan<byte> sevenZip = [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C];
        if (head.StartsWith(zstd) || head.StartsWith(xz) || head.StartsWith(lz4) || head.StartsWith("BZh"u8))
        {
            return "it is compressed (zstd, xz, lz4 or bzip2): decompress it first, or recompress it with gzip";
        }
        if (head.StartsWith(zip) || head.StartsWith(sevenZip))
        {
            return "it is a zip/7z archive: extract the capture from it first";
        }
        if (head.StartsWith("GMBU"u8))
        {
            return "it is a Microsoft Network Monitor capture: save it as pcapng in Wireshark first";
        }
        if (head.StartsWith("snoop\0\0\0"u8))
        {
            return "it is a Solaris snoop capture: convert it with 'editcap -F pcap' first";
        }
        if (head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == 0xA1B2CD34)
        {
            return "it is a 'modified' libpcap capture (old Red Hat tcpdump): convert it with 'editcap -F pcap' first";
        }
        return null;
    }

    private static int ReadAtLeast(Stream s, byte[] buffer) => s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);

    private void Deliver(IPacketHandler handler, long timestampNanos, LinkType linkType, ReadOnlySpan<byte> data, uint originalLength, int interfaceIndex)
    {
        var number = ++PacketCount;
        var original = (int)Math.Min(Math.Max(originalLength, (uint)data.Length), int.MaxValue);
        CapturedBytes += data.Length;
        if (original > data.Length)
        {
            TruncatedPacketCount++;
            if (data.Length > _largestTruncatedFrame)
            {
                _largestTruncatedFrame = data.Length;
            }
        }
        FirstTimestampNanos ??= timestampNanos;
        LastTimestampNanos = timestampNanos;
        handler.OnPacket(new RawPacket(number, timestampNanos, linkType, data, original, interfaceIndex));
    }

    private void AddLinkType(LinkType linkType)
    {
        if (!_linkTypes.Contains(linkType))
        {
            _linkTypes.Add(linkType);
        }
    }

    // ---- classic pcap -------------------------------------------------------------------------------------

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
                    if (src.Available.Length > 0)
                    {
                        sink.Report(PacketCount + 1, CaptureAnomalyKind.TruncatedRecord,
                            $"the file ends inside a record header ({src.Available.Length} of {PcapRecordHeaderLength} bytes)");
                    }
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

    // ---- pcapng -------------------------------------------------------------------------------------------

    private static class PcapNgBlockType
    {
        public const uint SectionHeader = 0x0A0D0D0A;
        public const uint InterfaceDescription = 0x00000001;
        public const uint ObsoletePacket = 0x00000002;
        public const uint SimplePacket = 0x00000003;
        public const uint EnhancedPacket = 0x00000006;
        public const uint DecryptionSecrets = 0x0000000A;
    }

    /*
     * Decryption Secrets Block body:
     *   0  Secrets Type (32): 0x544c534b "TLSK" = NSS key log text
     *   4  Secrets Length (32)
     *   8  Secrets Data, padded to 32 bits; Options
     */
    private void AddDecryptionSecrets(ReadOnlySpan<byte> body, bool big)
    {
        const uint tlsKeyLog = 0x544C534B;
        if (body.Length < 8 || ReadU32(body, big) != tlsKeyLog)
        {
            return;
        }
        var length = ReadU32(body[4..], big);
        if (length > body.Length - 8 || _embeddedKeyLogBytes + length > MaxEmbeddedKeyLogBytes)
        {
            return;
        }
        var text = System.Text.Encoding.UTF8.GetString(body.Slice(8, (int)length));
        if (!_embeddedKeyLogs.Contains(text))
        {
            _embeddedKeyLogs.Add(text);
            _embeddedKeyLogBytes += length;
        }
    }

    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const int BlockHeaderLength = 8;        // type + total length
    private const int BlockTrailerLength = 4;       // total length again
    private const int SectionHeaderMinLength = 28;  // header, BOM, versions, section length, trailer
    private const ushort SupportedMajorVersion = 1;
    private const ushort OptionEndOfOptions = 0;
    private const ushort OptionIfTsResol = 9;
    private const ushort OptionIfTsOffset = 14;
    private const int MaxInterfacesPerSection = 1 << 16;

    private sealed class PcapNgInterface
    {
        public required LinkType LinkType { get; init; }
        public required uint SnapLength { get; init; }
        public required int GlobalIndex { get; init; }
        public ulong UnitsPerSecond { get; set; } = 1_000_000;
        public ulong NanosPerUnit { get; set; } = 1_000;
        public long OffsetNanos { get; set; }

        public long ToNanos(ulong ts)
        {
            unchecked
            {
                var nanos = NanosPerUnit != 0
                    ? ts * NanosPerUnit
                    : (ts / UnitsPerSecond) * 1_000_000_000UL + (ulong)((UInt128)(ts % UnitsPerSecond) * 1_000_000_000UL / UnitsPerSecond);
                return (long)nanos + OffsetNanos;
            }
        }
    }

    /// <summary>Checks the section header in the first bytes and collects the link types of the interface
    /// blocks that follow it within the probe.</summary>
    private bool ProbePcapNg(ReadOnlySpan<byte> head)
    {
        if (head.Length < SectionHeaderMinLength || !TryByteOrder(head, out var big))
        {
            return false;
        }
        var offset = 0;
        while (head.Length - offset >= PcapNgMinBlockLength)
        {
            var block = head[offset..];
            var type = ReadU32(block, big);
            if (type == PcapNgBlockType.SectionHeader)
            {
                if (!TryByteOrder(block, out big))
                {
                    return offset > 0;
                }
            }
            var length = ReadU32(block[4..], big);
            if (length < PcapNgMinBlockLength || length % 4 != 0 || length > block.Length)
            {
                break;
            }
            if (type == PcapNgBlockType.DecryptionSecrets)
            {
                AddDecryptionSecrets(block[BlockHeaderLength..(int)(length - BlockTrailerLength)], big);
            }
            if (type == PcapNgBlockType.InterfaceDescription && length >= 20)
            {
                var idb = ParseInterface(block[BlockHeaderLength..(int)(length - BlockTrailerLength)], big, 0, null, 0);
                if (idb is not null)
                {
                    AddLinkType(idb.LinkType);
                    UpdateSnapLength(idb.SnapLength);
                }
            }
            offset += (int)length;
        }
        return true;
    }

    private void UpdateSnapLength(uint snap)
    {
        if (snap is > 0 and <= int.MaxValue && (SnapLength is null || snap > SnapLength))
        {
            SnapLength = (int)snap;
        }
    }

    private static bool TryByteOrder(ReadOnlySpan<byte> shb, out bool bigEndian)
    {
        var bom = BinaryPrimitives.ReadUInt32LittleEndian(shb[8..]);
        bigEndian = bom == BinaryPrimitives.ReverseEndianness(ByteOrderMagic);
        return bigEndian || bom == ByteOrderMagic;
    }

    private void ReadPcapNg(ChunkedSource src, IPacketHandler handler, AnomalyReporter sink)
    {
        var big = false;
        var interfaces = new List<PcapNgInterface>();
        var globalInterfaces = 0;
        long lastTimestamp = 0;

        while (true)
        {
            var span = src.Available;
            if (span.Length < PcapNgMinBlockLength)
            {
                if (!src.Ensure(PcapNgMinBlockLength))
                {
                    if (src.Available.Length > 0)
                    {
                        sink.Report(PacketCount + 1, CaptureAnomalyKind.TruncatedRecord,
                            $"the file ends inside a block header ({src.Available.Length} bytes left)");
                    }
                    return;
                }
                continue;
            }

            var type = ReadU32(span, big);
            if (type == PcapNgBlockType.SectionHeader)
            {
                // The section header's own byte-order magic says how to read its length (and the whole section).
                if (!TryByteOrder(span, out big))
                {
                    sink.Report(PacketCount + 1, CaptureAnomalyKind.BlockMalformed, "section header with an invalid byte-order magic; reading stopped");
                    return;
                }
            }
            var length = ReadU32(span[4..], big);
            if (length < PcapNgMinBlockLength || length % 4 != 0 || length > MaxBlockLength)
            {
                if (TryResyncPcapNg(src, ref big, sink, type, length))
                {
                    continue;
                }
                return;
            }
            if (span.Length < length)
            {
                if (!src.Ensure((int)length))
                {
                    sink.Report(PacketCount + 1, CaptureAnomalyKind.TruncatedRecord,
                        $"the file ends inside the last block (type 0x{type:X8}, {src.Available.Length} of {length} bytes)");
                    return;
                }
                continue;
            }

            var block = span[..(int)length];
            var body = block[BlockHeaderLength..^BlockTrailerLength];
            if (ReadU32(block[^BlockTrailerLength..], big) != length)
            {
                sink.Report(PacketCount + 1, CaptureAnomalyKind.BlockMalformed,
                    $"pcapng block (type 0x{type:X8}) whose trailing length differs from its leading length {length}");
            }

            switch (type)
            {
                case PcapNgBlockType.SectionHeader:
                    if (length < SectionHeaderMinLength)
                    {
                        sink.Report(PacketCount + 1, CaptureAnomalyKind.RecordLengthInvalid, $"section header of {length} bytes; reading stopped");
                        return;
                    }
                    var major = ReadU16(body[4..], big);
                    if (major != SupportedMajorVersion)
                    {
                        sink.Report(PacketCount + 1, CaptureAnomalyKind.UnsupportedVersion, $"pcapng section version {major}.{ReadU16(body[6..], big)}; reading stopped");
                        return;
                    }
                    interfaces.Clear();
                    break;

                case PcapNgBlockType.InterfaceDescription:
                    if (interfaces.Count >= MaxInterfacesPerSection)
                    {
                        sink.Report(PacketCount + 1, CaptureAnomalyKind.BlockMalformed, $"more than {MaxInterfacesPerSection} interfaces in one section; interface ignored");
                        break;
                    }
                    var idb = ParseInterface(body, big, globalInterfaces, sink, PacketCount + 1);
                    if (idb is null)
                    {
                        sink.Report(PacketCount + 1, CaptureAnomalyKind.BlockMalformed, $"interface description block of {length} bytes is too short");
                        // Keep interface numbering aligned with the writer's.
                        idb = new PcapNgInterface { LinkType = (LinkType)uint.MaxValue, SnapLength = 0, GlobalIndex = globalInterfaces };
                    }
                    globalInterfaces++;
                    interfaces.Add(idb);
                    AddLinkType(idb.LinkType);
                    UpdateSnapLength(idb.SnapLength);
                    break;

                /*
                 * Enhanced Packet Block body:            Obsolete Packet Block body:
                 *   0  Interface ID (32)                   0  Interface ID (16), Drops Count (16)
                 *   4  Timestamp (High)                    4  Timestamp (High)
                 *   8  Timestamp (Low)                     8  Timestamp (Low)
                 *  12  Captured Packet Length             12  Captured Packet Length
                 *  16  Original Packet Length             16  Packet Length
                 *  20  Packet Data, padded to 32 bits     20  Packet Data, padded to 32 bits
                 *      Options                                Options
                 */
                case PcapNgBlockType.EnhancedPacket or PcapNgBlockType.ObsoletePacket:
                {
                    const int packetHeader = 20;
                    if (body.Length < packetHeader)
                    {
                        PacketCount++;
                        sink.Report(PacketCount, CaptureAnomalyKind.BlockMalformed, $"packet block of {length} bytes is too short; skipped");
                        break;
                    }
                    var ifIndex = type == PcapNgBlockType.EnhancedPacket ? ReadU32(body, big) : ReadU16(body, big);
                    var captured = ReadU32(body[12..], big);
                    var original = ReadU32(body[16..], big);
                    if (captured > MaxCapturedLength || captured > body.Length - packetHeader)
                    {
                        PacketCount++;
                        sink.Report(PacketCount, CaptureAnomalyKind.BlockMalformed,
                            $"packet block says {captured} captured bytes but holds {body.Length - packetHeader}; skipped");
                        break;
                    }
                    if (ifIndex >= interfaces.Count)
                    {
                        PacketCount++;
                        sink.Report(PacketCount, CaptureAnomalyKind.UnknownInterface, $"packet on interface {ifIndex}, but the section declares {interfaces.Count}; skipped");
                        break;
                    }
                    var iface = interfaces[(int)ifIndex];
                    var raw = ((ulong)ReadU32(body[4..], big) << 32) | ReadU32(body[8..], big);
                    lastTimestamp = iface.ToNanos(raw);
                    Deliver(handler, lastTimestamp, iface.LinkType, body.Slice(packetHeader, (int)captured), original, iface.GlobalIndex);
                    break;
                }

                /*
                 * Simple Packet Block body:
                 *   0  Original Packet Length
                 *   4  Packet Data (captured length = min(original, snaplen of interface 0, what the block holds))
                 * No timestamp: the previous packet's time is used so capture time never jumps back to 1970.
                 */
                case PcapNgBlockType.SimplePacket:
                {
                    if (body.Length < 4 || interfaces.Count == 0)
                    {
                        PacketCount++;
                        sink.Report(PacketCount, interfaces.Count == 0 ? CaptureAnomalyKind.UnknownInterface : CaptureAnomalyKind.BlockMalformed,
                            "simple packet block without an interface or too short; skipped");
                        break;
                    }
                    var iface = interfaces[0];
                    var original = ReadU32(body, big);
                    var captured = (int)Math.Min(original, (uint)(body.Length - 4));
                    if (iface.SnapLength > 0 && captured > iface.SnapLength)
                    {
                        captured = (int)iface.SnapLength;
                    }
                    if (captured > MaxCapturedLength)
                    {
                        PacketCount++;
                        sink.Report(PacketCount, CaptureAnomalyKind.BlockMalformed, $"simple packet block of {captured} bytes exceeds {MaxCapturedLength}; skipped");
                        break;
                    }
                    Deliver(handler, lastTimestamp, iface.LinkType, body.Slice(4, captured), original, iface.GlobalIndex);
                    break;
                }

                case PcapNgBlockType.DecryptionSecrets:
                    AddDecryptionSecrets(body, big);
                    break;

                default:
                    // Name resolution, interface statistics, custom blocks: not needed here.
                    break;
            }
            src.Advance((int)length);
        }
    }

    /// <summary>After an impossible block length, looks ahead (4-byte steps, at most <see cref="ResyncWindow"/>
    /// bytes) for a block of a known type whose leading and trailing lengths agree, and continues there.</summary>
    private bool TryResyncPcapNg(ChunkedSource src, ref bool big, AnomalyReporter sink, uint badType, uint badLength)
    {
        src.Ensure(ResyncWindow);
        var span = src.Available;
        var limit = Math.Min(span.Length, ResyncWindow);
        for (var offset = 4; offset + PcapNgMinBlockLength <= limit; offset += 4)
        {
            var candidate = span[offset..];
            var candidateBig = big;
            var type = ReadU32(candidate, candidateBig);
            if (type == PcapNgBlockType.SectionHeader && !TryByteOrder(candidate, out candidateBig))
            {
                continue;
            }
            if (!IsKnownBlockType(type))
            {
                continue;
            }
            var length = ReadU32(candidate[4..], candidateBig);
            if (length < PcapNgMinBlockLength || length % 4 != 0 || length > candidate.Length ||
                ReadU32(candidate[((int)length - BlockTrailerLength)..], candidateBig) != length)
            {
                continue;
            }
            src.Advance(offset);
            big = candidateBig;
            sink.Report(PacketCount + 1, CaptureAnomalyKind.RecordLengthInvalid,
                $"pcapng block (type 0x{badType:X8}) with impossible length {badLength}: {offset} corrupt bytes skipped to the next valid block");
            return true;
        }
        sink.Report(PacketCount + 1, CaptureAnomalyKind.RecordLengthInvalid,
            $"pcapng block (type 0x{badType:X8}) with impossible length {badLength} and no valid block within {ResyncWindow / 1024} KiB; reading stopped");
        return false;
    }

    private static bool IsKnownBlockType(uint type) => type is PcapNgBlockType.SectionHeader or PcapNgBlockType.InterfaceDescription
        or PcapNgBlockType.ObsoletePacket or PcapNgBlockType.SimplePacket or PcapNgBlockType.EnhancedPacket
        or 0x00000004 /* name resolution */ or 0x00000005 /* interface statistics */ or PcapNgBlockType.DecryptionSecrets
        or 0x00000BAD or 0x40000BAD /* custom */;

    /*
     * Interface Description Block body:
     *   0  LinkType (16), Reserved (16)
     *   4  SnapLen (32)
     *   8  Options: code (16), length (16), value padded to 32 bits; opt_endofopt (0) ends them.
     *      if_tsresol (9): 1 byte; MSB 0: 10^-n seconds, MSB 1: 2^-n seconds. Default 10^-6.
     *      if_tsoffset (14): 8 bytes, seconds added to every timestamp.
     */
    private static PcapNgInterface? ParseInterface(ReadOnlySpan<byte> body, bool big, int globalIndex, AnomalyReporter? sink, long packetNumber)
    {
        const int optionsOffset = 8;
        if (body.Length < optionsOffset)
        {
            return null;
        }
        var iface = new PcapNgInterface
        {
            LinkType = (LinkType)ReadU16(body, big),
            SnapLength = ReadU32(body[4..], big),
            GlobalIndex = globalIndex,
        };
        var options = body[optionsOffset..];
        while (options.Length >= 4)
        {
            var code = ReadU16(options, big);
            var len = ReadU16(options[2..], big);
            if (code == OptionEndOfOptions || options.Length - 4 < len)
            {
                break;
            }
            var value = options.Slice(4, len);
            if (code == OptionIfTsResol && len >= 1)
            {
                var v = value[0];
                var exponent = v & 0x7F;
                var powerOfTwo = (v & 0x80) != 0;
                if ((powerOfTwo && exponent > 63) || (!powerOfTwo && exponent > 19))
                {
                    sink?.Report(packetNumber, CaptureAnomalyKind.TimestampResolutionInvalid, $"if_tsresol 0x{v:X2} is out of range; microseconds assumed");
                }
                else
                {
                    var units = powerOfTwo ? 1UL << exponent : Pow10(exponent);
                    iface.UnitsPerSecond = units;
                    iface.NanosPerUnit = 1_000_000_000UL % units == 0 ? 1_000_000_000UL / units : 0;
                }
            }
            else if (code == OptionIfTsOffset && len >= 8)
            {
                iface.OffsetNanos = unchecked((long)(big ? BinaryPrimitives.ReadUInt64BigEndian(value) : BinaryPrimitives.ReadUInt64LittleEndian(value)) * 1_000_000_000L);
            }
            var advance = 4 + ((len + 3) & ~3);
            if (advance > options.Length)
            {
                break;
            }
            options = options[advance..];
        }
        return iface;
    }

    private static ulong Pow10(int n)
    {
        var r = 1UL;
        for (var i = 0; i < n; i++)
        {
            r *= 10;
        }
        return r;
    }

    private static uint ReadU32(ReadOnlySpan<byte> s, bool big) =>
        big ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    private static ushort ReadU16(ReadOnlySpan<byte> s, bool big) =>
        big ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    /// <summary>Null-tolerant front of the caller's sink.</summary>
    private readonly struct AnomalyReporter(ICaptureAnomalySink? sink)
    {
        public void Report(long packet, CaptureAnomalyKind kind, string detail) => sink?.Report(new CaptureAnomaly(packet, kind, detail));
    }

    /// <summary>A window over the stream held in one large buffer. Records are parsed in place; only the
    /// unparsed tail is moved when the buffer is refilled.</summary>
    private sealed class ChunkedSource(Stream stream, CountingStream raw, CaptureFileReader owner, CancellationToken ct)
    {
        private byte[] _buffer = new byte[ReadBufferSize];
        private int _start;
        private int _end;
        private bool _eof;

        public ReadOnlySpan<byte> Available => _buffer.AsSpan(_start, _end - _start);

        /// <summary>The stream has no more bytes than <see cref="Available"/>.</summary>
        public bool AtEnd => _eof;

        public void Advance(int count) => _start += count;

        /// <summary>Makes at least <paramref name="needed"/> bytes available; false when the stream ends first.</summary>
        public bool Ensure(int needed)
        {
            if (_end - _start >= needed)
            {
                return true;
            }
            if (_eof)
            {
                return false;
            }
            ct.ThrowIfCancellationRequested();
            // Move the unparsed tail (less than one record) to the front so each read can be a large one.
            var remaining = _end - _start;
            if (_buffer.Length < needed)
            {
                // Only a block larger than the read buffer (bounded by MaxBlockLength) gets here.
                var bigger = new byte[Math.Max(needed, _buffer.Length * 2)];
                Buffer.BlockCopy(_buffer, _start, bigger, 0, remaining);
                _buffer = bigger;
            }
            else if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, remaining);
            }
            _start = 0;
            _end = remaining;
            while (_end - _start < needed)
            {
                var n = stream.Read(_buffer, _end, _buffer.Length - _end);
                if (n == 0)
                {
                    _eof = true;
                    break;
                }
                _end += n;
            }
            Volatile.Write(ref owner._bytesRead, raw.BytesRead);
            return _end - _start >= needed;
        }
    }
}
