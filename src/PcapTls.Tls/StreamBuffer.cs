namespace PcapTls.Tls;

/// <summary>
/// Bytes of one side held back until a record or message is whole. Grows by doubling from a small start so an
/// idle connection costs little; callers check their limit before appending, so it never outgrows it.
/// </summary>
internal sealed class StreamBuffer
{
    private const int InitialCapacity = 256;
    private byte[] data = [];

    public int Count { get; private set; }

    public ReadOnlySpan<byte> Span => data.AsSpan(0, Count);

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (Count + bytes.Length > data.Length)
        {
            var capacity = Math.Max(InitialCapacity, data.Length);
            while (capacity < Count + bytes.Length)
            {
                capacity *= 2;
            }
            Array.Resize(ref data, capacity);
        }
        bytes.CopyTo(data.AsSpan(Count));
        Count += bytes.Length;
    }

    /// <summary>Drops the first count bytes (rare and short: only leftovers after a complete unit move).</summary>
    public void Consume(int count)
    {
        if (count >= Count)
        {
            Clear();
            return;
        }
        data.AsSpan(count, Count - count).CopyTo(data);
        Count -= count;
    }

    /// <summary>
    /// Capacity kept across Clear: a whole record (2^14 + 2048 + 5) fits, so a stream whose records straddle TCP
    /// segments reuses one array; only an exceptional buffer (a large handshake message) is given back.
    /// </summary>
    private const int RetainedCapacity = 32 * 1024;

    /// <summary>Forgets the bytes; keeps a record-sized array for reuse, gives a larger one back.</summary>
    public void Clear()
    {
        Count = 0;
        if (data.Length > RetainedCapacity)
        {
            data = [];
        }
    }

    /// <summary>Forgets the bytes and the memory (a side that stops must not pin its buffers).</summary>
    public void Release()
    {
        Count = 0;
        data = [];
    }
}
