using System.Buffers.Binary;

namespace PcapTls.Capture;

// pcapng: sections of blocks (type, length, body, length again); the framing and the resync.
public sealed partial class CaptureFileReader
{
    private static class PcapNgBlockType
    {
        public const uint SectionHeader = 0x0A0D0D0A;
        public const uint InterfaceDescription = 0x00000001;
        public const uint ObsoletePacket = 0x00000002;
        public const uint SimplePacket = 0x00000003;
        public const uint EnhancedPacket = 0x00000006;
        public const uint DecryptionSecrets = 0x0000000A;
    }

    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const int BlockHeaderLength = 8;        // type + total length
    private const int BlockTrailerLength = 4;       // total length again
    private const int SectionHeaderMinLength = 28;  // header, BOM, versions, section length, trailer
    private const ushort SupportedMajorVersion = 1;
    private const ushort OptionEndOfOptions = 0;
    private const ushort OptionIfTsResol = 9;
    private const ushort OptionIfTsOffset = 14;
    private const int MaxInterfacesPerSection = 1 << 16;

    /// <summary>Checks the section header in the first bytes and collects the link types of the interface
    /// blocks that follow it within the probe.</summary>
    private bool ProbePcapNg(ReadOnlySpan<byte> head)
    {
        if (head.Length < SectionHeaderMinLength || !TryByteOrder(head, out var big))
        {
            return false;
        }
        var offset = 0;
        while (head.Length - offset >= PcapNgMinBlockLength)
        {
            var block = head[offset..];
            var type = ReadU32(block, big);
            if (type == PcapNgBlockType.SectionHeader)
            {
                if (!TryByteOrder(block, out big))
                {
                    return offset > 0;
                }
            }
            var length = ReadU32(block[4..], big);
            if (length < PcapNgMinBlockLength || length % 4 != 0 || length > block.Length)
            {
                break;
            }
            if (type == PcapNgBlockType.DecryptionSecrets)
            {
                AddDecryptionSecrets(block[BlockHeaderLength..(int)(length - BlockTrailerLength)], big);
            }
            if (type == PcapNgBlockType.InterfaceDescription && length >= 20)
            {
                var idb = ParseInterface(block[BlockHeaderLength..(int)(length - BlockTrailerLength)], big, 0, null, 0);
                if (idb is not null)
                {
                    AddLinkType(idb.LinkType);
                    UpdateSnapLength(idb.SnapLength);
                }
            }
            offset += (int)length;
        }
        return true;
    }

    private static bool TryByteOrder(ReadOnlySpan<byte> shb, out bool bigEndian)
    {
        var bom = BinaryPrimitives.ReadUInt32LittleEndian(shb[8..]);
        bigEndian = bom == BinaryPrimitives.ReverseEndianness(ByteOrderMagic);
        return bigEndian || bom == ByteOrderMagic;
    }

    /// <summary>What the current pcapng section has declared so far, while its blocks are read.</summary>
    private sealed class PcapNgSection
    {
        /// <summary>The section header's byte order; every block of the section is read in it.</summary>
        public bool BigEndian;

        /// <summary>The section's interfaces, numbered as its packet blocks name them.</summary>
        public readonly List<PcapNgInterface> Interfaces = [];

        /// <summary>Interfaces declared over all sections so far: a frame's interface number in the report.</summary>
        public int GlobalInterfaceCount;

        /// <summary>The last packet's time: a Simple Packet Block carries none of its own.</summary>
        public long LastTimestamp;
    }

    /// <summary>What <see cref="FrameBlock"/> found at the front of the source.</summary>
    private enum BlockFraming
    {
        /// <summary>A whole block of a plausible length is available.</summary>
        Ready,
        /// <summary>More bytes were read in or corrupt bytes skipped: look again.</summary>
        LookAgain,
        /// <summary>The file ends or cannot be read further; what happened was reported.</summary>
        Stop,
    }

    private void ReadPcapNg(ChunkedSource src, IPacketHandler handler, AnomalyReporter sink)
    {
        var section = new PcapNgSection();
        while (true)
        {
            var framing = FrameBlock(src, section, sink, out var type, out var length);
            if (framing == BlockFraming.Stop)
            {
                return;
            }
            if (framing == BlockFraming.LookAgain)
            {
                continue;
            }

            var block = src.Available[..(int)length];
            var body = block[BlockHeaderLength..^BlockTrailerLength];
            if (ReadU32(block[^BlockTrailerLength..], section.BigEndian) != length)
            {
                sink.Report(PacketCount + 1, CaptureAnomalyKind.BlockMalformed,
                    $"pcapng block (type 0x{type:X8}) whose trailing length differs from its leading length {length}");
            }
            if (!ReadBlock(type, length, body, section, handler, sink))
            {
                return;
            }
            src.Advance((int)length);
        }
    }

