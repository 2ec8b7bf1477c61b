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
            foreach (var candidate in Candidates(capture).Where(c => File.Exists(c) && seen.Add(c)))
            {
                Read(candidate, $"found next to {capture}", found, stderr);
            }
        }
        // A directory given as the capture: its key log files too (sslkeylog.log, *.keys, ...), as in an archive.
        foreach (var directory in opened.Directories)
        {
            var inDirectory = Directory.EnumerateFiles(directory).Where(f => CaptureArchive.IsKeyLogName(Path.GetFileName(f)));
            foreach (var file in inDirectory.Select(Path.GetFullPath).Order(StringComparer.Ordinal).Where(seen.Add))
            {
                Read(file, $"found in the directory {directory}", found, stderr);
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

    private static void Read(string file, string where, List<(string Name, string Text)> found, TextWriter stderr)
    {
        var length = new FileInfo(file).Length;
        if (length > MaxBytes)
        {
            stderr.WriteLine($"pcaptls: warning: key log {file} ({where}) not read: {length} bytes, more than {MaxBytes >> 20} MiB (give it with --keylog)");
            return;
        }
        try
        {
            found.Add((file, File.ReadAllText(file)));
            stderr.WriteLine($"pcaptls: using key log {file} ({where})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"pcaptls: warning: key log {file} ({where}) not read: {e.Message}");
        }
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
