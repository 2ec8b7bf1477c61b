namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// VXLAN (RFC 7348), UDP 4789 (and 8472, the Linux kernel's default before IANA's): flags (8, I = 0x08: the
/// VNI is valid), reserved (24), VNI (24), reserved (8); an Ethernet frame follows. The VNI is tunnel context.
/// </summary>
internal static class VxlanDecoder
{
    private const int HeaderLength = 8;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        var d = w.Data;
        if (d.Length < HeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        var vni = ((uint)d[4] << 16) | ((uint)d[5] << 8) | d[6];
        if (w.Record(Layer.Vxlan, vni) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        w.Path.MixContext((1UL << 44) | vni);
        return w.Consume(HeaderLength, Layer.Ethernet);
    }
}
