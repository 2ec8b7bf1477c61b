using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PcapTls.Cli;
using PcapTls.Reporting;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Cli.Tests;

/// <summary>
/// Outputs that cannot hurt their reader: names the capture's sender chose (SNI, certificate subjects) reach a CSV
/// as text, never as a spreadsheet formula, and reach the file system only as a plain name inside the export
/// folder; the truststore password reaches no output at all. The hostile names are put into a real openssl capture
/// by replacing its 20-character host name (SNI, CN and SAN) with one of the same length, so no length field moves.
/// </summary>
[TestClass]
public sealed class OutputSafetyTests
{
    private const string CaptureHost = "backend.pcaptls.test";

    private static readonly string Capture = RepoPaths.Capture(Path.Combine("tls12", "openssl", "untrusted-root.pcap"));

    public TestContext TestContext { get; set; } = null!;

    private string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pcaptls-output-safety", TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The capture with every occurrence of its host name replaced by <paramref name="hostile"/>.</summary>
    private string CaptureNaming(string hostile)
    {
        if (!File.Exists(Capture))
        {
            Assert.Inconclusive("skipped: captures/tls12/openssl is missing (tools/make-captures makes it)");
        }
        Assert.AreEqual(CaptureHost.Length, hostile.Length, "same length: no length field changes");
        var bytes = File.ReadAllBytes(Capture);
        var from = Encoding.ASCII.GetBytes(CaptureHost);
        var to = Encoding.ASCII.GetBytes(hostile);
        var replaced = 0;
        for (var i = bytes.AsSpan().IndexOf(from); i >= 0; i = bytes.AsSpan().IndexOf(from))
        {
            to.CopyTo(bytes, i);
            replaced++;
        }
        Assert.IsGreaterThanOrEqualTo(3, replaced, "SNI, subject CN and SAN");
        var path = Path.Combine(NewDirectory(), "hostile.pcap");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [TestMethod]
    public void CsvCellsThatASpreadsheetWouldRunAsFormulasAreText()
    {
        const string formula = "=1+cmd|'/C calc'!A0_";
        var capture = CaptureNaming(formula);
        var (code, csv, err) = Run("analyze", capture, "--format", "csv", "--truststore", RepoPaths.Capture(Path.Combine("truststores", "unrelated-root.pem")));
        Assert.AreEqual(0, code, err);
        var rows = csv.TrimEnd('\n').Split('\n').Select(Cells).ToList();
        Assert.HasCount(2, rows, csv);
        var sni = rows[1][Array.IndexOf(rows[0], "sni")];
        Assert.AreEqual("'" + formula, sni, "OWASP: a leading quote makes the cell text");
        Assert.AreEqual("'" + formula, rows[1][Array.IndexOf(rows[0], "host")]);
        foreach (var cell in rows.SelectMany(r => r))
        {
            Assert.IsFalse(cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r', $"a cell starts like a formula: {cell}");
        }
    }

    /// <summary>The cells of one RFC 4180 line (quoted cells unquoted).</summary>
    private static string[] Cells(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }
        cells.Add(cell.ToString());
        return [.. cells];
    }

    [TestMethod]
    public void ExportedCertificatesStayInTheExportFolderWhateverTheirSubjectSays()
    {
        var capture = CaptureNaming("../../../../tmp/evil");
        var root = NewDirectory();
        var export = Path.Combine(root, "a", "b", "certs");
        var (code, _, err) = Run("analyze", capture, "--export-certs", export);
        Assert.AreEqual(0, code, err);
        var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories);
        Assert.IsNotEmpty(files);
        foreach (var f in files)
        {
            Assert.AreEqual(Path.GetFullPath(export), Path.GetDirectoryName(Path.GetFullPath(f)), f);
        }
        Assert.IsTrue(files.Any(f => Path.GetFileName(f).StartsWith("tmp_evil_", StringComparison.Ordinal)), string.Join(", ", files));
        Assert.IsFalse(File.Exists(Path.Combine(root, "tmp", "evil")));
    }

