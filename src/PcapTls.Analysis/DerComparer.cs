namespace PcapTls.Analysis;

/// <summary>DER encodings compared by content (the tables that parse or decode each distinct encoding once).</summary>
internal sealed class DerComparer : IEqualityComparer<byte[]>
{
    public static readonly DerComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(byte[] obj)
    {
        var h = new HashCode();
        h.AddBytes(obj);
        return h.ToHashCode();
    }
}
