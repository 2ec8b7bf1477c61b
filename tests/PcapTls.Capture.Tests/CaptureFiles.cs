using System.Buffers.Binary;
using System.IO.Compression;
using PcapTls.Capture;

namespace PcapTls.Capture.Tests;

/// <summary>Builds capture files byte by byte, in either byte order, for the reader tests.</summary>
internal static class CaptureFiles
{
    public sealed class Bytes(bool bigEndian)
    {
        private readonly MemoryStream _s = new();

        public bool BigEndian => bigEndian;

        public long Length => _s.Length;

        public Bytes U8(byte v) { _s.WriteByte(v); return this; }

        public Bytes U16(ushort v)
        {
            Span<byte> b = stackalloc byte[2];
            if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
            _s.Write(b);
            return this;
        }

        public Bytes U32(uint v)
        {
            Span<byte> b = stackalloc byte[4];
            if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            _s.Write(b);
            return this;
        }

        public Bytes U64(ulong v)
        {
            Span<byte> b = stackalloc byte[8];
            if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(b, v); else BinaryPrimitives.WriteUInt64LittleEndian(b, v);
            _s.Write(b);
            return this;
        }

        public Bytes Raw(ReadOnlySpan<byte> v) { _s.Write(v); return this; }

        public Bytes Pad4() { while (_s.Length % 4 != 0) _s.WriteByte(0); return this; }

        public byte[] ToArray() => _s.ToArray();
    }

    /// <summary>Classic pcap: header then (seconds, fraction, data, original length) records.</summary>
    public static byte[] Pcap(bool bigEndian, bool nano, uint linkType, params (uint Sec, uint Frac, byte[] Data, uint Orig)[] records)
    {
        var b = new Bytes(bigEndian)
            .U32(nano ? 0xA1B23C4Du : 0xA1B2C3D4u) // magic, written in the file's byte order
            .U16(2).U16(4)                          // version 2.4
            .U32(0)                                 // thiszone
            .U32(0)                                 // sigfigs
            .U32(65535)                             // snaplen
            .U32(linkType);                         // network
        foreach (var (sec, frac, data, orig) in records)
        {
            b.U32(sec).U32(frac).U32((uint)data.Length).U32(orig).Raw(data);
        }
        return b.ToArray();
    }

    /// <summary>A pcapng block: type, total length, body (padded), total length.</summary>
    public static Bytes Block(this Bytes b, uint type, Action<Bytes> body)
    {
        var inner = new Bytes(b.BigEndian);
        body(inner);
        inner.Pad4();
        var content = inner.ToArray();
        var total = (uint)(12 + content.Length);
        return b.U32(type).U32(total).Raw(content).U32(total);
    }

    public static Bytes Shb(this Bytes b) => b.Block(0x0A0D0D0A, x => x
        .U32(0x1A2B3C4D)           // byte-order magic
        .U16(1).U16(0)             // version 1.0
        .U64(ulong.MaxValue)       // section length: unknown
        .U16(3).U16(5).Raw("hello"u8).Pad4() // shb_hardware comment-like option, skipped
        .U16(0).U16(0));           // opt_endofopt

    public static Bytes Idb(this Bytes b, ushort linkType, uint snapLen, byte? tsresol = null, long? tsoffset = null) => b.Block(1, x =>
    {
        x.U16(linkType).U16(0).U32(snapLen);
        x.U16(2).U16(3).Raw("lo0"u8).Pad4();                 // if_name
        if (tsresol is { } r) x.U16(9).U16(1).U8(r).Pad4();   // if_tsresol
        if (tsoffset is { } o) x.U16(14).U16(8).U64((ulong)o); // if_tsoffset
        x.U16(0).U16(0);                                       // opt_endofopt
    });

    public static Bytes Epb(this Bytes b, uint ifId, ulong ts, byte[] data, uint? orig = null) => b.Block(6, x => x
        .U32(ifId).U32((uint)(ts >> 32)).U32((uint)ts).U32((uint)data.Length).U32(orig ?? (uint)data.Length)
        .Raw(data).Pad4()
        .U16(1).U16(7).Raw("comment"u8).Pad4().U16(0).U16(0)); // opt_comment, opt_endofopt

    public static Bytes Spb(this Bytes b, uint orig, byte[] data) => b.Block(3, x => x.U32(orig).Raw(data));

    public static Bytes ObsoletePb(this Bytes b, ushort ifId, ulong ts, byte[] data) => b.Block(2, x => x
        .U16(ifId).U16(0).U32((uint)(ts >> 32)).U32((uint)ts).U32((uint)data.Length).U32((uint)data.Length).Raw(data));

    public static string WriteTemp(TestContext? context, byte[] bytes, string extension = ".pcap")
    {
        var path = Path.Combine(Path.GetTempPath(), "pcaptls-capture-tests", Guid.NewGuid().ToString("N") + extension);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(bytes);
        }
        return ms.ToArray();
    }

    public static byte[] Frame(int n, int length)
    {
        var f = new byte[length];
        for (var i = 0; i < length; i++) f[i] = (byte)(n * 31 + i);
        return f;
    }
}

/// <summary>Keeps a copy of what the reader delivered.</summary>
internal sealed class RecordingHandler : IPacketHandler, ICaptureAnomalySink
{
    public List<(long Number, long Ts, LinkType LinkType, byte[] Data, int Orig, int If)> Packets { get; } = [];

    public List<CaptureAnomaly> Anomalies { get; } = [];

    public void OnPacket(in RawPacket p) => Packets.Add((p.Number, p.TimestampNanos, p.LinkType, p.Data.ToArray(), p.OriginalLength, p.InterfaceIndex));

    public void Report(in CaptureAnomaly anomaly) => Anomalies.Add(anomaly);

    public static RecordingHandler ReadAll(string path)
    {
        var h = new RecordingHandler();
        CaptureFileReader.Open(path).Read(h, h);
        return h;
    }
}
