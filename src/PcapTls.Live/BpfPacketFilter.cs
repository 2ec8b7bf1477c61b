using System.Runtime.InteropServices;
using PacketDotNet;
using PcapTls.Capture;
using PcapTls.Capture.Inputs;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PcapTls.Live;

/// <summary>
/// A BPF filter applied to frames read from files, compiled by libpcap (as tcpdump -r F EXPR and tshark -r F -f
/// do), evaluated on each frame before any decoding. One program per link type (a pcapng may mix them), compiled
/// when the first frame of that link type arrives; an expression that does not compile is refused up front.
/// </summary>
public sealed class BpfPacketFilter : IPacketFilter, IDisposable
{
    /// <summary>libpcap's DLT for raw IP on Linux; files say LINKTYPE_RAW (101), the compiler wants the DLT.</summary>
    private const int DltRaw = 12;

    private readonly Dictionary<LinkType, BpfProgram?> _programs = [];
    private readonly string _expression;
    private readonly byte[] _header = GC.AllocateArray<byte>(Marshal.SizeOf<PacketHeader>(), pinned: true);
    private byte[] _frame = GC.AllocateUninitializedArray<byte>(64 << 10, pinned: true);

    private BpfPacketFilter(string expression)
    {
        _expression = expression;
    }

    public string Description => $"BPF filter '{_expression}'";

    /// <summary>Compiles <paramref name="expression"/> for Ethernet to check it. Throws <see cref="LiveCaptureException"/>
    /// (BadFilter, or LibpcapMissing without libpcap).</summary>
    public static BpfPacketFilter Create(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var filter = new BpfPacketFilter(expression);
        lock (filter._programs)
        {
            filter.ProgramFor(LinkType.Ethernet, checking: true);
        }
        return filter;
    }

    public bool Keep(in RawPacket packet)
    {
        lock (_programs)
        {
            // A link type the compiler cannot handle keeps its frames out: the filter cannot say they match.
            if (ProgramFor(packet.LinkType, checking: false) is not { } program)
            {
                return false;
            }
            // libpcap reads the frame and its pcap_pkthdr from native memory: both are copied into arrays on the
            // pinned object heap (no unsafe code, no allocation per frame).
            if (_frame.Length < packet.Data.Length)
            {
                _frame = GC.AllocateUninitializedArray<byte>(Math.Max(packet.Data.Length, _frame.Length * 2), pinned: true);
            }
            packet.Data.CopyTo(_frame);
            var header = new PacketHeader
            {
                Seconds = (nint)(packet.TimestampNanos / 1_000_000_000),
                Microseconds = (nint)(packet.TimestampNanos % 1_000_000_000 / 1000),
                CaptureLength = (uint)packet.Data.Length,
                Length = (uint)Math.Max(packet.OriginalLength, packet.Data.Length),
            };
            MemoryMarshal.Write(_header, in header);
            return program.Matches(Marshal.UnsafeAddrOfPinnedArrayElement(_header, 0), Marshal.UnsafeAddrOfPinnedArrayElement(_frame, 0));
        }
    }

    private BpfProgram? ProgramFor(LinkType linkType, bool checking)
    {
        if (_programs.TryGetValue(linkType, out var known))
        {
            return known;
        }
        var dlt = linkType == LinkType.Raw ? DltRaw : (int)linkType;
        var program = CaptureInterfaces.WithLibpcap(() => BpfProgram.TryCreate((LinkLayers)dlt, _expression));
        if (program is null && checking)
        {
            throw new LiveCaptureException(LiveCaptureError.BadFilter, $"the filter '{_expression}' does not compile: {CompileError(dlt)}");
        }
        _programs[linkType] = program;
        return program;
    }

    /// <summary>libpcap's own message for the failed compile ("syntax error", "unknown host 'x'").</summary>
    private string CompileError(int dlt)
    {
        try
        {
            BpfProgram.Create((LinkLayers)dlt, _expression).Dispose();
            return "libpcap gave no reason";
        }
        catch (PcapException e)
        {
            return LiveCapture.FilterMessage(e.Message);
        }
    }

    public void Dispose()
    {
        lock (_programs)
        {
            foreach (var p in _programs.Values)
            {
                p?.Dispose();
            }
            _programs.Clear();
        }
    }

    /// <summary>struct pcap_pkthdr on Linux and macOS (LP64): struct timeval (two longs), caplen, len.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PacketHeader
    {
        public nint Seconds;
        public nint Microseconds;
        public uint CaptureLength;
        public uint Length;
    }
}
