namespace PcapTls.Tls;

// Resynchronisation after a gap or garbage (one part of TlsConnectionDecoder).
public sealed partial class TlsConnectionDecoder
{
    private int FeedResync(Side s, ReadOnlySpan<byte> data)
    {
        // Held bytes (at most 4) are the tail of what was already scanned; look across the boundary first.
        Span<byte> joint = stackalloc byte[2 * TlsRecordParser.HeaderLength];
        var held = s.Pending.Count;
        s.Pending.Span.CopyTo(joint);
        var extra = Math.Min(data.Length, TlsRecordParser.HeaderLength);
        data[..extra].CopyTo(joint[held..]);
        var jointSpan = joint[..(held + extra)];
        for (var i = 0; i < held; i++)
        {
            if (IsPlausibleAt(jointSpan[i..]))
            {
                s.Pending.Consume(i);
                s.Mode = Mode.Records;
                return 0;
            }
        }
        for (var j = 0; j + TlsRecordParser.HeaderLength <= data.Length; j++)
        {
            if (IsPlausibleAt(data[j..]))
            {
                s.Pending.Clear();
                s.Mode = Mode.Records;
                return j;
            }
        }
        // Keep the last 4 bytes: a header may straddle this call and the next. jointSpan is a copy, so clearing
        // Pending does not disturb it; when data is shorter than the tail, jointSpan ends where data ends.
        var tailLength = Math.Min(TlsRecordParser.HeaderLength - 1, held + data.Length);
        var tail = data.Length >= tailLength ? data[^tailLength..] : jointSpan[^tailLength..];
        s.Pending.Clear();
        s.Pending.Append(tail);
        return data.Length;
    }

    private bool IsPlausibleAt(ReadOnlySpan<byte> data)
        => TlsRecordParser.TryParseHeader(data, out var header) == TlsParseResult.Complete && TlsRecordParser.IsPlausibleHeader(header, limits.MaxRecordLength);
}
