using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// GRE (RFC 2784, 2890): C (checksum present), R (routing, RFC 1701), K (key present), S (sequence present),
/// ..., version (3); protocol type (2, an EtherType); then checksum + reserved (4) if C or R, key (4) if K,
/// sequence (4) if S. Version 1 is PPTP's enhanced GRE (RFC 2637): K always (payload length and call id), S and
/// A (acknowledgment, 4) optional, PPP inside. Protocol 0x88BE is ERSPAN type II with a sequence number and
/// type I without one. The key is part of the tunnel context.
/// </summary>
internal static class GreDecoder
{
    private const int BaseHeaderLength = 4;
    private const ushort FlagChecksum = 0x8000;
    private const ushort FlagRouting = 0x4000;
    private const ushort FlagKey = 0x2000;
    private const ushort FlagSequence = 0x1000;
    private const ushort FlagAcknowledgment = 0x0080;
    private const ushort VersionMask = 0x0007;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        var d = w.Data;
        if (d.Length < BaseHeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        var flags = BinaryPrimitives.ReadUInt16BigEndian(d);
        var protocol = BinaryPrimitives.ReadUInt16BigEndian(d[2..]);
        var version = flags & VersionMask;
        var length = BaseHeaderLength;
        var keyOffset = -1;
        switch (version)
        {
            case 0:
                if ((flags & FlagRouting) != 0)
                {
                    return LayerOutcome.Malformed; // source routing (RFC 1701) is obsolete and never seen
                }
                if ((flags & FlagChecksum) != 0)
                {
                    length += 4;
                }
                if ((flags & FlagKey) != 0)
                {
                    keyOffset = length;
                    length += 4;
                }
                break;
            case 1:
                if ((flags & FlagKey) == 0)
                {
                    return LayerOutcome.Malformed;
                }
                keyOffset = length;
                length += 4;
                if ((flags & FlagAcknowledgment) != 0)
                {
                    length += 4;
                }
                break;
            default:
                return LayerOutcome.Malformed;
        }
        if ((flags & FlagSequence) != 0)
        {
            length += 4;
        }
        if (d.Length < length)
        {
            return LayerOutcome.Truncated;
        }
        uint key = 0;
        if (keyOffset >= 0)
        {
            // PPTP's "key" is payload length (16) and call id (16): only the call id names the tunnel.
            key = version == 1 ? BinaryPrimitives.ReadUInt16BigEndian(d[(keyOffset + 2)..]) : BinaryPrimitives.ReadUInt32BigEndian(d[keyOffset..]);
            w.Path.MixContext((1UL << 42) | key);
        }
        if (w.Record(Layer.Gre, key) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        if (protocol == Dispatch.EtherTypeErspanII && (flags & FlagSequence) == 0)
        {
            // ERSPAN type I: no ERSPAN header, the mirrored Ethernet frame follows.
            if (w.Record(Layer.ErspanI) != LayerOutcome.Continue)
            {
                return LayerOutcome.Malformed;
            }
            return w.Consume(length, Layer.Ethernet);
        }
        if (protocol == 0)
        {
            return LayerOutcome.NotIp; // keepalives
        }
        return Dispatch.NextForEtherType(ref w, length, protocol, DispatchTable.GreProtocol);
    }
}
