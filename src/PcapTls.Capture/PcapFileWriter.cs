using System.Buffers.Binary;

namespace PcapTls.Capture;

/// <summary>
/// Writes a classic pcap file (little-endian, micro- or nanosecond timestamps, one link type). The frames go
/// to a temporary file next to the target, renamed over it by <see cref="Complete"/>; disposing without
/// completing deletes it, so a failed run never leaves half a capture behind.
/// </summary>
public sealed class PcapFileWriter : IDisposable
{
    public const int DefaultSnapLength = 262_144;

    private const int FileHeaderLength = 24;
    private const int RecordHeaderLength = 16;
    private const ushort VersionMajor = 2;
    private const ushort VersionMinor = 4;
    private const uint MagicMicro = 0xA1B2C3D4;
    private const uint MagicNano = 0xA1B23C4D;

    private readonly string _tempPath;
    private readonly FileStream _stream;
    private readonly bool _nanosecond;
    private readonly int _snapLength;
    private bool _completed;
    private bool _disposed;

    /// <summary>Creates the temporary file; throws the usual IO exceptions when the folder is not writable.</summary>
    public PcapFileWriter(string path, LinkType linkType, bool nanosecond = false, int snapLength = DefaultSnapLength)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapLength);
        Path = System.IO.Path.GetFullPath(path);
        LinkType = linkType;
        _nanosecond = nanosecond;
        _snapLength = snapLength;
        var directory = System.IO.Path.GetDirectoryName(Path) ?? ".";
        _tempPath = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        _stream = new FileStream(_tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);

        Span<byte> header = stackalloc byte[FileHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, nanosecond ? MagicNano : MagicMicro);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], VersionMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], VersionMinor);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);   // thiszone: timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // sigfigs
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)linkType);
        _stream.Write(header);
    }

    /// <summary>The final path (absolute).</summary>
    public string Path { get; }

    public LinkType LinkType { get; }

    public long PacketsWritten { get; private set; }

    /// <summary>Writes one frame; data beyond the snapshot length is cut (the original length is kept).</summary>
    public void Write(long timestampNanos, ReadOnlySpan<byte> data, int originalLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
        {
            throw new InvalidOperationException("the capture file is already complete");
        }
        if (data.Length > _snapLength)
        {
            data = data[.._snapLength];
        }
        var seconds = Math.DivRem(timestampNanos, 1_000_000_000L, out var nanos);
        if (nanos < 0)
        {
            seconds--;
            nanos += 1_000_000_000L;
        }
        Span<byte> record = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(record, unchecked((uint)seconds));
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(_nanosecond ? nanos : nanos / 1000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)Math.Max(originalLength, data.Length));
        _stream.Write(record);
        _stream.Write(data);
        PacketsWritten++;
    }

    /// <summary>Writes a frame as read from a capture (its link type must be this file's).</summary>
    public void Write(in RawPacket packet)
    {
        if (packet.LinkType != LinkType)
        {
            throw new ArgumentException($"frame {packet.Number} has link type {packet.LinkType}, this file holds {LinkType}", nameof(packet));
        }
        Write(packet.TimestampNanos, packet.Data, packet.OriginalLength);
    }

    /// <summary>Flushes to disk and renames the temporary file to <see cref="Path"/> (replacing it).</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
        {
            return;
        }
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(_tempPath, Path, overwrite: true);
        _completed = true;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_completed)
        {
            try
            {
                // Disposing flushes what is buffered: on a full disk that fails again, and the file goes anyway.
                _stream.Dispose();
            }
            catch (IOException)
            {
            }
            try
            {
                File.Delete(_tempPath);
            }
            catch (IOException)
            {
                // Best effort: the temporary name starts with a dot and says what it is.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
