using System.Text;
using PcapTls.Analysis;
using PcapTls.Reporting.Wording;
using PcapTls.Support;
using PcapTls.Validation;

namespace PcapTls.Reporting.Support;

/// <summary>
/// The evidence bundle of a support case (<c>--bundle DIR</c>): the report as text and JSON, every certificate of the
/// failing chains as PEM, exactly the certificate(s) to import into the truststore, the failing handshakes' packets
/// and SUMMARY.md, the case ready to paste into a ticket. Written into a temporary folder beside DIR and renamed at
/// the end, so DIR holds a whole bundle or nothing.
/// </summary>
public static class EvidenceBundle
{
    /// <summary>What the bundle holds, relative to its folder (for the README and the one-line note the CLI prints).</summary>
    public sealed record Written(string Directory, IReadOnlyList<string> Files);

    /// <param name="writePackets">Writes the failing handshakes' packets to the given pcap path; null when the capture cannot be read again (standard input).</param>
    public static Written Write(string directory, AnalysisReport report, SupportCase? support, Action<string>? writePackets)
    {
        var target = CheckTarget(directory);
        var parent = Path.GetDirectoryName(target)!;
        // A new hidden folder beside DIR (never an existing one: it is deleted if the bundle fails).
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.partial");
        if (Directory.Exists(temp) || File.Exists(temp))
        {
            throw new IOException($"{temp} already exists");
        }
        var files = new List<string>();
        try
        {
            Directory.CreateDirectory(temp);
            Text(temp, "report.txt", w => new ConsoleReportRenderer(color: false) { Support = support }.Render(report, w), files);
            Text(temp, "report.json", w => new JsonReportRenderer { Support = support }.Render(report, w), files);
            var failed = report.Handshakes.Select((h, i) => (H: h, N: i + 1)).Where(x => x.H.IsFailure).ToList();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (h, _) in failed)
            {
                foreach (var der in h.ServerChainDer)
                {
                    var info = CertificateInfo.Parse(der);
                    if (seen.Add(info.Sha256Hex))
                    {
                        Text(temp, Path.Combine("chain", CertificateExport.FileNameFor(info) + ".pem"), w => w.Write(CertificateExport.ToPem(der)), files);
                    }
                }
            }
            var imports = new List<(CertificateInfo Cert, string File)>();
            foreach (var (h, _) in failed)
            {
                foreach (var need in h.Verdict?.NeededInTrustStore ?? [])
                {
                    if (imports.All(x => x.Cert.Sha256Hex != need.Sha256Hex))
                    {
                        var name = Path.Combine("import", CertificateExport.FileNameFor(need) + ".pem");
                        Text(temp, name, w => w.Write(CertificateExport.ToPem(need.Der)), files);
                        imports.Add((need, name));
                    }
                }
            }
            if (writePackets is not null && failed.Count > 0)
            {
                writePackets(Path.Combine(temp, "failed-handshakes.pcap"));
                files.Add("failed-handshakes.pcap");
            }
            Text(temp, "SUMMARY.md", w => CaseSummary.Write(w, report, support, imports, writePackets is not null && failed.Count > 0), files);
            if (Directory.Exists(target))
            {
                Directory.Delete(target);
            }
            Directory.Move(temp, target);
            return new Written(target, files);
        }
        catch
        {
            try
            {
                Directory.Delete(temp, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: the partial folder is hidden and named as such.
            }
            throw;
        }
    }

    /// <summary>
    /// The bundle's full path, when it can be written there: a new folder or an empty one (never a file, never a folder
    /// with anything in it, so no input is ever written over), whose parent exists.
    /// </summary>
    public static string CheckTarget(string directory)
    {
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (File.Exists(target))
        {
            throw new IOException($"{target} is a file: give a new folder for the bundle");
        }
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new IOException($"{target} already exists and is not empty: give a new folder for the bundle");
        }
        var parent = Path.GetDirectoryName(target);
        if (parent is null)
        {
            throw new IOException($"{target} is a file system root: give a new folder for the bundle");
        }
        if (!Directory.Exists(parent))
        {
            throw new IOException($"the folder {parent} does not exist");
        }
        return target;
    }

    private static void Text(string root, string relative, Action<TextWriter> write, List<string> files)
    {
        var path = Path.GetFullPath(Path.Combine(root, relative));
        if (!path.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            // File names come from certificate names (sanitised); this holds even if that ever changes.
            throw new IOException($"'{relative}' would be written outside the bundle");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var w = new StreamWriter(path, false, new UTF8Encoding(false)) { NewLine = "\n" })
        {
            write(w);
        }
        files.Add(relative.Replace('\\', '/'));
    }
}
