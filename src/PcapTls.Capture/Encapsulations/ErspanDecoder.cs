using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// ERSPAN type II (8 bytes): version (4) = 1, VLAN (12), COS (3), encapsulation type (2), truncated (1), session
/// id (10), reserved (12), index (20); the mirrored Ethernet frame follows.
/// ERSPAN type III (12 bytes): version (4) = 2, VLAN (12), COS (3), BSO (2), T (1), session id (10), timestamp
/// (32), SGT (16), P (1), frame type (5: 0 Ethernet, 2 IP), hardware id (6), direction (1), granularity (2),
/// O (1): an 8-byte platform-specific subheader follows when O is set. The session id is tunnel context.
/// </summary>
internal static class ErspanDecoder
{
    private const int TypeIIHeaderLength = 8;
    private const int TypeIIIHeaderLength = 12;
    private const int PlatformSubheaderLength = 8;
    private const int FrameTypeEthernet = 0;
    private const int FrameTypeIp = 2;

    public static LayerOutcome DecodeTypeII(ref FrameWalk w)
    {
        if (w.Data.Length < TypeIIHeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        if (w.Data[0] >> 4 != 1)
        {
            return LayerOutcome.Malformed;
        }
        var session = Session(w.Data);
        if (w.Record(Layer.ErspanII, session) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        w.Path.MixContext((1UL << 43) | session);
        return w.Consume(TypeIIHeaderLength, Layer.Ethernet);
    }

    public static LayerOutcome DecodeTypeIII(ref FrameWalk w)
    {
        var d = w.Data;
        if (d.Length < TypeIIIHeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        if (d[0] >> 4 != 2)
        {
            return LayerOutcome.Malformed;
        }
        var length = TypeIIIHeaderLength + ((d[11] & 1) != 0 ? PlatformSubheaderLength : 0);
        if (d.Length < length)
        {
            return LayerOutcome.Truncated;
        }
        var session = Session(d);
        if (w.Record(Layer.ErspanIII, session) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        w.Path.MixContext((1UL << 43) | session);
        var frameType = (d[10] >> 2) & 0x1F;
        return frameType switch
        {
            FrameTypeEthernet => w.Consume(length, Layer.Ethernet),
            FrameTypeIp => w.Consume(length, Layer.IPByVersion),
            _ => w.Unknown(DispatchTable.ErspanFrameType, (uint)frameType),
        };
    }

    private static uint Session(ReadOnlySpan<byte> d) => (uint)(BinaryPrimitives.ReadUInt16BigEndian(d[2..]) & 0x03FF);
}
