using System.Buffers.Binary;
using PcapTls.Analysis;
using PcapTls.Capture;

namespace PcapTls.Live.Tests;

/// <summary>Hand-built Ethernet/IPv4/TCP frames and minimal handshake reports for the unit tests.</summary>
internal static class Frames
{
    public const byte Syn = 0x02;
    public const byte Ack = 0x10;
    public const byte Psh = 0x08;

    private const int EthernetLength = 14;
    private const int Ipv4Length = 20;
    private const int TcpLength = 20;

    public static byte[] Tcp(byte hostA, ushort portA, byte hostB, ushort portB, byte flags, int payloadLength)
    {
        var frame = new byte[EthernetLength + Ipv4Length + TcpLength + payloadLength];
        var span = frame.AsSpan();
        // Ethernet II: destination MAC (6), source MAC (6) left zero as on loopback; EtherType 0x0800 = IPv4.
        BinaryPrimitives.WriteUInt16BigEndian(span[12..], 0x0800);
        var ip = span[EthernetLength..];
        ip[0] = 0x45;                                                                       // version 4, IHL 5 words
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(Ipv4Length + TcpLength + payloadLength)); // total length
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);                            // don't fragment, offset 0
        ip[8] = 64;                                                                         // TTL
        ip[9] = 6;                                                                          // protocol TCP
        ip[12] = 10; ip[15] = hostA;                                                        // source 10.0.0.A
        ip[16] = 10; ip[19] = hostB;                                                        // destination 10.0.0.B
        var tcp = ip[Ipv4Length..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, portA);                                  // source port
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], portB);                             // destination port
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 1000);                              // sequence number
        tcp[12] = 0x50;                                                                     // data offset 5 words
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);                            // window
        return frame;
    }

    public static RawPacket Packet(long number, byte[] frame)
        => new(number, number * 1_000_000_000L, LinkType.Ethernet, frame, frame.Length, 0);

    public static HandshakeReport Report(string client, string server, long start, long last, HandshakeOutcome outcome)
        => new(client, server, start, DateTimeOffset.UnixEpoch.AddSeconds(start), "backend.pcaptls.test", "TLS 1.2", null, outcome, "test",
            [], [], false, false, false, false, [], [], [], [], null, null, null, null, null, [], last);

    /// <summary>Reads a pcap back; returns each frame's timestamp in seconds, and whether the reader saw damage.</summary>
    public static (List<long> Seconds, int Anomalies) ReadBack(string path)
    {
        var reader = CaptureFileReader.Open(path);
        var sink = new Collector();
        reader.Read(sink, sink);
        return (sink.Seconds, sink.Anomalies);
    }

    private sealed class Collector : IPacketHandler, ICaptureAnomalySink
    {
        public List<long> Seconds { get; } = [];

        public int Anomalies { get; private set; }

        public void OnPacket(in RawPacket packet) => Seconds.Add(packet.TimestampNanos / 1_000_000_000L);

        public void Report(in CaptureAnomaly anomaly) => Anomalies++;
    }
}
