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

    [TestMethod]
    public void EncapsulationInputs()
    {
        var inputs = Inputs("encap").ToList();
        Assert.IsGreaterThanOrEqualTo(1, inputs.Count, "the MPLS control word crash tools/fuzz found");
        foreach (var file in inputs)
        {
            PcapTls.Fuzz.SurfaceTargets.Encapsulation(File.ReadAllBytes(file));
        }
    }

    [TestMethod]
    public void PreambleInputs()
    {
        var inputs = Inputs("preamble").ToList();
        Assert.IsNotEmpty(inputs, "the SOCKS5 empty side tools/fuzz found");
        foreach (var file in inputs)
        {
            PcapTls.Fuzz.SurfaceTargets.Preamble(File.ReadAllBytes(file));
        }
    }

    [TestMethod]
    public void CompressedStreamInputs()
    {
        var inputs = Inputs("compressed").ToList();
        Assert.IsNotEmpty(inputs, "the xz stream");
        foreach (var file in inputs)
        {
            PcapTls.Fuzz.SurfaceTargets.CaptureStream(File.ReadAllBytes(file));
        }
    }

    [TestMethod]
    public void SupportLogInputs()
    {
        var inputs = Inputs("supportlog").ToList();
        Assert.IsNotEmpty(inputs, "the listing time beyond the year 9999 tools/fuzz found");
        foreach (var file in inputs)
        {
            PcapTls.Fuzz.SupportTargets.SupportLog(File.ReadAllBytes(file));
        }
    }

    [TestMethod]
    public void AListingTimeBeyondTheYear9999IsNoTime()
    {
        var folder = Directory.CreateTempSubdirectory("pcaptls-listing-").FullName;
        try
        {
            var input = File.ReadAllBytes(Inputs("supportlog").Single(f => f.EndsWith("listing-time-beyond-year-9999.json", StringComparison.Ordinal)));
            File.WriteAllBytes(Path.Combine(folder, (input[1] & 1) == 0 ? "certs.json" : "root.json"), input[2..]);
            var listing = PcapTls.Support.Apigee.TruststoreListing.Load(folder);
            Assert.IsNotEmpty(listing.Entries, "the certificate is still listed");
            Assert.IsTrue(listing.Entries.SelectMany(e => e.Infos).All(i => i.ValidFrom is null), "a time the calendar cannot hold is no time");
            Assert.AreEqual("CN=a", listing.Entries.Single().Infos.Single().Subject);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void AnXzCaptureReadAsAStreamIsReadWhole()
    {
        var file = Inputs("compressed").Single(f => f.EndsWith("xz-read-as-a-stream.pcap.xz", StringComparison.Ordinal));
        using var stream = File.OpenRead(file);
        var reader = CaptureFileReader.Open(PcapTls.Capture.Inputs.CaptureSource.Stream("-", stream));
        var frames = new FrameCount();
        reader.Read(frames);
        Assert.IsGreaterThan(5, frames.Count, "the frames of the TLS 1.3 capture inside");
    }

    private sealed class FrameCount : IPacketHandler
    {
        public int Count { get; private set; }

        public void OnPacket(in RawPacket packet) => Count++;
    }

    /// <summary>The corpus AFL++ grew for each target of the new surfaces (Data/fuzz-corpus/TARGET/), replayed
    /// through the same target code: none may throw.</summary>
    [TestMethod]
    [DataRow("encap")]
    [DataRow("preamble")]
    [DataRow("pcapng")]
    [DataRow("compressed")]
    [DataRow("supportlog")]
    public void CorpusReplaysWithoutException(string target)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Data", "fuzz-corpus", target);
        var inputs = Directory.Exists(dir) ? Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToList() : [];
        Assert.IsNotEmpty(inputs, $"Data/fuzz-corpus/{target} holds the corpus (tools/fuzz/README.md says how it was made)");
        Action<byte[]> run = target switch
        {
            "encap" => PcapTls.Fuzz.SurfaceTargets.Encapsulation,
            "preamble" => PcapTls.Fuzz.SurfaceTargets.Preamble,
            "supportlog" => PcapTls.Fuzz.SupportTargets.SupportLog,
            _ => PcapTls.Fuzz.SurfaceTargets.CaptureStream,
        };
        foreach (var file in inputs)
        {
            run(File.ReadAllBytes(file));
        }
    }
}
