using System.Text;
using PcapTls.Capture;
using PcapTls.Decryption;
using PcapTls.Validation;

namespace PcapTls.Robustness.Tests;

/// <summary>
/// Every input in Data/fuzz/TARGET/ (crashes and hangs found by tools/fuzz, or found by reading the code)
/// replayed through the entry point of that fuzz target: none may throw. File names say what each one was.
/// </summary>
[TestClass]
public sealed class FuzzRegressionTests
{
    private static IEnumerable<string> Inputs(string target)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Data", "fuzz", target);
        return Directory.Exists(dir) ? Directory.GetFiles(dir).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal) : [];
    }

    [TestMethod]
    public void CaptureInputs()
    {
        foreach (var file in Inputs("capture"))
        {
            try
            {
                Analyze.Render(Analyze.File(file));
            }
            catch (CaptureFormatException)
            {
                // the documented answer to a file that is not a capture
            }
        }
    }

    [TestMethod]
    public void X509Inputs()
    {
        var inputs = Inputs("x509").ToList();
        Assert.IsNotEmpty(inputs, "Data/fuzz/x509 holds at least the nesting input");
        foreach (var file in inputs)
        {
            var info = CertificateInfo.Parse(File.ReadAllBytes(file));
            Assert.IsNotNull(info.Sha256Hex, file);
        }
    }

    [TestMethod]
    public void TrustStoreInputs()
    {
        var inputs = Inputs("truststore").ToList();
        Assert.IsGreaterThanOrEqualTo(6, inputs.Count, "the six crashes tools/fuzz found");
        foreach (var file in inputs)
        {
            try
            {
                TrustStore.Load(Path.GetFileName(file), File.ReadAllBytes(file), "changeit");
            }
            catch (TrustStoreException)
            {
                // the documented answer to a file that is no truststore
            }
        }
    }

    [TestMethod]
    public void KeyLogInputs()
    {
        foreach (var file in Inputs("keylog"))
        {
            KeyLog.Parse(new StringReader(Encoding.UTF8.GetString(File.ReadAllBytes(file))), file);
        }
    }
}
