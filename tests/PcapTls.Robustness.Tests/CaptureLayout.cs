using System.Buffers.Binary;

namespace PcapTls.Robustness.Tests;

/// <summary>Where the records of a classic pcap or a pcapng file are, so that mutations can aim at fields:
/// each frame's record (header + data) and the offset of its frame bytes. Assumes an undamaged corpus file.</summary>
internal sealed class CaptureLayout
{
    private const int PcapFileHeader = 24;
    private const int PcapRecordHeader = 16;
    private const uint PcapNgSectionHeader = 0x0A0D0D0A;
    private const uint PcapNgEnhancedPacket = 6;
    private const int EnhancedPacketFrameOffset = 28;

    private CaptureLayout(bool isPcapNg, int headerLength, List<Frame> frames)
    {
        IsPcapNg = isPcapNg;
        HeaderLength = headerLength;
        Frames = frames;
    }

    public bool IsPcapNg { get; }

    /// <summary>Bytes before the first frame's record (pcap file header; pcapng SHB, IDB, ...).</summary>
    public int HeaderLength { get; }

    public IReadOnlyList<Frame> Frames { get; }

    /// <param name="Start">Offset of the record (pcap record header, pcapng block).</param>
    /// <param name="Length">Whole record length.</param>
    /// <param name="Data">Offset of the frame bytes.</param>
    /// <param name="CapturedLength">Frame bytes present.</param>
    /// <param name="LengthField">Offset of the captured-length field (pcap incl_len, EPB captured length).</param>
    public readonly record struct Frame(int Start, int Length, int Data, int CapturedLength, int LengthField);

    public static CaptureLayout Of(byte[] file)
    {
        var frames = new List<Frame>();
        if (BinaryPrimitives.ReadUInt32LittleEndian(file) == PcapNgSectionHeader)
        {
            var headerLength = -1;
            for (var off = 0; off + 12 <= file.Length;)
            {
                var type = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(off));
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(off + 4));
                if (length < 12 || off + length > file.Length)
                {
                    break;
                }
                if (type == PcapNgEnhancedPacket)
                {
                    headerLength = headerLength < 0 ? off : headerLength;
                    var captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(off + 20));
                    frames.Add(new Frame(off, length, off + EnhancedPacketFrameOffset, captured, off + 20));
                }
                off += length;
            }
            return new CaptureLayout(true, Math.Max(0, headerLength), frames);
        }

        for (var off = PcapFileHeader; off + PcapRecordHeader <= file.Length;)
        {
            var captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(off + 8));
            if (off + PcapRecordHeader + captured > file.Length)
            {
                break;
            }
            frames.Add(new Frame(off, PcapRecordHeader + captured, off + PcapRecordHeader, captured, off + 8));
            off += PcapRecordHeader + captured;
        }
        return new CaptureLayout(false, PcapFileHeader, frames);
    }
}
