using System.Buffers.Binary;
using System.IO.Compression;

namespace PcapTls.Corpus.Tests;

/// <summary>
/// Just enough of a capture file's header to tell its format, link type and snap length. Self-contained on
/// purpose: the corpus must be checkable without the product's own reader.
/// </summary>
internal readonly record struct CaptureFileHeader(string Format, bool Gzip, uint LinkType, uint SnapLength)
{
    // pcap global header (libpcap file format):
    //   uint32 magic; uint16 version_major; uint16 version_minor; int32 thiszone; uint32 sigfigs;
    //   uint32 snaplen; uint32 network (link type)
    private const int PcapHeaderLength = 24;
    private const int PcapSnapLengthOffset = 16;
    private const int PcapLinkTypeOffset = 20;
    private const uint PcapMicro = 0xA1B2C3D4;
    private const uint PcapNano = 0xA1B23C4D;

    // pcapng: Section Header Block (type 0x0A0D0D0A, length, byte-order magic 0x1A2B3C4D, ...), then an
    // Interface Description Block: uint32 type = 1; uint32 length; uint16 link type; uint16 reserved; uint32 snaplen.
    private const uint PcapngSectionHeader = 0x0A0D0D0A;
    private const uint PcapngByteOrderMagic = 0x1A2B3C4D;
    private const uint PcapngInterfaceDescription = 1;
    private const int PcapngBlockLengthOffset = 4;
    private const int PcapngByteOrderOffset = 8;
    private const int PcapngIdbLinkTypeOffset = 8;
    private const int PcapngIdbSnapLengthOffset = 12;
    private const int PcapngIdbMinLength = 16;

    private const int HeaderBytesNeeded = 4096;

    public static CaptureFileHeader? Read(string path)
    {
        var raw = File.ReadAllBytes(path);
        var gzip = raw.Length >= 2 && raw[0] == 0x1F && raw[1] == 0x8B;
        if (gzip)
        {
            using var z = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            var buffer = new byte[HeaderBytesNeeded];
            var n = z.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            raw = buffer[..n];
        }
        return TryParse(raw, gzip, out var header) ? header : null;
    }

    public static bool TryParse(ReadOnlySpan<byte> data, bool gzip, out CaptureFileHeader header)
    {
        header = default;
        if (data.Length < PcapHeaderLength)
        {
            return false;
        }
        var magicLe = BinaryPrimitives.ReadUInt32LittleEndian(data);
        var magicBe = BinaryPrimitives.ReadUInt32BigEndian(data);
        foreach (var (magic, little) in new[] { (magicLe, true), (magicBe, false) })
        {
            if (magic is PcapMicro or PcapNano)
            {
                header = new CaptureFileHeader(
                    magic == PcapNano ? "pcap-ns" : "pcap",
                    gzip,
                    Read32(data[PcapLinkTypeOffset..], little),
                    Read32(data[PcapSnapLengthOffset..], little));
                return true;
            }
        }
        if (magicLe != PcapngSectionHeader)
        {
            return false;
        }
        var byteOrder = BinaryPrimitives.ReadUInt32LittleEndian(data[PcapngByteOrderOffset..]);
        bool le;
        if (byteOrder == PcapngByteOrderMagic)
        {
            le = true;
        }
        else if (BinaryPrimitives.ReadUInt32BigEndian(data[PcapngByteOrderOffset..]) == PcapngByteOrderMagic)
        {
            le = false;
        }
        else
        {
            return false;
        }
        var shbLength = (int)Read32(data[PcapngBlockLengthOffset..], le);
        if (shbLength <= 0 || data.Length < shbLength + PcapngIdbMinLength)
        {
            return false;
        }
        var idb = data[shbLength..];
        if (Read32(idb, le) != PcapngInterfaceDescription)
        {
            return false;
        }
        var linkType = le ? BinaryPrimitives.ReadUInt16LittleEndian(idb[PcapngIdbLinkTypeOffset..])
                          : BinaryPrimitives.ReadUInt16BigEndian(idb[PcapngIdbLinkTypeOffset..]);
        header = new CaptureFileHeader("pcapng", gzip, linkType, Read32(idb[PcapngIdbSnapLengthOffset..], le));
        return true;
    }

    private static uint Read32(ReadOnlySpan<byte> s, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
}
