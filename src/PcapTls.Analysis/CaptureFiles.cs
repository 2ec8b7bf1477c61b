using PcapTls.Capture.Inputs;
using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>The per-file summaries of a capture given as several files: packets and time span per file, and the
/// handshakes whose first packet is in it.</summary>
public static class CaptureFiles
{
    public static IReadOnlyList<CaptureFileSummary> Summarise(MergedCapture merged, IReadOnlyList<HandshakeReport> handshakes)
    {
        ArgumentNullException.ThrowIfNull(merged);
        ArgumentNullException.ThrowIfNull(handshakes);
        var names = (IPacketNames)merged;
        var count = merged.Files.Count;
        var packets = new long[count];
        foreach (var run in merged.Runs)
        {
            packets[run.File] += run.Count;
        }
        var shaken = new int[count];
        var failed = new int[count];
        var shares = new bool[count];
        var causes = Enumerable.Range(0, count).Select(_ => new List<string>()).ToArray();
        foreach (var h in handshakes)
        {
            var file = names.FileOf(h.StartPacket);
            if (file < 0)
            {
                continue;
            }
            shaken[file]++;
            if (h.IsFailure)
            {
                failed[file]++;
            }
            foreach (var c in h.Causes)
            {
                var code = c.Code.ToCode();
                if (!causes[file].Contains(code))
                {
                    causes[file].Add(code);
                }
            }
            var last = names.FileOf(h.LastPacket);
            if (last >= 0 && last != file)
            {
                shares[file] = shares[last] = true;
            }
        }
        var list = new CaptureFileSummary[count];
        for (var i = 0; i < count; i++)
        {
            var f = merged.Files[i];
            list[i] = new CaptureFileSummary(names.FileNames[i], f.Path, f.FormatName, packets[i],
                f.FirstTimestampNanos is { } first ? HandshakeJudge.FromNanos(first) : null,
                f.LastTimestampNanos is { } lastTime ? HandshakeJudge.FromNanos(lastTime) : null,
                shaken[i], failed[i], causes[i], shares[i]);
        }
        return list;
    }
}
