namespace PcapTls.Capture;

// pcapng: one method per block type the reader uses; the framing is in CaptureFileReader.PcapNg.cs.
public sealed partial class CaptureFileReader
{
    /// <summary>Reads one whole block by its type; false when it stops the reading (an unreadable section header).</summary>
    private bool ReadBlock(uint type, uint length, ReadOnlySpan<byte> body, PcapNgSection section, IPacketHandler handler, AnomalyReporter sink)
    {
        switch (type)
        {
            case PcapNgBlockType.SectionHeader:
                return ReadSectionHeader(length, body, section, sink);
            case PcapNgBlockType.InterfaceDescription:
                ReadInterfaceDescription(length, body, section, sink);
                return true;
            case PcapNgBlockType.EnhancedPacket or PcapNgBlockType.ObsoletePacket:
                ReadPacketBlock(type, length, body, section, handler, sink);
                return true;
            case PcapNgBlockType.SimplePacket:
                ReadSimplePacket(body, section, handler, sink);
                return true;
            case PcapNgBlockType.DecryptionSecrets:
                AddDecryptionSecrets(body, section.BigEndian);
                return true;
            default:
                // Name resolution, interface statistics, custom blocks: not needed here.
                return true;
        }
    }

    /// <summary>A new section: its interfaces start again from 0.</summary>
    private bool ReadSectionHeader(uint length, ReadOnlySpan<byte> body, PcapNgSection section, AnomalyReporter sink)
    {
        if (length < SectionHeaderMinLength)
        {
            sink.Report(PacketCount + 1, CaptureAnomalyKind.RecordLengthInvalid, $"section header of {length} bytes; reading stopped");
            return false;
        }
        var major = ReadU16(body[4..], section.BigEndian);
        if (major != SupportedMajorVersion)
        {
            sink.Report(PacketCount + 1, CaptureAnomalyKind.UnsupportedVersion, $"pcapng section version {major}.{ReadU16(body[6..], section.BigEndian)}; reading stopped");
            return false;
        }
        section.Interfaces.Clear();
        return true;
    }

    private void ReadInterfaceDescription(uint length, ReadOnlySpan<byte> body, PcapNgSection section, AnomalyReporter sink)
    {
        var interfaces = section.Interfaces;
        if (interfaces.Count >= MaxInterfacesPerSection)
        {
            sink.Report(PacketCount + 1, CaptureAnomalyKind.BlockMalformed, $"more than {MaxInterfacesPerSection} interfaces in one section; interface ignored");
            return;
        }
        var idb = ParseInterface(body, section.BigEndian, section.GlobalInterfaceCount, sink, PacketCount + 1);
        if (idb is null)
        {
            sink.Report(PacketCount + 1, CaptureAnomalyKind.BlockMalformed, $"interface description block of {length} bytes is too short");
            // Keep interface numbering aligned with the writer's.
            idb = new PcapNgInterface { LinkType = (LinkType)uint.MaxValue, SnapLength = 0, GlobalIndex = section.GlobalInterfaceCount };
        }
        section.GlobalInterfaceCount++;
        interfaces.Add(idb);
        AddLinkType(idb.LinkType);
        UpdateSnapLength(idb.SnapLength);
    }

