using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace PcapTls.Capture.Inputs;

/// <summary>
/// A forward-only reader of tar headers (POSIX ustar, GNU long names, pax path records), enough to find the
/// captures in a tar without extracting it. Each header's checksum is checked; names and pax records are bounded
/// (<see cref="CaptureArchive.MaxNameLength"/>, <see cref="MaxPaxBytes"/>). Only regular files are listed: links
/// and devices are never followed.
/// </summary>
internal sealed class TarEntries(Stream tar)
{
    /// <summary>A tar block.</summary>
    public const int BlockSize = 512;

    /// <summary>Bytes of pax extended-header records read for one entry.</summary>
    public const int MaxPaxBytes = 64 << 10;

    // ustar header fields (offset, length), POSIX.1-1988 as extended by ustar:
    //   name 0/100, mode 100/8, uid 108/8, gid 116/8, size 124/12, mtime 136/12, chksum 148/8, typeflag 156/1,
    //   linkname 157/100, magic 257/6 ("ustar\0", GNU: "ustar "), version 263/2, uname 265/32, gname 297/32,
    //   devmajor 329/8, devminor 337/8, prefix 345/155.
    private const int SizeOffset = 124;
    private const int SizeLength = 12;
    private const int ChecksumOffset = 148;
    private const int ChecksumLength = 8;
    private const int TypeOffset = 156;
    private const int MagicOffset = 257;
    private const int PrefixOffset = 345;
    private const int PrefixLength = 155;

    private readonly byte[] _block = new byte[BlockSize];
    private long _position;
    private long _skip;

    /// <summary>Bytes of an entry's data read with its header, to tell what the entry holds.</summary>
    public const int HeadBytes = 512;

    /// <summary>Whether the first block looks like a tar header ("ustar" at 257).</summary>
    public static bool IsTar(ReadOnlySpan<byte> head) => head.Length >= MagicOffset + 5 && head.Slice(MagicOffset, 5).SequenceEqual("ustar"u8);

    /// <summary>The next regular file (its name, size, offset of its data in the tar stream and first
    /// <see cref="HeadBytes"/> bytes), or null at the end; the rest of the previous entry is skipped. Throws
    /// <see cref="CaptureFormatException"/> for a damaged or cut header.</summary>
    public TarEntry? Next()
    {
        Skip(_skip);
        string? longName = null;
        string? paxPath = null;
        while (true)
        {
            var n = tar.ReadAtLeast(_block, BlockSize, throwOnEndOfStream: false);
            _position += n;
            if (n == 0 || _block.AsSpan().IndexOfAnyExcept((byte)0) < 0)
            {
                return null;
            }
            if (n < BlockSize)
            {
                throw new CaptureFormatException("the tar ends inside a header (cut short)");
            }
            if (!ChecksumMatches(_block))
            {
                throw new CaptureFormatException($"the tar header at offset {_position - BlockSize} has a wrong checksum (not a tar, or damaged)");
            }
            var size = Size(_block.AsSpan(SizeOffset, SizeLength));
            var type = (char)_block[TypeOffset];
            var padded = (size + BlockSize - 1) / BlockSize * BlockSize;
            switch (type)
            {
                case 'L':
                    longName = ReadText(size, CaptureArchive.MaxNameLength, "GNU long name");
                    Skip(padded - size);
                    continue;
                case 'x':
                    paxPath = PaxPath(ReadText(size, MaxPaxBytes, "pax header")) ?? paxPath;
                    Skip(padded - size);
                    continue;
                case '0' or '\0' or '7':
                    var offset = _position;
                    var head = new byte[(int)Math.Min(size, HeadBytes)];
                    var got = tar.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
                    _position += got;
                    if (got < head.Length)
                    {
                        throw new CaptureFormatException("the tar ends inside an entry (cut short)");
                    }
                    _skip = padded - got;
                    return new TarEntry(paxPath ?? longName ?? UstarName(_block), size, offset, head);
                default:
                    // Directories, links, devices, global pax headers: nothing to read.
                    Skip(padded);
                    longName = null;
                    paxPath = null;
                    continue;
            }
        }
    }

    private void Skip(long bytes)
    {
        _skip = 0;
        if (bytes <= 0)
        {
            return;
        }
        var buffer = new byte[(int)Math.Min(bytes, 64 << 10)];
        while (bytes > 0)
        {
            var n = tar.Read(buffer, 0, (int)Math.Min(bytes, buffer.Length));
            if (n == 0)
            {
                throw new CaptureFormatException("the tar ends inside an entry (cut short)");
            }
            bytes -= n;
            _position += n;
        }
    }

    private string ReadText(long size, int limit, string what)
    {
        if (size > limit)
        {
            throw new CaptureFormatException($"a tar {what} of {size} bytes (over {limit})");
        }
        var bytes = new byte[size];
        tar.ReadExactly(bytes);
        _position += size;
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
    }

    /// <summary>The "path" record of a pax header: records are "LENGTH key=value\n".</summary>
    private static string? PaxPath(string records)
    {
        string? path = null;
        foreach (var line in records.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var record = space >= 0 ? line[(space + 1)..] : line;
            if (record.StartsWith("path=", StringComparison.Ordinal))
            {
                path = record[5..];
            }
        }
        return path is { Length: > 0 and <= CaptureArchive.MaxNameLength } ? path : null;
    }

    private static string UstarName(byte[] header)
    {
        var name = Text(header.AsSpan(0, 100));
        var prefix = header.AsSpan(MagicOffset, 5).SequenceEqual("ustar"u8) ? Text(header.AsSpan(PrefixOffset, PrefixLength)) : "";
        return prefix.Length > 0 ? prefix + "/" + name : name;
    }

    private static string Text(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end >= 0 ? field[..end] : field);
    }

    /// <summary>Octal ASCII, or GNU base-256 (high bit of the first byte set) for sizes of 8 GiB and more.</summary>
    private static long Size(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            var value = BinaryPrimitives.ReadInt64BigEndian(field[^8..]);
            return value >= 0 ? value : throw new CaptureFormatException("a tar entry with a negative size");
        }
        var text = Text(field).Trim(' ', '\0');
        if (text.Length == 0)
        {
            return 0;
        }
        try
        {
            return Convert.ToInt64(text, 8);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new CaptureFormatException($"a tar entry size that is not octal ('{text}')", e);
        }
    }

    /// <summary>The header's checksum: the sum of its bytes with the checksum field taken as spaces.</summary>
    private static bool ChecksumMatches(ReadOnlySpan<byte> header)
    {
        var text = Text(header.Slice(ChecksumOffset, ChecksumLength)).Trim(' ', '\0');
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return false;
        }
        var stored = Convert.ToInt64(text, 8);
        long sum = 0;
        for (var i = 0; i < header.Length; i++)
        {
            sum += i is >= ChecksumOffset and < ChecksumOffset + ChecksumLength ? ' ' : header[i];
        }
        return sum == stored;
    }
}

/// <summary>One regular file of a tar: its data starts at <paramref name="DataOffset"/> of the tar stream.</summary>
internal sealed record TarEntry(string Name, long Size, long DataOffset, byte[] Head);