    /// <summary>Makes the next whole block available at the front of the source: its type and length are read in
    /// the section's byte order (a section header's own byte-order magic says how to read its length and the whole
    /// section); an impossible length sends the reader looking for the next valid block.</summary>
    private BlockFraming FrameBlock(ChunkedSource src, PcapNgSection section, AnomalyReporter sink, out uint type, out uint length)
    {
        type = 0;
        length = 0;
        var span = src.Available;
        if (span.Length < PcapNgMinBlockLength)
        {
            if (src.Ensure(PcapNgMinBlockLength))
            {
                return BlockFraming.LookAgain;
            }
            if (src.Available.Length > 0)
            {
                sink.Report(PacketCount + 1, CaptureAnomalyKind.TruncatedRecord,
                    $"the file ends inside a block header ({src.Available.Length} bytes left)");
            }
            return BlockFraming.Stop;
        }

        type = ReadU32(span, section.BigEndian);
        if (type == PcapNgBlockType.SectionHeader && !TryByteOrder(span, out section.BigEndian))
        {
            sink.Report(PacketCount + 1, CaptureAnomalyKind.BlockMalformed, "section header with an invalid byte-order magic; reading stopped");
            return BlockFraming.Stop;
        }
        length = ReadU32(span[4..], section.BigEndian);
        if (length < PcapNgMinBlockLength || length % 4 != 0 || length > MaxBlockLength)
        {
            return TryResyncPcapNg(src, ref section.BigEndian, sink, type, length) ? BlockFraming.LookAgain : BlockFraming.Stop;
        }
        if (span.Length < length)
        {
            if (src.Ensure((int)length))
            {
                return BlockFraming.LookAgain;
            }
            sink.Report(PacketCount + 1, CaptureAnomalyKind.TruncatedRecord,
                $"the file ends inside the last block (type 0x{type:X8}, {src.Available.Length} of {length} bytes)");
            return BlockFraming.Stop;
        }
        return BlockFraming.Ready;
    }

    /// <summary>After an impossible block length, looks ahead (4-byte steps, at most <see cref="ResyncWindow"/>
    /// bytes) for a block of a known type whose leading and trailing lengths agree, and continues there.</summary>
    private bool TryResyncPcapNg(ChunkedSource src, ref bool big, AnomalyReporter sink, uint badType, uint badLength)
    {
        src.Ensure(ResyncWindow);
        var span = src.Available;
        var limit = Math.Min(span.Length, ResyncWindow);
        for (var offset = 4; offset + PcapNgMinBlockLength <= limit; offset += 4)
        {
            var candidate = span[offset..];
            var candidateBig = big;
            var type = ReadU32(candidate, candidateBig);
            if (type == PcapNgBlockType.SectionHeader && !TryByteOrder(candidate, out candidateBig))
            {
                continue;
            }
            if (!IsKnownBlockType(type))
            {
                continue;
            }
            var length = ReadU32(candidate[4..], candidateBig);
            if (length < PcapNgMinBlockLength || length % 4 != 0 || length > candidate.Length ||
                ReadU32(candidate[((int)length - BlockTrailerLength)..], candidateBig) != length)
            {
                continue;
            }
            src.Advance(offset);
            big = candidateBig;
            sink.Report(PacketCount + 1, CaptureAnomalyKind.RecordLengthInvalid,
                $"pcapng block (type 0x{badType:X8}) with impossible length {badLength}: {offset} corrupt bytes skipped to the next valid block");
            return true;
        }
        sink.Report(PacketCount + 1, CaptureAnomalyKind.RecordLengthInvalid,
            $"pcapng block (type 0x{badType:X8}) with impossible length {badLength} and no valid block within {ResyncWindow / 1024} KiB; reading stopped");
        return false;
    }

    private static bool IsKnownBlockType(uint type) => type is PcapNgBlockType.SectionHeader or PcapNgBlockType.InterfaceDescription
        or PcapNgBlockType.ObsoletePacket or PcapNgBlockType.SimplePacket or PcapNgBlockType.EnhancedPacket
        or 0x00000004 /* name resolution */ or 0x00000005 /* interface statistics */ or PcapNgBlockType.DecryptionSecrets
        or 0x00000BAD or 0x40000BAD /* custom */;
}
