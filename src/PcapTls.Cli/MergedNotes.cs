using System.Globalization;
using PcapTls.Capture.Inputs;

namespace PcapTls.Cli;

/// <summary>The notes that say, for a capture merged from several files, which file each packet number came from
/// (packet numbers in the report are in merged order) and what each file held.</summary>
internal static class MergedNotes
{
    /// <summary>Runs listed one by one up to this many; beyond, only the per-file summary.</summary>
    private const int RunsListed = 40;

    public static IEnumerable<string> For(MergedCapture merged)
    {
        var perFile = new long[merged.Files.Count];
        foreach (var run in merged.Runs)
        {
            perFile[run.File] += run.Count;
        }
        for (var i = 0; i < merged.Files.Count; i++)
        {
            var f = merged.Files[i];
            var span = f.FirstTimestampNanos is { } first && f.LastTimestampNanos is { } last
                ? $", {Time(first)} .. {Time(last)}" : "";
            yield return $"File {i + 1}: {f.Path} ({f.FormatName}, {perFile[i].ToString(CultureInfo.InvariantCulture)} packets{span})";
        }
        if (merged.Runs.Count <= RunsListed && merged.OriginsComplete)
        {
            var parts = merged.Runs.Select(r => r.Count == 1
                ? $"#{r.First} = {Name(merged, r.File)}#{r.FileFirst}"
                : $"#{r.First}-#{r.First + r.Count - 1} = {Name(merged, r.File)}#{r.FileFirst}-#{r.FileFirst + r.Count - 1}");
            yield return $"Packets are numbered in merged time order: {string.Join(", ", parts)}.";
        }
        else
        {
            yield return $"Packets are numbered in merged time order; the files' frames interleave in {merged.Runs.Count.ToString(CultureInfo.InvariantCulture)} runs (too many to list).";
        }
    }

    private static string Name(MergedCapture merged, int file) => Path.GetFileName(merged.Files[file].Path);

    private static string Time(long nanos) =>
        DateTimeOffset.FromUnixTimeMilliseconds(nanos / 1_000_000).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
}