    [TestMethod]
    [DataRow("../../etc/passwd")]
    [DataRow("..")]
    [DataRow(".hidden")]
    [DataRow("-rf")]
    [DataRow("a\nb\rc\td\0e")]
    [DataRow("C:\\Windows\\system32")]
    [DataRow("\u202Egpj.exe")]
    [DataRow("名前/証明書")]
    public void ACertificateFileNameIsOnePlainBoundedName(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var dn = new X500DistinguishedNameBuilder();
        dn.AddCommonName(commonName);
        var request = new CertificateRequest(dn.Build(), key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(1));
        var name = CertificateExport.FileNameFor(CertificateInfo.Parse(cert.RawData));
        StringAssert.Matches(name, new System.Text.RegularExpressions.Regex(@"^[\p{L}\p{Nd}_][\p{L}\p{Nd}._-]*_[0-9a-f]{12}$"), commonName);
        Assert.IsLessThanOrEqualTo(CertificateExport.MaxNameLength + 13, name.Length);
        Assert.AreEqual(name, Path.GetFileName(name));
    }

    [TestMethod]
    public void ALongSubjectGivesABoundedName()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var dn = new X500DistinguishedNameBuilder();
        dn.AddCommonName(new string('a', 60) + new string('b', 4000));
        var request = new CertificateRequest(dn.Build(), key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(1));
        var name = CertificateExport.FileNameFor(CertificateInfo.Parse(cert.RawData));
        Assert.AreEqual(new string('a', CertificateExport.MaxNameLength) + "_", name[..(CertificateExport.MaxNameLength + 1)]);
        Assert.AreEqual(CertificateExport.MaxNameLength + 13, name.Length);
    }

    [TestMethod]
    public void TheTruststorePasswordReachesNoOutputAndIsNeverAnArgument()
    {
        var keytool = Requires.Tool("keytool");
        var dir = NewDirectory();
        var p12 = Path.Combine(dir, "ts.p12");
        const string password = "Pw-4711-never-printed";
        const string wrong = "Pw-0815-wrong-one";
        var (rc, _, e) = Requires.Run(keytool, "-importcert", "-noprompt", "-alias", "root", "-file", RepoPaths.Capture(Path.Combine("pki", "root.pem")),
            "-keystore", p12, "-storetype", "PKCS12", "-storepass", password);
        Assert.AreEqual(0, rc, e);
        Environment.SetEnvironmentVariable("PCAPTLS_TEST_SAFE_PW", password);
        Environment.SetEnvironmentVariable("PCAPTLS_TEST_SAFE_WRONG_PW", wrong);
        var capture = RepoPaths.Capture(Path.Combine("tls12", "openssl", "untrusted-root.pcap"));
        var runs = new List<(int Code, string Out, string Err)>();
        foreach (var format in new[] { "console", "json", "csv" })
        {
            runs.Add(Run("analyze", capture, "--truststore", p12, "--truststore-password-env", "PCAPTLS_TEST_SAFE_PW", "--format", format));
            Assert.AreEqual(0, runs[^1].Code, runs[^1].Err);
        }
        runs.Add(Run("truststore", "list", p12, "--password-env", "PCAPTLS_TEST_SAFE_PW"));
        Assert.AreEqual(0, runs[^1].Code, runs[^1].Err);
        runs.Add(Run("analyze", capture, "--truststore", p12, "--truststore-password-env", "PCAPTLS_TEST_SAFE_WRONG_PW"));
        Assert.AreEqual((int)ExitCode.InputError, runs[^1].Code, runs[^1].Err);
        var debug = Environment.GetEnvironmentVariable("PCAPTLS_DEBUG");
        try
        {
            Environment.SetEnvironmentVariable("PCAPTLS_DEBUG", "1"); // even with stacks printed
            runs.Add(Run("analyze", capture, "--truststore", p12, "--truststore-password-env", "PCAPTLS_TEST_SAFE_WRONG_PW"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PCAPTLS_DEBUG", debug);
        }
        foreach (var (_, output, error) in runs)
        {
            Assert.IsFalse(output.Contains(password, StringComparison.Ordinal) || error.Contains(password, StringComparison.Ordinal), output + error);
            Assert.IsFalse(output.Contains(wrong, StringComparison.Ordinal) || error.Contains(wrong, StringComparison.Ordinal), output + error);
        }
        // Only the name of a variable is an argument: a process listing (ps, /proc/PID/cmdline) never shows it.
        var (_, help, _) = Run("analyze", "--help");
        StringAssert.Contains(help, "--truststore-password-env");
        Assert.IsFalse(System.Text.RegularExpressions.Regex.IsMatch(help, @"--\S*password(?!-env)\b"), "an option that takes the password itself: " + help);
        var (refused, _, refusedErr) = Run("analyze", capture, "--truststore", p12, "--truststore-password", password);
        Assert.AreNotEqual(0, refused, refusedErr);
        Assert.IsFalse(refusedErr.Contains(password, StringComparison.Ordinal), refusedErr);
    }
}
