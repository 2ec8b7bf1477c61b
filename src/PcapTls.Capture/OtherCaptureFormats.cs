using System.Buffers.Binary;

namespace PcapTls.Capture;

/// <summary>Formats users send instead of a capture, named so the error says what to do.</summary>
internal static class OtherCaptureFormats
{
    /// <summary>Names formats users send instead of a capture, so the error says what to do.</summary>
    public static string? Describe(ReadOnlySpan<byte> head)
    {
        ReadOnlySpan<byte> zstd = [0x28, 0xB5, 0x2F, 0xFD];
        ReadOnlySpan<byte> xz = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00];
        ReadOnlySpan<byte> lz4 = [0x04, 0x22, 0x4D, 0x18];
        ReadOnlySpan<byte> zip = [0x50, 0x4B, 0x03, 0x04];
        ReadOnlySpan<byte> sevenZip = [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C];
        if (head.StartsWith(zstd) || head.StartsWith(xz) || head.StartsWith(lz4) || head.StartsWith("BZh"u8))
        {
            return "it is compressed (zstd, xz, lz4 or bzip2): decompress it first, or recompress it with gzip";
        }
        if (head.StartsWith(zip) || head.StartsWith(sevenZip))
        {
            return "it is a zip/7z archive: extract the capture from it first";
        }
        if (head.StartsWith("GMBU"u8))
        {
            return "it is a Microsoft Network Monitor capture: save it as pcapng in Wireshark first";
        }
        if (head.StartsWith("snoop\0\0\0"u8))
        {
            return "it is a Solaris snoop capture: convert it with 'editcap -F pcap' first";
        }
        if (head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == 0xA1B2CD34)
        {
            return "it is a 'modified' libpcap capture (old Red Hat tcpdump): convert it with 'editcap -F pcap' first";
        }
        return null;
    }
}
