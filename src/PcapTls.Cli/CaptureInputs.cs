using PcapTls.Capture;
using PcapTls.Capture.Inputs;

namespace PcapTls.Cli;

/// <summary>Turns the capture arguments into one input: "-" (standard input, read once), a file, several files, a
/// directory (its capture files) or a glob ("cap.pcap*", as tcpdump -C/-W and -G name their files), and archives
/// (.zip, .tar, .tar.gz, ...: their captures, read in place); several captures are merged in time order into one.</summary>
internal static class CaptureInputs
{
    /// <summary>Names in a directory or glob that are never captures (key logs, notes).</summary>
    private static readonly string[] NotCaptures = [".keys", ".keylog", ".log", ".txt", ".md", ".json", ".csv", ".pem", ".jks", ".p12"];

    /// <summary>The input, and where key logs may come with it: the capture files named (for key logs next to
    /// them) and the key log members of the archives.</summary>
    /// <summary>The capture, its plain files, the key logs found inside archives and the directories given.</summary>
    public sealed record Opened(ICaptureInput Input, IReadOnlyList<string> Files, IReadOnlyList<ArchiveMember> ArchiveKeyLogs, IReadOnlyList<string> Directories);

    public static ICaptureInput Open(IReadOnlyList<string> arguments, Func<Stream> standardInput) => OpenWithKeyLogs(arguments, standardInput).Input;

    public static Opened OpenWithKeyLogs(IReadOnlyList<string> arguments, Func<Stream> standardInput)
    {
        if (arguments.Count == 1 && arguments[0] == "-")
        {
            return new(CaptureFileReader.Open(CaptureSource.Stream("-", standardInput())), [], [], []);
        }
        if (arguments.Contains("-"))
        {
            throw new UserErrorException(ExitCode.Usage, "'-' (standard input) cannot be combined with other captures");
        }
        // An unknown option reaches here as a capture name (the argument takes one or more).
        if (arguments.FirstOrDefault(a => a.StartsWith('-') && !File.Exists(a)) is { } option)
        {
            throw new UserErrorException(ExitCode.Usage, $"unknown option '{option}'");
        }
        var files = arguments.SelectMany(Expand).Distinct(StringComparer.Ordinal).ToList();
        if (files.Count > MergedCapture.MaxFiles)
        {
            throw new UserErrorException(ExitCode.InputError, $"{files.Count} capture files given; at most {MergedCapture.MaxFiles} are read as one capture");
        }
        foreach (var f in files)
        {
            InputChecks.RequireReadableFile(f, "capture");
        }
        var sources = new List<CaptureSource>();
        var plainFiles = new List<string>();
        var archiveKeyLogs = new List<ArchiveMember>();
        foreach (var f in files)
        {
            if (CaptureArchive.Detect(f).Kind == ArchiveKind.None)
            {
                sources.Add(CaptureSource.File(f));
                plainFiles.Add(f);
            }
            else
            {
                var contents = CaptureArchive.List(f);
                sources.AddRange(contents.Captures.Select(c => c.Source));
                archiveKeyLogs.AddRange(contents.KeyLogs);
            }
        }
        if (sources.Count > MergedCapture.MaxFiles)
        {
            throw new UserErrorException(ExitCode.InputError, $"{sources.Count} captures given; at most {MergedCapture.MaxFiles} are read as one capture");
        }
        var readers = sources.Select(CaptureFileReader.Open).ToList();
        return new(readers.Count == 1 ? readers[0] : new MergedCapture(readers), plainFiles, archiveKeyLogs, [.. arguments.Where(Directory.Exists)]);
    }

    /// <summary>The files one argument names, in the order tcpdump wrote them (see <see cref="RotationOrder"/>).</summary>
    private static IEnumerable<string> Expand(string argument)
    {
        if (Directory.Exists(argument))
        {
            var inDir = Directory.EnumerateFiles(argument).Where(IsCaptureName).ToList();
            if (inDir.Count == 0)
            {
                throw new UserErrorException(ExitCode.InputError, $"{argument}: the directory holds no capture files");
            }
            return RotationOrder(inDir);
        }
        var name = Path.GetFileName(argument);
        if (name.AsSpan().IndexOfAny('*', '?') < 0)
        {
            return [argument];
        }
        var dir = Path.GetDirectoryName(argument) is { Length: > 0 } d ? d : ".";
        if (!Directory.Exists(dir))
        {
            throw new UserErrorException(ExitCode.InputError, $"{argument}: no such folder {dir}");
        }
        var matched = Directory.EnumerateFiles(dir, name).Where(IsCaptureName).ToList();
        if (matched.Count == 0)
        {
            throw new UserErrorException(ExitCode.InputError, $"{argument}: no file matches");
        }
        return RotationOrder(matched);
    }

    private static bool IsCaptureName(string path) =>
        !Path.GetFileName(path).StartsWith('.') && !NotCaptures.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>tcpdump -C names the files cap.pcap, cap.pcap1, cap.pcap2, ... cap.pcap10: ordered by the name
    /// without its trailing number, then by that number (not as text: 10 after 9). The merge orders frames by time
    /// anyway; this order only decides which file wins when two frames have the same time.</summary>
    private static IEnumerable<string> RotationOrder(List<string> files) => files
        .Select(f => (File: f, Stem: f.TrimEnd("0123456789".ToCharArray()), Number: TrailingNumber(f)))
        .OrderBy(x => x.Stem, StringComparer.Ordinal).ThenBy(x => x.Number).Select(x => x.File);

    private static long TrailingNumber(string f)
    {
        var digits = f.Length - f.TrimEnd("0123456789".ToCharArray()).Length;
        return digits is > 0 and < 19 ? long.Parse(f.AsSpan(f.Length - digits), System.Globalization.CultureInfo.InvariantCulture) : -1;
    }
}
