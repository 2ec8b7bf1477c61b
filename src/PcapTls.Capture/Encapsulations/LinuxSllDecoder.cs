using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// LINUX_SLL (113): packet type (2), ARPHRD type (2), address length (2), address (8), protocol (2) at 14.
/// LINUX_SLL2 (276): protocol (2) at 0, reserved (2), interface index (4), ARPHRD type (2), packet type (1),
/// address length (1), address (8). The protocol is an EtherType; 0x0004 means 802.2 LLC follows.
/// </summary>
internal static class LinuxSllDecoder
{
    private const int SllHeaderLength = 16;
    private const int SllProtocolOffset = 14;
    private const int Sll2HeaderLength = 20;
    private const ushort ProtocolLlc = 0x0004;
    private const ushort ProtocolNovell8023 = 0x0001;

    public static LayerOutcome DecodeSll(ref FrameWalk w) => Decode(ref w, Layer.LinuxSll, SllHeaderLength, SllProtocolOffset);

    public static LayerOutcome DecodeSll2(ref FrameWalk w) => Decode(ref w, Layer.LinuxSll2, Sll2HeaderLength, 0);

    private static LayerOutcome Decode(ref FrameWalk w, Layer layer, int headerLength, int protocolOffset)
    {
        if (w.Data.Length < headerLength)
        {
            return LayerOutcome.Truncated;
        }
        if (w.Record(layer) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        var protocol = BinaryPrimitives.ReadUInt16BigEndian(w.Data[protocolOffset..]);
        return protocol switch
        {
            ProtocolLlc => w.Consume(headerLength, Layer.LlcSnap),
            ProtocolNovell8023 => LayerOutcome.NotIp,
            _ when protocol < Dispatch.EtherTypeMinimum => LayerOutcome.NotIp, // other Linux pseudo-protocols (CAN, ...)
            _ => Dispatch.NextForEtherType(ref w, headerLength, protocol),
        };
    }
}
