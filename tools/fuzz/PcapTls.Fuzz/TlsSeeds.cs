using PcapTls.Capture;
using PcapTls.Flows;

namespace PcapTls.Fuzz;

/// <summary>
/// Turns a capture into seeds for the "tls" target: one file per TCP direction, holding the reassembled bytes
/// behind the target's control byte (0x3F: 64-byte chunks, one side, no gaps), cut at <see cref="MaxSeed"/>.
/// </summary>
internal sealed class TlsSeeds : ITcpStreamConsumerFactory, IPacketHandler
{
    private const int MaxSeed = 64 * 1024;
    private const byte OneSide64ByteChunks = 0x3F;

    private readonly List<MemoryStream> _streams = [];
    private readonly TcpFlowTable _table;
    private readonly CaptureToFlows _flows;

    private TlsSeeds()
    {
        _table = new TcpFlowTable(this);
        _flows = new CaptureToFlows(_table);
    }

    public static int Write(string capture, string outDir)
    {
        var seeds = new TlsSeeds();
        CaptureFileReader.Open(capture).Read(seeds);
        seeds._table.Finish(new SegmentPosition(0, 0));
        Directory.CreateDirectory(outDir);
        var n = 0;
        foreach (var s in seeds._streams.Where(s => s.Length > 1))
        {
            File.WriteAllBytes(Path.Combine(outDir, $"{Path.GetFileNameWithoutExtension(capture)}-{n++}.tls"), s.ToArray());
        }
        return 0;
    }

    /// <summary>Seeds for the "preamble" target: per TCP connection, the first <see cref="MaxPreambleSide"/> bytes
    /// of the originator's stream then of the responder's, behind two bytes giving where the first ends.</summary>
    public static int WriteConnections(string capture, string outDir)
    {
        var seeds = new TlsSeeds();
        CaptureFileReader.Open(capture).Read(seeds);
        seeds._table.Finish(new SegmentPosition(0, 0));
        Directory.CreateDirectory(outDir);
        for (var i = 0; i + 1 < seeds._streams.Count; i += 2)
        {
            var client = seeds._streams[i].ToArray().AsSpan(1);
            var server = seeds._streams[i + 1].ToArray().AsSpan(1);
            client = client[..Math.Min(client.Length, MaxPreambleSide)];
            server = server[..Math.Min(server.Length, MaxPreambleSide)];
            if (client.Length + server.Length == 0)
            {
                continue;
            }
            byte[] seed = [(byte)(client.Length >> 8), (byte)client.Length, .. client, .. server];
            File.WriteAllBytes(Path.Combine(outDir, $"{Path.GetFileNameWithoutExtension(capture)}-{i / 2}.preamble"), seed);
        }
        return 0;
    }

    private const int MaxPreambleSide = 2048;

    public void OnPacket(in RawPacket packet) => _flows.OnPacket(packet);

    public ITcpStreamConsumer Create(TcpConnectionInfo connection)
    {
        var a = new MemoryStream();
        var b = new MemoryStream();
        a.WriteByte(OneSide64ByteChunks);
        b.WriteByte(OneSide64ByteChunks);
        _streams.Add(a);
        _streams.Add(b);
        return new Collector(a, b);
    }

    private sealed class Collector(MemoryStream originator, MemoryStream responder) : ITcpStreamConsumer
    {
        public bool WantsPayload => true;

        public void OnData(FlowDirection direction, ReadOnlySpan<byte> data, SegmentPosition position)
        {
            var s = direction == FlowDirection.FromOriginator ? originator : responder;
            var room = MaxSeed - (int)s.Length;
            if (room > 0)
            {
                s.Write(data[..Math.Min(room, data.Length)]);
            }
        }

        public void OnGap(FlowDirection direction, long missingBytes, SegmentPosition position) { }
        public void OnControl(FlowDirection direction, TcpControlKind kind, SegmentPosition position) { }
        public void OnEnd(FlowEndReason reason, SegmentPosition lastPosition) { }
    }
}
