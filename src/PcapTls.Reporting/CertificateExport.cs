using System.Text;
using PcapTls.Analysis;
using PcapTls.Validation;

namespace PcapTls.Reporting;

/// <summary>Writes each distinct certificate of a report as PEM, named by subject and short fingerprint.</summary>
public static class CertificateExport
{
    /// <summary>Characters of the subject kept in a file name (then "_" and 12 hex digits of the SHA-256).</summary>
    public const int MaxNameLength = 60;

    public static int Export(AnalysisReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var h in report.Handshakes)
        {
            foreach (var der in h.ServerChainDer)
            {
                var info = CertificateInfo.Parse(der);
                if (!seen.Add(info.Sha256Hex))
                {
                    continue;
                }
                var name = $"{FileNameFor(info)}.pem";
                var path = Path.Combine(directory, name);
                if (Path.GetDirectoryName(Path.GetFullPath(path)) != Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar))
                {
                    throw new InvalidOperationException($"certificate file name {name} leaves the export folder"); // FileNameFor forbids it
                }
                var temp = path + ".tmp";
                File.WriteAllText(temp, ToPem(der), new UTF8Encoding(false));
                File.Move(temp, path, overwrite: true);
            }
        }
        return seen.Count;
    }

    public static string ToPem(byte[] der)
    {
        var b64 = Convert.ToBase64String(der);
        var sb = new StringBuilder("-----BEGIN CERTIFICATE-----\n");
        for (var i = 0; i < b64.Length; i += 64)
        {
            sb.Append(b64, i, Math.Min(64, b64.Length - i)).Append('\n');
        }
        return sb.Append("-----END CERTIFICATE-----\n").ToString();
    }

    /// <summary>
    /// A plain file name from the subject's CN, which the certificate's issuer (or an attacker) chose: letters,
    /// digits, '.', '-' and '_' only (no separator, no control or bidi character), not starting with '.' or '-'
    /// (no hidden file, no name a shell tool reads as an option, never "." or ".."), at most
    /// <see cref="MaxNameLength"/> characters, then the fingerprint.
    /// </summary>
    public static string FileNameFor(CertificateInfo info)
    {
        var subject = info.IsParsed ? info.Subject : "unparsable";
        var cn = subject.Split(',').Select(p => p.Trim()).FirstOrDefault(p => p.StartsWith("CN=", StringComparison.OrdinalIgnoreCase))?[3..] ?? subject;
        var safe = new string(cn.Select(ch => char.IsLetterOrDigit(ch) || ch is '.' or '-' or '_' ? ch : '_').ToArray()).Trim('_', '.', '-');
        if (safe.Length > MaxNameLength)
        {
            safe = safe[..MaxNameLength];
        }
        if (safe.Length == 0)
        {
            safe = "certificate";
        }
        return $"{safe}_{info.Sha256Hex[..12]}";
    }
}
