namespace PcapTls.Validation;

/// <summary>
/// Measures how deep BER/DER nesting goes without building anything, so that input too deep for a recursive
/// parser is refused first. Constructed values count one level; so do OCTET STRING and BIT STRING contents that
/// themselves start with a SEQUENCE or SET (X.509 extension values are parsed from those). Malformed encodings
/// end the walk quietly: the real parser says what is wrong with them.
/// </summary>
internal static class Asn1Depth
{
    private const byte ConstructedBit = 0x20;
    private const byte HighTagNumber = 0x1F;
    private const byte LongLengthBit = 0x80;
    private const byte BitStringTag = 0x03;
    private const byte OctetStringTag = 0x04;
    private const byte SequenceTag = 0x30;
    private const byte SetTag = 0x31;

    /// <summary>True when some value is nested more than <paramref name="maxDepth"/> levels deep. Recurses at
    /// most maxDepth + 1 levels itself.</summary>
    public static bool Exceeds(ReadOnlySpan<byte> der, int maxDepth) => Deepest(der, 0, maxDepth) > maxDepth;

    private static int Deepest(ReadOnlySpan<byte> data, int depth, int maxDepth)
    {
        var deepest = depth;
        while (!data.IsEmpty)
        {
            if (!TryReadHeader(data, out var tag, out var headerLength, out var contentLength))
            {
                return deepest;
            }
            var content = contentLength < 0 ? data[headerLength..] : data.Slice(headerLength, contentLength);
            var inner = (tag & ConstructedBit) != 0 ? content
                : tag == OctetStringTag ? content
                : tag == BitStringTag && content.Length > 1 ? content[1..]
                : default;
            var nested = (tag & ConstructedBit) != 0 || (!inner.IsEmpty && inner[0] is SequenceTag or SetTag);
            if (nested)
            {
                if (depth + 1 > maxDepth)
                {
                    return depth + 1;
                }
                deepest = Math.Max(deepest, Deepest(inner, depth + 1, maxDepth));
                if (deepest > maxDepth)
                {
                    return deepest;
                }
            }
            if (contentLength < 0)
            {
                return deepest;
            }
            data = data[(headerLength + contentLength)..];
        }
        return deepest;
    }

    /// <summary>Identifier octets (high tag numbers skipped over) and length octets (short, long up to 4 bytes,
    /// or indefinite: contentLength -1). False when the header is cut short or the length overruns the data.</summary>
    private static bool TryReadHeader(ReadOnlySpan<byte> data, out byte tag, out int headerLength, out int contentLength)
    {
        tag = data[0];
        headerLength = 1;
        contentLength = 0;
        if ((tag & HighTagNumber) == HighTagNumber)
        {
            while (headerLength < data.Length && (data[headerLength] & 0x80) != 0)
            {
                headerLength++;
            }
            headerLength++;
        }
        if (headerLength >= data.Length)
        {
            return false;
        }
        var first = data[headerLength++];
        if ((first & LongLengthBit) == 0)
        {
            contentLength = first;
        }
        else if (first == LongLengthBit)
        {
            contentLength = -1;
            return (tag & ConstructedBit) != 0;
        }
        else
        {
            var octets = first & 0x7F;
            if (octets > 4 || headerLength + octets > data.Length)
            {
                return false;
            }
            long length = 0;
            for (var i = 0; i < octets; i++)
            {
                length = (length << 8) | data[headerLength++];
            }
            if (length > int.MaxValue)
            {
                return false;
            }
            contentLength = (int)length;
        }
        return contentLength <= data.Length - headerLength;
    }
}
