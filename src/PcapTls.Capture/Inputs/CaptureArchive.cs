using System.IO.Compression;

namespace PcapTls.Capture.Inputs;

/// <summary>What an archive is: a zip, or a tar (plain or compressed: .tar.gz, .tar.zst, .tar.xz, ...).</summary>
public enum ArchiveKind
{
    None,
    Zip,
    Tar,
}

/// <summary>One capture (or key log) inside an archive, read in place: <see cref="Source"/> opens the entry's
/// bytes again for each pass, through the archive, never extracted to disk.</summary>
/// <param name="Name">The entry's path inside the archive.</param>
public sealed record ArchiveMember(string Name, long Length, CaptureSource Source);

/// <summary>The captures and key logs of an archive, and what was left out.</summary>
public sealed record ArchiveContents(IReadOnlyList<ArchiveMember> Captures, IReadOnlyList<ArchiveMember> KeyLogs, IReadOnlyList<string> Skipped);

/// <summary>
/// Captures inside a .zip, .tar or compressed tar, read in place: the archive is listed once (each entry's first
/// bytes tell a capture from the rest), then each capture is a <see cref="CaptureSource"/> that streams the
/// entry again through the archive, with bounded buffers. Hostile archives are refused with one line: entry names
/// that climb out of the archive (path traversal), entries that inflate beyond <see cref="MaxCompressionRatio"/>
/// or beyond their declared size (zip bombs), archives inside archives (nesting), too many entries.
/// </summary>
public static class CaptureArchive
{
    /// <summary>Entries listed in one archive.</summary>
    public const int MaxEntries = 10_000;

    /// <summary>Longest entry name (GNU long names and pax paths included).</summary>
    public const int MaxNameLength = 4096;

    /// <summary>Decompressed bytes per compressed byte an entry (zip) or the whole stream (compressed tar) may
    /// reach. Captures compress 2-20x (repetitive bulk transfers up to ~200x); deflate peaks near 1,030x, and zip bombs reach that or far more by nesting.</summary>
    public const double MaxCompressionRatio = 500;

    /// <summary>Below this many decompressed bytes the ratio is not checked (tiny files compress absurdly well).</summary>
    public const long RatioCheckFrom = 1 << 20;

    private static readonly string[] KeyLogSuffixes = [".keys", ".keylog", ".keylog.txt", "sslkeylog.log", "sslkeys.log"];

