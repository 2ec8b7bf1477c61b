using System.Buffers.Binary;

namespace PcapTls.Capture;

public sealed partial class CaptureFileReader
{
    private sealed class PcapNgInterface
    {
        public required LinkType LinkType { get; init; }
        public required uint SnapLength { get; init; }
        public required int GlobalIndex { get; init; }
        public ulong UnitsPerSecond { get; set; } = 1_000_000;
        public ulong NanosPerUnit { get; set; } = 1_000;
        public long OffsetNanos { get; set; }

        public long ToNanos(ulong ts)
        {
            unchecked
            {
                var nanos = NanosPerUnit != 0
                    ? ts * NanosPerUnit
                    : (ts / UnitsPerSecond) * 1_000_000_000UL + (ulong)((UInt128)(ts % UnitsPerSecond) * 1_000_000_000UL / UnitsPerSecond);
                return (long)nanos + OffsetNanos;
            }
        }
    }

    /*
     * Interface Description Block body:
     *   0  LinkType (16), Reserved (16)
     *   4  SnapLen (32)
     *   8  Options: code (16), length (16), value padded to 32 bits; opt_endofopt (0) ends them.
     *      if_tsresol (9): 1 byte; MSB 0: 10^-n seconds, MSB 1: 2^-n seconds. Default 10^-6.
     *      if_tsoffset (14): 8 bytes, seconds added to every timestamp.
     */
    private static PcapNgInterface? ParseInterface(ReadOnlySpan<byte> body, bool big, int globalIndex, AnomalyReporter? sink, long packetNumber)
    {
        const int optionsOffset = 8;
        if (body.Length < optionsOffset)
        {
            return null;
        }
        var iface = new PcapNgInterface
        {
            LinkType = (LinkType)ReadU16(body, big),
            SnapLength = ReadU32(body[4..], big),
            GlobalIndex = globalIndex,
        };
        var options = body[optionsOffset..];
        while (options.Length >= 4)
        {
            var code = ReadU16(options, big);
            var len = ReadU16(options[2..], big);
            if (code == OptionEndOfOptions || options.Length - 4 < len)
            {
                break;
            }
            var value = options.Slice(4, len);
            if (code == OptionIfTsResol && len >= 1)
            {
                var v = value[0];
                var exponent = v & 0x7F;
                var powerOfTwo = (v & 0x80) != 0;
                if ((powerOfTwo && exponent > 63) || (!powerOfTwo && exponent > 19))
                {
                    sink?.Report(packetNumber, CaptureAnomalyKind.TimestampResolutionInvalid, $"if_tsresol 0x{v:X2} is out of range; microseconds assumed");
                }
                else
                {
                    var units = powerOfTwo ? 1UL << exponent : Pow10(exponent);
                    iface.UnitsPerSecond = units;
                    iface.NanosPerUnit = 1_000_000_000UL % units == 0 ? 1_000_000_000UL / units : 0;
                }
            }
            else if (code == OptionIfTsOffset && len >= 8)
            {
                iface.OffsetNanos = unchecked((long)(big ? BinaryPrimitives.ReadUInt64BigEndian(value) : BinaryPrimitives.ReadUInt64LittleEndian(value)) * 1_000_000_000L);
            }
            var advance = 4 + ((len + 3) & ~3);
            if (advance > options.Length)
            {
                break;
            }
            options = options[advance..];
        }
        return iface;
    }

    private static ulong Pow10(int n)
    {
        var r = 1UL;
        for (var i = 0; i < n; i++)
        {
            r *= 10;
        }
        return r;
    }
}
