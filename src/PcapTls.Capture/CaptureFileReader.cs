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
public sealed partial class CaptureFileReader : ICaptureInput
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
            return Probe(source);
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

    /// <summary>Reads the first bytes (through the decompressor the magic names) and identifies the format; the
    /// caller turns the exceptions into one-line messages.</summary>
    private static CaptureFileReader Probe(CaptureSource source)
    {
        var path = source.Name;
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
                var known = OtherCaptureFormats.Describe(head);
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

    private void UpdateSnapLength(uint snap)
    {
        if (snap is > 0 and <= int.MaxValue && (SnapLength is null || snap > SnapLength))
        {
            SnapLength = (int)snap;
        }
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
}
