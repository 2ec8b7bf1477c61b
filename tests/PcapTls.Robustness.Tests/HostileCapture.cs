using System.Buffers.Binary;
using PcapTls.Capture;

namespace PcapTls.Robustness.Tests;

/// <summary>
/// Writes a small Ethernet/IPv4/TCP capture, one connection at a time, for tests that need a capture no real
/// stack would produce. Sequence numbers are tracked per side; checksums are left zero (the analyzer ignores
/// them, as offloading makes them meaningless). Packet numbers start at 1, as in the report.
/// </summary>
internal sealed class HostileCapture : IDisposable
{
    private const int EthernetHeader = 14;
    private const int Ipv4Header = 20;
    private const int TcpHeader = 20;
    private const byte TcpFin = 0x01, TcpSyn = 0x02, TcpPsh = 0x08, TcpAck = 0x10;

    private readonly PcapFileWriter _writer;
    private long _time = 1_767_225_600_000_000_000; // 2026-01-01T00:00:00Z: inside the corpus PKI's validity

    public HostileCapture(string path, int snapLength = PcapFileWriter.DefaultSnapLength)
    {
        Path = path;
        _writer = new PcapFileWriter(path, LinkType.Ethernet, snapLength: snapLength);
    }

    public string Path { get; }

    /// <summary>Packets written so far: the number of the last one.</summary>
    public long Packets => _writer.PacketsWritten;

    public Connection Connect(int clientPort = 40000, int serverPort = 443, byte clientHost = 1)
    {
        var c = new Connection(this, [10, 0, 0, clientHost], (ushort)clientPort, [10, 0, 1, 1], (ushort)serverPort);
        c.Frame(fromClient: true, TcpSyn, []);
        c.ClientSeq++;
        c.Frame(fromClient: false, TcpSyn | TcpAck, []);
        c.ServerSeq++;
        c.Frame(fromClient: true, TcpAck, []);
        return c;
    }

    /// <summary>Writes the file; the test then analyzes <see cref="Path"/>.</summary>
    public string Complete()
    {
        _writer.Complete();
        return Path;
    }

    public void Dispose() => _writer.Dispose();

    internal sealed class Connection(HostileCapture capture, byte[] clientIp, ushort clientPort, byte[] serverIp, ushort serverPort)
    {
        public uint ClientSeq = 1000;
        public uint ServerSeq = 5000;

        /// <summary>Sends payload in segments of at most <paramref name="mss"/> bytes, in order.</summary>
        public void Send(bool fromClient, ReadOnlySpan<byte> payload, int mss = 1460)
        {
            for (var off = 0; off < payload.Length; off += mss)
            {
                var part = payload.Slice(off, Math.Min(mss, payload.Length - off));
                Frame(fromClient, TcpPsh | TcpAck, part);
                Advance(fromClient, part.Length);
            }
        }

        /// <summary>One segment at an explicit offset from the side's current sequence number (out of order,
        /// overlapping); the side's sequence number does not move.</summary>
        public void SendAt(bool fromClient, int offset, ReadOnlySpan<byte> payload)
        {
            Advance(fromClient, offset);
            Frame(fromClient, TcpPsh | TcpAck, payload);
            Advance(fromClient, -offset);
        }

        public void Advance(bool fromClient, int bytes)
        {
            if (fromClient)
            {
                ClientSeq = unchecked(ClientSeq + (uint)bytes);
            }
            else
            {
                ServerSeq = unchecked(ServerSeq + (uint)bytes);
            }
        }

        public void Close()
        {
            Frame(fromClient: true, TcpFin | TcpAck, []);
            ClientSeq++;
            Frame(fromClient: false, TcpFin | TcpAck, []);
            ServerSeq++;
            Frame(fromClient: true, TcpAck, []);
        }

        public void Frame(bool fromClient, int flags, ReadOnlySpan<byte> payload)
        {
            var frame = new byte[EthernetHeader + Ipv4Header + TcpHeader + payload.Length];
            var f = frame.AsSpan();
            f[5] = 1;                                                    // destination MAC 00:00:00:00:00:01
            f[11] = 2;                                                   // source MAC 00:00:00:00:00:02
            BinaryPrimitives.WriteUInt16BigEndian(f[12..], 0x0800);      // EtherType IPv4
            var ip = f[EthernetHeader..];
            ip[0] = 0x45;                                                // version 4, IHL 5 words
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(Ipv4Header + TcpHeader + payload.Length)); // total length
            ip[8] = 64;                                                  // TTL
            ip[9] = 6;                                                   // protocol TCP
            (fromClient ? clientIp : serverIp).CopyTo(ip[12..]);         // source address
            (fromClient ? serverIp : clientIp).CopyTo(ip[16..]);         // destination address
            var tcp = ip[Ipv4Header..];
            BinaryPrimitives.WriteUInt16BigEndian(tcp, fromClient ? clientPort : serverPort);
            BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], fromClient ? serverPort : clientPort);
            BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], fromClient ? ClientSeq : ServerSeq);
            var ackFlag = (flags & TcpAck) != 0;
            BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], ackFlag ? (fromClient ? ServerSeq : ClientSeq) : 0);
            tcp[12] = 5 << 4;                                            // data offset 5 words
            tcp[13] = (byte)flags;
            BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);     // window
            payload.CopyTo(tcp[TcpHeader..]);
            capture._time += 1_000_000;                                  // 1 ms apart
            capture._writer.Write(capture._time, frame, frame.Length);
        }
    }
}
