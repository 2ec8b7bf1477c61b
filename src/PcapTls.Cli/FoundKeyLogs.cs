using PcapTls.Capture.Inputs;

namespace PcapTls.Cli;

/// <summary>
/// Key logs that come with the captures, as engineers hand them over: <c>cap.keys</c>, <c>cap.keylog</c> or
/// <c>cap.keylog.txt</c> (also <c>cap.pcap.keys</c>) next to a capture <c>cap.pcap</c> (or <c>cap.pcap1</c>, ...
/// of a tcpdump -C set), and the key log files inside an archive. Each one used is said on stderr; a key log
/// given with --keylog is not read twice.
/// </summary>
internal static class FoundKeyLogs
{
    /// <summary>Longer files are not read (a key log holds ~200 bytes per connection: this is millions of them).</summary>
    public const long MaxBytes = 256L << 20;

    private static readonly string[] Suffixes = [".keys", ".keylog", ".keylog.txt"];

    public static IReadOnlyList<(string Name, string Text)> Find(CaptureInputs.Opened opened, IReadOnlyList<string> given, TextWriter stderr)
    {
        var found = new List<(string Name, string Text)>();
        var seen = new HashSet<string>(given.Select(Path.GetFullPath), StringComparer.Ordinal);
        foreach (var capture in opened.Files)
        {
            foreach (var candidate in Candidates(capture))
            {
                if (!File.Exists(candidate) || !seen.Add(candidate))
                {
                    continue;
                }
                var length = new FileInfo(candidate).Length;
                if (length > MaxBytes)
                {
                    stderr.WriteLine($"pcaptls: warning: key log {candidate} next to {capture} not read: {length} bytes, more than {MaxBytes >> 20} MiB (give it with --keylog)");
                    continue;
                }
                try
                {
                    found.Add((candidate, File.ReadAllText(candidate)));
                    stderr.WriteLine($"pcaptls: using key log {candidate} (found next to {capture})");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"pcaptls: warning: key log {candidate} next to {capture} not read: {e.Message}");
                }
            }
        }
        foreach (var member in opened.ArchiveKeyLogs)
        {
            if (CaptureArchive.ReadText(member, MaxBytes) is { } text)
            {
                found.Add((member.Source.Name, text));
                stderr.WriteLine($"pcaptls: using key log {member.Source.Name} (found in the archive)");
            }
            else
            {
                stderr.WriteLine($"pcaptls: warning: key log {member.Source.Name} not read: more than {MaxBytes >> 20} MiB");
            }
        }
        return found;
    }

    /// <summary>The names a key log next to <paramref name="capture"/> may have, absolute.</summary>
    internal static IEnumerable<string> Candidates(string capture)
    {
        var full = Path.GetFullPath(capture);
        var dir = Path.GetDirectoryName(full) ?? ".";
        var name = Path.GetFileName(full);
        // cap.pcap -> cap.pcap, cap; cap.pcap.gz -> cap.pcap.gz, cap.pcap, cap; cap.pcap12 -> cap.pcap12, cap.
        var stems = new List<string> { name };
        for (var stem = name; Path.GetFileNameWithoutExtension(stem) is { Length: > 0 } shorter && shorter != stem; stem = shorter)
        {
            stems.Add(shorter);
        }
        return stems.SelectMany(stem => Suffixes.Select(suffix => Path.Combine(dir, stem + suffix))).Distinct(StringComparer.Ordinal);
    }
}
