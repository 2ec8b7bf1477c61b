using System.IO.Compression;
using K4os.Compression.LZ4.Streams;
using SharpCompress.Compressors.BZip2;
using SharpCompress.Compressors.Xz;
using ZstdSharp;

namespace PcapTls.Capture.Inputs;

/// <summary>How a capture's bytes are compressed, told by the stream's first bytes (never by the file name).</summary>
public enum CaptureCompression
{
    None,
    Gzip,
    Zstd,
    Xz,
    Bzip2,
    Lz4,
}

/// <summary>Recognises compressed streams and wraps them in a streaming decompressor (bounded buffers, no seek).
/// gzip: .NET's GZipStream; zstd: ZstdSharp.Port (managed port of the reference library); xz and bzip2:
/// SharpCompress; lz4 frames: K4os.Compression.LZ4.Streams.</summary>
public static class Compression
{
    /// <summary>Bytes needed to tell the formats apart (xz's magic is the longest).</summary>
    public const int MagicLength = 6;

    public static CaptureCompression Detect(ReadOnlySpan<byte> head)
    {
        ReadOnlySpan<byte> gzip = [0x1F, 0x8B];
        ReadOnlySpan<byte> zstd = [0x28, 0xB5, 0x2F, 0xFD];
        ReadOnlySpan<byte> xz = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00];
        ReadOnlySpan<byte> lz4 = [0x04, 0x22, 0x4D, 0x18];
        if (head.StartsWith(gzip))
        {
            return CaptureCompression.Gzip;
        }
        if (head.StartsWith(zstd))
        {
            return CaptureCompression.Zstd;
        }
        if (head.StartsWith(xz))
        {
            return CaptureCompression.Xz;
        }
        if (head.StartsWith(lz4))
        {
            return CaptureCompression.Lz4;
        }
        // "BZh" then the block size '1'..'9'.
        if (head.Length >= 4 && head.StartsWith("BZh"u8) && head[3] is >= (byte)'1' and <= (byte)'9')
        {
            return CaptureCompression.Bzip2;
        }
        return CaptureCompression.None;
    }

    /// <summary>The decompressed content of <paramref name="raw"/> (left open), or raw itself when not compressed.
    /// Whatever a decompressor throws on hostile data (tools/fuzz compressed found ArgumentOutOfRangeException,
    /// IndexOutOfRangeException and NotImplementedException from inside the libraries) comes out as an
    /// <see cref="InvalidDataException"/>: the compressed stream is corrupt.</summary>
    public static Stream Decompress(Stream raw, CaptureCompression kind)
    {
        if (kind == CaptureCompression.None)
        {
            return raw;
        }
        try
        {
            return new GuardedDecompressor(Open(raw, kind), kind);
        }
        catch (Exception e) when (IsLibraryFailure(e))
        {
            throw Corrupt(kind, e);
        }
    }

    private static Stream Open(Stream raw, CaptureCompression kind) => kind switch
    {
        CaptureCompression.Gzip => new GZipStream(raw, CompressionMode.Decompress, leaveOpen: true),
        CaptureCompression.Zstd => new DecompressionStream(raw, leaveOpen: true),
        CaptureCompression.Xz => new XZStream(raw),
        CaptureCompression.Bzip2 => BZip2Stream.Create(raw, SharpCompress.Compressors.CompressionMode.Decompress, decompressConcatenated: true, leaveOpen: true, tolerateTruncatedStream: false),
        CaptureCompression.Lz4 => LZ4Stream.Decode(raw, leaveOpen: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Not a failure of the data: the disk, a cancel, memory. Everything else a decompressor throws is.</summary>
    private static bool IsLibraryFailure(Exception e) => e is not (OperationCanceledException or OutOfMemoryException or UnauthorizedAccessException)
        && !(e is IOException && e.GetType() == typeof(IOException)) && e is not InvalidDataException;

    private static InvalidDataException Corrupt(CaptureCompression kind, Exception e) =>
        new($"{Name(kind)} data corrupt ({e.Message})", e);

    /// <summary>A decompressor whose failures on corrupt data are <see cref="InvalidDataException"/>s.</summary>
    private sealed class GuardedDecompressor(Stream inner, CaptureCompression kind) : ForwardReadStream
    {
        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (Exception e) when (IsLibraryFailure(e))
            {
                throw Corrupt(kind, e);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>The name used in the report's format ("pcap.zst").</summary>
    public static string Suffix(CaptureCompression kind) => kind switch
    {
        CaptureCompression.Gzip => ".gz",
        CaptureCompression.Zstd => ".zst",
        CaptureCompression.Xz => ".xz",
        CaptureCompression.Bzip2 => ".bz2",
        CaptureCompression.Lz4 => ".lz4",
        _ => "",
    };

    /// <summary>The compression's usual name ("gzip", "zstd", ...).</summary>
    public static string Name(CaptureCompression kind) => kind switch
    {
        CaptureCompression.Gzip => "gzip",
        CaptureCompression.Zstd => "zstd",
        CaptureCompression.Xz => "xz",
        CaptureCompression.Bzip2 => "bzip2",
        CaptureCompression.Lz4 => "lz4",
        _ => "none",
    };

    /// <summary>Whether an exception thrown while reading a decompressor means the compressed data is corrupt or
    /// cut short (each library has its own way of saying so).</summary>
    public static bool IsCorruptData(Exception e) => e is InvalidDataException or ZstdException
        or SharpCompress.Common.SharpCompressException or InvalidOperationException or EndOfStreamException
        || (e is IOException && e.GetType() != typeof(IOException)) || e.GetType().Namespace?.StartsWith("K4os", StringComparison.Ordinal) == true;
}
