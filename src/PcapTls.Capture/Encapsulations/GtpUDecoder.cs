using System.Buffers.Binary;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// GTP-U (3GPP TS 29.281), UDP 2152: flags (version 3 = 1, PT 1 = 1, spare, E, S, PN), message type (8; 255 =
/// G-PDU carries user data), length (16, after these 8 bytes), TEID (32); when E, S or PN: sequence number (16),
/// N-PDU number (8), next extension header type (8); each extension header: length (8, in 4-byte units), ...,
/// next type (8, last byte). An IP packet follows. TEIDs differ per direction: path only, not context.
/// </summary>
internal static class GtpUDecoder
{
    /// <summary>Extension headers walked before giving up.</summary>
    public const int MaxExtensionHeaders = 8;

    private const int HeaderLength = 8;
    private const int OptionalFieldsLength = 4;
    private const byte MessageGPdu = 0xFF;

    public static LayerOutcome Decode(ref FrameWalk w)
    {
        var d = w.Data;
        if (d.Length < HeaderLength)
        {
            return LayerOutcome.Truncated;
        }
        var flags = d[0];
        if (flags >> 5 != 1 || (flags & 0x10) == 0)
        {
            return LayerOutcome.Malformed; // GTP' or GTPv2-C on the user-plane port
        }
        if (d[1] != MessageGPdu)
        {
            return LayerOutcome.NotIp; // echo, error indication, end marker
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(d[2..]);
        if (HeaderLength + length > w.WireLength)
        {
            return LayerOutcome.Malformed;
        }
        w.LimitTo(HeaderLength + length);
        d = w.Data;
        var teid = BinaryPrimitives.ReadUInt32BigEndian(d[4..]);
        var offset = HeaderLength;
        if ((flags & 0x07) != 0)
        {
            if (d.Length < offset + OptionalFieldsLength)
            {
                return LayerOutcome.Truncated;
            }
            var nextType = d[offset + 3];
            offset += OptionalFieldsLength;
            for (var n = 0; nextType != 0; n++)
            {
                if (n >= MaxExtensionHeaders)
                {
                    return LayerOutcome.Malformed;
                }
                if (d.Length < offset + 1)
                {
                    return LayerOutcome.Truncated;
                }
                var extensionLength = d[offset] * 4;
                if (extensionLength == 0)
                {
                    return LayerOutcome.Malformed;
                }
                if (d.Length < offset + extensionLength)
                {
                    return LayerOutcome.Truncated;
                }
                nextType = d[offset + extensionLength - 1];
                offset += extensionLength;
            }
        }
        if (w.Record(Layer.GtpU, teid) != LayerOutcome.Continue)
        {
            return LayerOutcome.Malformed;
        }
        return w.Consume(offset, Layer.IPByVersion);
    }
}
