using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// Linux NFLOG (link type 239, tcpdump.org/linktypes/LINKTYPE_NFLOG.html): address family (1), version (1),
/// resource id (2, big endian), then TLVs: length (2) and type (2) in the capturing host's byte order (length
/// counts the 4-byte TLV header, each TLV padded to 4 bytes). Type 9, NFULA_PAYLOAD, holds the IP packet.
/// </summary>
internal static class NflogDecoder
{
    /// <summary>TLVs walked per frame before giving up (a real frame has about ten).</summary>
    public const int MaxTlvs = 64;

    private const int HeaderLength = 4;
    private const int TlvHeaderLength = 4;
    private const ushort TypePayload = 9;
    private const byte AfUnspec = 0;
    private const byte AfInet = 2;
    private const byte AfInet6 = 10;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        var d = w.Data;
        if (d.Length < HeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        var family = d[0];
        if (family is not (AfUnspec or AfInet or AfInet6))
        {
            return w.Unknown(DispatchTable.NflogFamily, family);
        }
        if (w.Record(Layer.Nflog) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        var offset = HeaderLength;
        for (var n = 0; n < MaxTlvs; n++)
        {
            if (d.Length < offset + TlvHeaderLength)
            {
                return LayerOutcome.Truncated;
            }
            int length = BinaryPrimitives.ReadUInt16LittleEndian(d[offset..]);
            int type = BinaryPrimitives.ReadUInt16LittleEndian(d[(offset + 2)..]);
            if (length < TlvHeaderLength || offset + length > w.WireLength)
            {
                // Written on a big-endian host?
                length = BinaryPrimitives.ReadUInt16BigEndian(d[offset..]);
                type = BinaryPrimitives.ReadUInt16BigEndian(d[(offset + 2)..]);
                if (length < TlvHeaderLength || offset + length > w.WireLength)
                {
                    return LayerOutcome.Malformed;
                }
            }
            if ((type & 0x7FFF) == TypePayload)
            {
                w.Consume(offset + TlvHeaderLength, Layer.IPByVersion);
                w.LimitTo(length - TlvHeaderLength);
                return LayerOutcome.Continue;
            }
            offset += (length + 3) & ~3;
        }
        return LayerOutcome.Malformed;
    }
}
