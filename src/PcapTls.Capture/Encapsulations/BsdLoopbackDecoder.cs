namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// BSD loopback: a 4-byte address family, in the capturing host's byte order for NULL (0), in network byte order
/// for LOOP (108). Writers get this wrong, so both byte orders are accepted for both.
/// </summary>
internal static class BsdLoopbackDecoder
{
    private const int HeaderLength = 4;
    private const uint AfInet = 2;
    private const uint AfInet6Bsd = 24;      // NetBSD, OpenBSD, BSD/OS
    private const uint AfInet6FreeBsd = 28;
    private const uint AfInet6Darwin = 30;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        if (w.Data.Length < HeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        var little = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(w.Data);
        var big = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(w.Data);
        if (w.Record(Layer.BsdLoopback) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        if (little == AfInet || big == AfInet)
        {
            return w.Consume(HeaderLength, Layer.IPv4);
        }
        if (IsAfInet6(little) || IsAfInet6(big))
        {
            return w.Consume(HeaderLength, Layer.IPv6);
        }
        return LayerOutcome.NotIp;
    }

    private static bool IsAfInet6(uint family) => family is AfInet6Bsd or AfInet6FreeBsd or AfInet6Darwin;
}