    /*
     * Enhanced Packet Block body:            Obsolete Packet Block body:
     *   0  Interface ID (32)                   0  Interface ID (16), Drops Count (16)
     *   4  Timestamp (High)                    4  Timestamp (High)
     *   8  Timestamp (Low)                     8  Timestamp (Low)
     *  12  Captured Packet Length             12  Captured Packet Length
     *  16  Original Packet Length             16  Packet Length
     *  20  Packet Data, padded to 32 bits     20  Packet Data, padded to 32 bits
     *      Options                                Options
     */
    private void ReadPacketBlock(uint type, uint length, ReadOnlySpan<byte> body, PcapNgSection section, IPacketHandler handler, AnomalyReporter sink)
    {
        const int packetHeader = 20;
        var big = section.BigEndian;
        var interfaces = section.Interfaces;
        if (body.Length < packetHeader)
        {
            PacketCount++;
            sink.Report(PacketCount, CaptureAnomalyKind.BlockMalformed, $"packet block of {length} bytes is too short; skipped");
            return;
        }
        var ifIndex = type == PcapNgBlockType.EnhancedPacket ? ReadU32(body, big) : ReadU16(body, big);
        var captured = ReadU32(body[12..], big);
        var original = ReadU32(body[16..], big);
        if (captured > MaxCapturedLength || captured > body.Length - packetHeader)
        {
            PacketCount++;
            sink.Report(PacketCount, CaptureAnomalyKind.BlockMalformed,
                $"packet block says {captured} captured bytes but holds {body.Length - packetHeader}; skipped");
            return;
        }
        if (ifIndex >= interfaces.Count)
        {
            PacketCount++;
            sink.Report(PacketCount, CaptureAnomalyKind.UnknownInterface, $"packet on interface {ifIndex}, but the section declares {interfaces.Count}; skipped");
            return;
        }
        var iface = interfaces[(int)ifIndex];
        var raw = ((ulong)ReadU32(body[4..], big) << 32) | ReadU32(body[8..], big);
        section.LastTimestamp = iface.ToNanos(raw);
        Deliver(handler, section.LastTimestamp, iface.LinkType, body.Slice(packetHeader, (int)captured), original, iface.GlobalIndex);
    }

    /*
     * Simple Packet Block body:
     *   0  Original Packet Length
     *   4  Packet Data (captured length = min(original, snaplen of interface 0, what the block holds))
     * No timestamp: the previous packet's time is used so capture time never jumps back to 1970.
     */
    private void ReadSimplePacket(ReadOnlySpan<byte> body, PcapNgSection section, IPacketHandler handler, AnomalyReporter sink)
    {
        var interfaces = section.Interfaces;
        if (body.Length < 4 || interfaces.Count == 0)
        {
            PacketCount++;
            sink.Report(PacketCount, interfaces.Count == 0 ? CaptureAnomalyKind.UnknownInterface : CaptureAnomalyKind.BlockMalformed,
                "simple packet block without an interface or too short; skipped");
            return;
        }
        var iface = interfaces[0];
        var original = ReadU32(body, section.BigEndian);
        var captured = (int)Math.Min(original, (uint)(body.Length - 4));
        if (iface.SnapLength > 0 && captured > iface.SnapLength)
        {
            captured = (int)iface.SnapLength;
        }
        if (captured > MaxCapturedLength)
        {
            PacketCount++;
            sink.Report(PacketCount, CaptureAnomalyKind.BlockMalformed, $"simple packet block of {captured} bytes exceeds {MaxCapturedLength}; skipped");
            return;
        }
        Deliver(handler, section.LastTimestamp, iface.LinkType, body.Slice(4, captured), original, iface.GlobalIndex);
    }

    /*
     * Decryption Secrets Block body:
     *   0  Secrets Type (32): 0x544c534b "TLSK" = NSS key log text
     *   4  Secrets Length (32)
     *   8  Secrets Data, padded to 32 bits; Options
     */
    private void AddDecryptionSecrets(ReadOnlySpan<byte> body, bool big)
    {
        const uint tlsKeyLog = 0x544C534B;
        if (body.Length < 8 || ReadU32(body, big) != tlsKeyLog)
        {
            return;
        }
        var length = ReadU32(body[4..], big);
        if (length > body.Length - 8 || _embeddedKeyLogBytes + length > MaxEmbeddedKeyLogBytes)
        {
            return;
        }
        var text = System.Text.Encoding.UTF8.GetString(body.Slice(8, (int)length));
        if (!_embeddedKeyLogs.Contains(text))
        {
            _embeddedKeyLogs.Add(text);
            _embeddedKeyLogBytes += length;
        }
    }
}
