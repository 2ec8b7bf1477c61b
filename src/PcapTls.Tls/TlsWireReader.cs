using System.Buffers.Binary;

namespace PcapTls.Tls;

/// <summary>
/// A cursor over one complete TLS structure. Every read checks the remaining length, so a length prefix that
/// points past the end yields false instead of an exception; parsers turn that into Malformed.
/// </summary>
internal ref struct TlsWireReader
{
    private readonly ReadOnlySpan<byte> data;
    private int offset;

    public TlsWireReader(ReadOnlySpan<byte> data)
    {
        this.data = data;
        offset = 0;
    }

    public readonly int Offset => offset;

    public readonly int Remaining => data.Length - offset;

    public readonly bool IsEmpty => offset == data.Length;

    public bool TryReadUInt8(out byte value)
    {
        if (Remaining < 1)
        {
            value = 0;
            return false;
        }
        value = data[offset++];
        return true;
    }

    public bool TryReadUInt16(out ushort value)
    {
        if (Remaining < 2)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(offset, 2));
        offset += 2;
        return true;
    }

    public bool TryReadUInt24(out int value)
    {
        if (Remaining < 3)
        {
            value = 0;
            return false;
        }
        value = ReadUInt24(data.Slice(offset, 3));
        offset += 3;
        return true;
    }

    public bool TryReadBytes(int count, out ReadOnlySpan<byte> value)
    {
        if (count < 0 || Remaining < count)
        {
            value = default;
            return false;
        }
        value = data.Slice(offset, count);
        offset += count;
        return true;
    }

    /// <summary>opaque x&lt;0..2^8-1&gt;</summary>
    public bool TryReadVector8(out ReadOnlySpan<byte> value)
    {
        value = default;
        return TryReadUInt8(out var length) && TryReadBytes(length, out value);
    }

    /// <summary>opaque x&lt;0..2^16-1&gt;</summary>
    public bool TryReadVector16(out ReadOnlySpan<byte> value)
    {
        value = default;
        return TryReadUInt16(out var length) && TryReadBytes(length, out value);
    }

    /// <summary>opaque x&lt;0..2^24-1&gt;</summary>
    public bool TryReadVector24(out ReadOnlySpan<byte> value)
    {
        value = default;
        return TryReadUInt24(out var length) && TryReadBytes(length, out value);
    }

    public static int ReadUInt24(ReadOnlySpan<byte> span) => (span[0] << 16) | (span[1] << 8) | span[2];

    /// <summary>Reads a vector of uint16 values (cipher suites, signature schemes, groups); an odd length is malformed.</summary>
    public static bool TryReadUInt16List(ReadOnlySpan<byte> vector, out ushort[] values)
    {
        if ((vector.Length & 1) != 0)
        {
            values = [];
            return false;
        }
        values = new ushort[vector.Length / 2];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadUInt16BigEndian(vector.Slice(i * 2, 2));
        }
        return true;
    }
}
