using PcapTls.Capture;
using PcapTls.Capture.Inputs;

namespace PcapTls.Analysis;

/// <summary>
/// Copies the packets of chosen handshakes from a capture into a new pcap (a second pass over the file, so the
/// first pass keeps no packets in memory). A packet belongs to a handshake when its TCP endpoints match and its
/// number lies between the connection's first and last packets.
/// </summary>
public static class PacketExport
{
    public static long Write(string capturePath, string outputPath, IReadOnlyList<HandshakeReport> handshakes)
        => Write(CaptureFileReader.Open(capturePath), outputPath, handshakes);

    /// <summary>The same from an input read once more (a file or merged files; not a pipe).</summary>
    public static long Write(ICaptureInput input, string outputPath, IReadOnlyList<HandshakeReport> handshakes)
    {
        var wanted = handshakes.Select(h => new Selection(h.Client, h.Server, Math.Min(h.StartPacket, h.Ladder.Count > 0 ? h.Ladder[0].Packet : h.StartPacket), h.LastPacket)).ToList();
        var reader = input;
        var filter = new Filter(wanted);
        reader.Read(filter);
        using var writer = new PcapFileWriter(outputPath, filter.LinkType ?? LinkType.Ethernet, nanosecond: true);
        foreach (var frame in filter.Frames)
        {
            writer.Write(frame.TimestampNanos, frame.Data, frame.OriginalLength);
        }
        writer.Complete();
        return filter.Frames.Count;
    }

    private sealed record Selection(string Client, string Server, long First, long Last);

    private sealed class Filter(List<Selection> wanted) : IPacketHandler
    {
        public List<(long TimestampNanos, byte[] Data, int OriginalLength)> Frames { get; } = [];

        public LinkType? LinkType { get; private set; }

        public void OnPacket(in RawPacket packet)
        {
            if (PacketDecoder.TryDecodeTcp(packet, out var seg) != DecodeStatus.Tcp)
            {
                return;
            }
            var a = seg.Source.ToString();
            var b = seg.Destination.ToString();
            foreach (var w in wanted)
            {
                if (packet.Number >= w.First && packet.Number <= w.Last && ((a == w.Client && b == w.Server) || (a == w.Server && b == w.Client)))
                {
                    // One link type per output file: frames of another link type cannot be mixed into it.
                    LinkType ??= packet.LinkType;
                    if (packet.LinkType == LinkType)
                    {
                        Frames.Add((packet.TimestampNanos, packet.Data.ToArray(), packet.OriginalLength));
                    }
                    return;
                }
            }
        }
    }
}
