using System.Globalization;
using PcapTls.Capture.Inputs;

namespace PcapTls.Cli;

/// <summary>The note that says how packets are named when the capture is several files (the files themselves are
/// the report's Files section).</summary>
internal static class MergedNotes
{
    public static IEnumerable<string> For(MergedCapture merged)
    {
        yield return merged.OriginsComplete
            ? "Packets are named by file and the file's own number (ring.pcap3#12: frame 12 of ring.pcap3, as Wireshark numbers it); the files were merged in time order."
            : $"Packets are named by file and the file's own number while the files' frames interleave in at most {MergedCapture.MaxRuns.ToString(CultureInfo.InvariantCulture)} runs; beyond, a packet is named by its number in merged time order (#N).";
    }
}
