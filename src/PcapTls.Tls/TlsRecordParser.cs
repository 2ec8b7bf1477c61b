using System.Buffers.Binary;

namespace PcapTls.Tls;

/// <summary>A TLS record header (TLSPlaintext / TLSCiphertext without the fragment).</summary>
public readonly record struct TlsRecordHeader(TlsContentType Type, ushort Version, int Length);

/// <summary>Record-layer parsers: record header, alert, and the plausibility test used to find TLS in a stream.</summary>
public static class TlsRecordParser
{
    // struct {
    //     ContentType type;
    //     ProtocolVersion legacy_record_version;
    //     uint16 length;
    //     opaque fragment[TLSPlaintext.length];
    // } TLSPlaintext;                                          (RFC 8446 section 5.1; RFC 5246 section 6.2.1)
    public const int HeaderLength = 5;
    private const int TypeOffset = 0;
    private const int VersionOffset = 1;
    private const int LengthOffset = 3;

    /// <summary>Every SSL 3.0 .. TLS 1.3 record carries major version 3 (TLS 1.3 keeps 0x0303 for compatibility).</summary>
    public const byte RecordVersionMajor = 3;

    /// <summary>
    /// Reads a record header. Incomplete below 5 bytes; Malformed when the major version is not 3 (not a TLS
    /// record at all). Content type and length are not judged here: the decoder reports unknown types and
    /// applies its own length limit.
    /// </summary>
    public static TlsParseResult TryParseHeader(ReadOnlySpan<byte> data, out TlsRecordHeader header)
    {
        header = default;
        if (data.Length < HeaderLength)
        {
            return TlsParseResult.Incomplete;
        }
        var version = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(VersionOffset, 2));
        if (version >> 8 != RecordVersionMajor)
        {
            return TlsParseResult.Malformed;
        }
        header = new TlsRecordHeader((TlsContentType)data[TypeOffset], version, BinaryPrimitives.ReadUInt16BigEndian(data.Slice(LengthOffset, 2)));
        return TlsParseResult.Complete;
    }

    /// <summary>
    /// A whole record: header plus fragment. Incomplete until the fragment is all there.
    /// </summary>
    public static TlsParseResult TryParseRecord(ReadOnlySpan<byte> data, out TlsRecordHeader header, out ReadOnlySpan<byte> fragment)
    {
        fragment = default;
        var result = TryParseHeader(data, out header);
        if (result != TlsParseResult.Complete)
        {
            return result;
        }
        if (data.Length < HeaderLength + header.Length)
        {
            return TlsParseResult.Incomplete;
        }
        fragment = data.Slice(HeaderLength, header.Length);
        return TlsParseResult.Complete;
    }

    /// <summary>Content types defined for TLS records (20..24).</summary>
    public static bool IsKnownContentType(TlsContentType type) => type is >= TlsContentType.ChangeCipherSpec and <= TlsContentType.Heartbeat;

    /// <summary>
    /// Whether a header could start a real record: known type, version 0x0300..0x0304, 1 .. maxLength bytes.
    /// Used to find TLS after a gap or a STARTTLS preamble, where random bytes must not be taken for a record.
    /// </summary>
    public static bool IsPlausibleHeader(in TlsRecordHeader header, int maxLength)
        => IsKnownContentType(header.Type) && header.Version is >= 0x0300 and <= 0x0304 && header.Length >= 1 && header.Length <= maxLength;

    // enum { warning(1), fatal(2), (255) } AlertLevel;
    // struct {
    //     AlertLevel level;
    //     AlertDescription description;
    // } Alert;                                                  (RFC 8446 section 6)
    public const int AlertLength = 2;

    /// <summary>One alert from the start of a plaintext alert fragment. Unknown levels keep their number.</summary>
    public static TlsParseResult TryParseAlert(ReadOnlySpan<byte> data, out TlsAlertLevel level, out byte description)
    {
        level = default;
        description = 0;
        if (data.Length < AlertLength)
        {
            return TlsParseResult.Incomplete;
        }
        level = (TlsAlertLevel)data[0];
        description = data[1];
        return TlsParseResult.Complete;
    }
}
