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

    /// <summary>Forgets the bytes and gives the memory back (a side that stops must not pin its buffers).</summary>
    public void Clear()
    {
        Count = 0;
        if (data.Length > InitialCapacity * 16)
        {
            data = [];
        }
    }

    public void Release()
    {
        Count = 0;
        data = [];
    }
}