    /// <summary>Whether a file's name says it is a TLS key log (in an archive or a directory of captures).</summary>
    public static bool IsKeyLogName(string name) => KeyLogSuffixes.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase));

    /// <summary>A key log member's text, read through the archive (UTF-8); null when it is longer than
    /// <paramref name="maxBytes"/>.</summary>
    public static string? ReadText(ArchiveMember member, long maxBytes)
    {
        using var stream = member.Source.OpenForRead();
        using var bytes = new MemoryStream();
        var buffer = new byte[64 << 10];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            if (bytes.Length + n > maxBytes)
            {
                return null;
            }
            bytes.Write(buffer, 0, n);
        }
        return System.Text.Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
    }

    /// <summary>Tells an archive by its first bytes: "PK\x03\x04" (zip, or "PK\x05\x06" for an empty one), "ustar"
    /// at offset 257 (tar), or a compressed stream whose content has "ustar" there.</summary>
    public static (ArchiveKind Kind, CaptureCompression Compression) Detect(string path)
    {
        using var raw = CaptureSource.OpenFile(path);
        var head = new byte[TarEntries.BlockSize];
        var n = raw.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var kind = Kind(head.AsSpan(0, n));
        if (kind != ArchiveKind.None)
        {
            return (kind, CaptureCompression.None);
        }
        var compression = Compression.Detect(head.AsSpan(0, n));
        if (compression == CaptureCompression.None)
        {
            return (ArchiveKind.None, compression);
        }
        raw.Position = 0;
        try
        {
            using var content = Compression.Decompress(raw, compression);
            var inner = new byte[TarEntries.BlockSize];
            var m = content.ReadAtLeast(inner, inner.Length, throwOnEndOfStream: false);
            return TarEntries.IsTar(inner.AsSpan(0, m)) ? (ArchiveKind.Tar, compression) : (ArchiveKind.None, compression);
        }
        catch (Exception e) when (Compression.IsCorruptData(e))
        {
            // Not for this class to say: the capture reader reports a broken compressed file.
            return (ArchiveKind.None, compression);
        }
    }

    private static ArchiveKind Kind(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("PK\u0003\u0004"u8) || head.StartsWith("PK\u0005\u0006"u8))
        {
            return ArchiveKind.Zip;
        }
        return TarEntries.IsTar(head) ? ArchiveKind.Tar : ArchiveKind.None;
    }

    /// <summary>Lists the archive. Throws <see cref="CaptureFormatException"/> ("PATH: ...", one line) for a hostile
    /// or damaged archive, or one that holds no capture.</summary>
    public static ArchiveContents List(string path)
    {
        var (kind, compression) = Detect(path);
        try
        {
            var contents = kind switch
            {
                ArchiveKind.Zip => ListZip(path),
                ArchiveKind.Tar => ListTar(path, compression),
                _ => throw new CaptureFormatException("not an archive"),
            };
            if (contents.Captures.Count == 0)
            {
                var nested = contents.Skipped.Where(s => s.EndsWith("(an archive inside the archive)", StringComparison.Ordinal)).ToList();
                throw new CaptureFormatException(nested.Count > 0
                    ? $"holds no capture, only archives inside it ({nested[0]}): nested archives are not read; extract the inner one first"
                    : $"holds no capture ({contents.Skipped.Count} other entries{(contents.Skipped.Count > 0 ? ", e.g. " + contents.Skipped[0] : "")})");
            }
            return contents;
        }
        catch (CaptureFormatException e) when (!e.Message.StartsWith(path + ":", StringComparison.Ordinal))
        {
            throw new CaptureFormatException($"{path}: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new CaptureFormatException($"{path}: not a valid {(kind == ArchiveKind.Zip ? "zip" : "tar")} archive ({e.Message})", e);
        }
        catch (Exception e) when (e is not CaptureFormatException && Compression.IsCorruptData(e))
        {
            throw new CaptureFormatException($"{path}: not a valid compressed tar ({e.Message})", e);
        }
    }

    private static ArchiveContents ListZip(string path)
    {
        var captures = new List<ArchiveMember>();
        var keyLogs = new List<ArchiveMember>();
        var skipped = new List<string>();
        using var zip = new ZipArchive(CaptureSource.OpenFile(path), ZipArchiveMode.Read, leaveOpen: false);
        if (zip.Entries.Count > MaxEntries)
        {
            throw new CaptureFormatException($"{zip.Entries.Count} entries (at most {MaxEntries} are listed)");
        }
        for (var i = 0; i < zip.Entries.Count; i++)
        {
            var entry = zip.Entries[i];
            if (entry.FullName.EndsWith('/') && entry.Length == 0)
            {
                continue;
            }
            CheckName(entry.FullName);
            if (entry.Length >= RatioCheckFrom && entry.Length > MaxCompressionRatio * Math.Max(1, entry.CompressedLength))
            {
                throw Bomb(entry.FullName, entry.Length, entry.CompressedLength);
            }
            var index = i;
            var name = entry.FullName;
            var length = entry.Length;
            Stream Open()
            {
                var z = new ZipArchive(CaptureSource.OpenFile(path), ZipArchiveMode.Read, leaveOpen: false);
                try
                {
                    return new EntryStream(z.Entries[index].Open(), length, name, z);
                }
                catch
                {
                    z.Dispose();
                    throw;
                }
            }
            var head = new byte[TarEntries.HeadBytes];
            int got;
            using (var s = Open())
            {
                got = s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            }
            Classify(path, name, length, head.AsSpan(0, got), Open, captures, keyLogs, skipped);
        }
        return new ArchiveContents(captures, keyLogs, skipped);
    }

    private static ArchiveContents ListTar(string path, CaptureCompression compression)
    {
        var captures = new List<ArchiveMember>();
        var keyLogs = new List<ArchiveMember>();
        var skipped = new List<string>();
        var fileLength = new FileInfo(path).Length;
        using (var tar = OpenTar(path, compression, fileLength))
        {
            var entries = new TarEntries(tar);
            var count = 0;
            while (entries.Next() is { } e)
            {
                if (++count > MaxEntries)
                {
                    throw new CaptureFormatException($"over {MaxEntries} entries");
                }
                CheckName(e.Name);
                var offset = e.DataOffset;
                var size = e.Size;
                var name = e.Name;
                Stream Open()
                {
                    var stream = OpenTar(path, compression, fileLength);
                    try
                    {
                        if (stream.CanSeek)
                        {
                            stream.Position = offset;
                        }
                        else
                        {
                            SkipBytes(stream, offset);
                        }
                        return new EntryStream(stream, size, name, null);
                    }
                    catch
                    {
                        stream.Dispose();
                        throw;
                    }
                }
                Classify(path, name, size, e.Head, Open, captures, keyLogs, skipped);
            }
        }
        return new ArchiveContents(captures, keyLogs, skipped);
    }

    /// <summary>The tar stream: the file itself (seekable), or its decompressed content, whose size is held to
    /// <see cref="MaxCompressionRatio"/> times the file's.</summary>
    private static Stream OpenTar(string path, CaptureCompression compression, long fileLength)
    {
        var raw = CaptureSource.OpenFile(path);
        if (compression == CaptureCompression.None)
        {
            return raw;
        }
        var limit = (long)Math.Min(long.MaxValue / 2, Math.Max(RatioCheckFrom, MaxCompressionRatio * fileLength));
        return new RatioLimitedStream(Compression.Decompress(raw, compression), raw, limit, fileLength);
    }

    private static void SkipBytes(Stream s, long bytes)
    {
        var buffer = new byte[64 << 10];
        while (bytes > 0)
        {
            var n = s.Read(buffer, 0, (int)Math.Min(bytes, buffer.Length));
            if (n == 0)
            {
                throw new CaptureFormatException("the archive ends before the entry (it changed since it was listed?)");
            }
            bytes -= n;
        }
    }

    private static void Classify(string path, string name, long length, ReadOnlySpan<byte> head, Func<Stream> open,
        List<ArchiveMember> captures, List<ArchiveMember> keyLogs, List<string> skipped)
    {
        var display = $"{path}/{name}";
        if (IsKeyLogName(name))
        {
            keyLogs.Add(new ArchiveMember(name, length, CaptureSource.Reopenable(display, open, length)));
            return;
        }
        var inner = head;
        var compression = Compression.Detect(head);
        byte[]? decompressed = null;
        if (compression != CaptureCompression.None)
        {
            // A .pcap.gz in the zip: look at what it decompresses to.
            try
            {
                using var s = Compression.Decompress(open(), compression);
                decompressed = new byte[TarEntries.HeadBytes];
                inner = decompressed.AsSpan(0, s.ReadAtLeast(decompressed, decompressed.Length, throwOnEndOfStream: false));
            }
            catch (Exception e) when (Compression.IsCorruptData(e))
            {
                inner = [];
            }
        }
        if (IsCapture(inner))
        {
            captures.Add(new ArchiveMember(name, length, CaptureSource.Reopenable(display, open, length)));
        }
        else if (Kind(inner) != ArchiveKind.None || (compression != CaptureCompression.None && TarEntries.IsTar(inner)))
        {
            skipped.Add($"{name} (an archive inside the archive)");
        }
        else
        {
            skipped.Add(name);
        }
    }

    /// <summary>pcap (either byte order, micro or nanosecond) or pcapng (Section Header Block).</summary>
    private static bool IsCapture(ReadOnlySpan<byte> head)
    {
        if (head.Length < 4)
        {
            return false;
        }
        var magic = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(head);
        return magic is 0xA1B2C3D4 or 0xD4C3B2A1 or 0xA1B23C4D or 0x4D3CB2A1 or 0x0A0D0D0A;
    }

    /// <summary>Refuses names that would climb out of the archive if extracted: "..", absolute paths, drive letters,
    /// NUL. Nothing is extracted here, but such a name is a sign of a hostile archive, and the user should know.</summary>
    private static void CheckName(string name)
    {
        if (name.Length > MaxNameLength)
        {
            throw new CaptureFormatException($"an entry name of {name.Length} characters (over {MaxNameLength})");
        }
        var parts = name.Replace('\\', '/').Split('/');
        if (name.StartsWith('/') || name.StartsWith('\\') || (name.Length >= 2 && name[1] == ':') || name.Contains('\0', StringComparison.Ordinal)
            || parts.Any(p => p == ".."))
        {
            throw new CaptureFormatException($"entry '{Printable(name)}' points outside the archive (path traversal): refused");
        }
    }

    private static string Printable(string name) => new([.. name.Take(200).Select(c => char.IsControl(c) ? '?' : c)]);

    internal static CaptureFormatException Bomb(string name, long length, long compressed) => new(
        $"entry '{Printable(name)}' inflates to {length} bytes from {compressed} (over {MaxCompressionRatio:0}x: a zip bomb?): refused");

    /// <summary>An entry's bytes, held to its declared size: a zip entry that inflates beyond what its header says
    /// stops with an error (its declared size was checked against <see cref="MaxCompressionRatio"/>).</summary>
    private sealed class EntryStream(Stream inner, long length, string name, IDisposable? owner) : ForwardReadStream
    {
        private long _read;

        public override int Read(Span<byte> buffer)
        {
            if (_read >= length)
            {
                // One more byte past the declared end means the entry lied about its size.
                if (owner is not null && inner.Read(buffer[..Math.Min(1, buffer.Length)]) > 0)
                {
                    throw new CaptureFormatException($"entry '{Printable(name)}' inflates beyond its declared {length} bytes (a zip bomb?): refused");
                }
                return 0;
            }
            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, length - _read)]);
            if (n == 0)
            {
                throw new CaptureFormatException($"entry '{Printable(name)}' ends after {_read} of its {length} bytes (the archive is cut short)");
            }
            _read += n;
            return n;
        }

        public override long Length => length;

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                owner?.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>A decompressed stream held to <paramref name="limit"/> bytes (the compressed file's size times
    /// <see cref="MaxCompressionRatio"/>).</summary>
    private sealed class RatioLimitedStream(Stream inner, Stream raw, long limit, long fileLength) : ForwardReadStream
    {
        private long _read;

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            _read += n;
            if (_read > limit)
            {
                throw new CaptureFormatException($"the tar inflates to over {limit} bytes from {fileLength} (over {MaxCompressionRatio:0}x: a compression bomb?): refused");
            }
            return n;
        }

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                raw.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
