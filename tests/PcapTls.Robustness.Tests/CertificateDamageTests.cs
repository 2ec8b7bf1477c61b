using System.Security.Cryptography;
using PcapTls.Reporting;
using PcapTls.Testing;
using PcapTls.Validation;
using static PcapTls.Robustness.Tests.TlsBytes;

namespace PcapTls.Robustness.Tests;

/// <summary>Certificates that do not parse: listed with their SHA-256 and the parser's reason, reported as an
/// anomaly at the Certificate's packet, and still exported byte for byte.</summary>
[TestClass]
public sealed class CertificateDamageTests
{
    private string _dir = "";

    [TestInitialize]
    public void Setup() => _dir = Directory.CreateTempSubdirectory("pcaptls-certs-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    /// <summary>A TLS 1.2 server flight: ServerHello, Certificate (the given chain), ServerHelloDone; the client
    /// answers with a fatal bad_certificate alert. Returns the capture and the Certificate's packet.</summary>
    private (string Path, long CertificatePacket) ServerSendsChain(params byte[][] chain)
    {
        using var capture = new HostileCapture(Path.Combine(_dir, "chain.pcap"));
        var c = capture.Connect();
        c.Send(fromClient: true, Record(Handshake, ClientHello()));
        c.Send(fromClient: false, [.. Record(Handshake, ServerHello()), .. Records(Handshake, Certificate(chain)), .. Record(Handshake, ServerHelloDone())], mss: 65000);
        var packet = capture.Packets;
        c.Send(fromClient: true, FatalAlert(42));
        c.Close();
        return (capture.Complete(), packet);
    }

    [TestMethod]
    public void GarbageCertificateIsListedWithItsHashAndReported()
    {
        // A SEQUENCE that claims 16 bytes but holds text: no ASN.1 parser accepts it.
        byte[] garbage = [0x30, 0x10, .. "not a certificate"u8.ToArray()];
        var leaf = PemCertificate(RepoPaths.Capture("pki/backend.pem"));
        var (path, packet) = ServerSendsChain(leaf, garbage);
        var report = Analyze.File(path);
        var (json, console) = Analyze.Render(report);

        var h = report.Handshakes.Single();
        Assert.HasCount(2, h.ServerCertificates);
        Assert.IsNull(h.ServerCertificates[0].ParseError, "the leaf still parses");
        var broken = h.ServerCertificates[1];
        Assert.IsNotNull(broken.ParseError);
        var sha = Convert.ToHexStringLower(SHA256.HashData(garbage));
        Assert.AreEqual(sha, broken.Sha256);
        StringAssert.Contains(json, "parseError");
        StringAssert.Contains(json, sha);
        StringAssert.Contains(console, sha);

        var a = Analyze.Single(report, "certificate-unparsable");
        Assert.AreEqual(packet, a.Packet);
        StringAssert.Contains(a.Detail, sha);
    }

    [TestMethod]
    public void ExportCertsWritesTheUnparsableCertificateBytes()
    {
        byte[] garbage = [0x30, 0x03, 0x02, 0x01];  // SEQUENCE of 3 bytes holding an INTEGER cut short
        var (path, _) = ServerSendsChain(garbage);
        var report = Analyze.File(path);
        var export = Path.Combine(_dir, "export");

        var written = CertificateExport.Export(report, export);

        Assert.AreEqual(1, written);
        var pem = File.ReadAllText(Directory.GetFiles(export).Single());
        var der = Convert.FromBase64String(string.Concat(pem.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal))));
        CollectionAssert.AreEqual(garbage, der);
    }

    [TestMethod]
    public void DeeplyNestedCertificateStopsAtMaxAsn1DepthAndIsReported()
    {
        // SEQUENCE { SEQUENCE { ... } } nested far deeper than any certificate: the parser must not recurse
        // into it (a stack overflow would kill the process, not raise an exception).
        var nested = Nested(16_000);
        var info = CertificateInfo.Parse(nested);
        Assert.IsFalse(info.IsParsed);
        StringAssert.Contains(info.ParseError, nameof(CertificateInfo.MaxAsn1Depth));

        var (path, packet) = ServerSendsChain(nested);
        var report = Analyze.File(path);
        var a = Analyze.Single(report, "certificate-unparsable");
        Assert.AreEqual(packet, a.Packet);
        StringAssert.Contains(a.Detail, nameof(CertificateInfo.MaxAsn1Depth));
    }

    [TestMethod]
    public void NestingAtMaxAsn1DepthIsNotRejectedForDepth()
    {
        var info = CertificateInfo.Parse(Nested(CertificateInfo.MaxAsn1Depth));
        Assert.IsFalse(info.IsParsed, "not a certificate either");
        Assert.IsFalse(info.ParseError!.Contains(nameof(CertificateInfo.MaxAsn1Depth), StringComparison.Ordinal), info.ParseError);
    }

    [TestMethod]
    public void CorpusCertificatesAreWithinMaxAsn1Depth()
    {
        foreach (var pem in Directory.GetFiles(RepoPaths.Capture("pki"), "*.pem"))
        {
            var info = CertificateInfo.Parse(PemCertificate(pem));
            Assert.IsTrue(info.IsParsed, $"{pem}: {info.ParseError}");
        }
    }

    /// <summary>depth SEQUENCEs, each holding the next; the innermost is empty. Long-form lengths throughout.</summary>
    private static byte[] Nested(int depth)
    {
        var inner = new byte[] { 0x30, 0x00 };
        var result = new byte[inner.Length + ((depth - 1) * 4)];
        inner.CopyTo(result, result.Length - inner.Length);
        var length = inner.Length;
        for (var i = 1; i < depth; i++)
        {
            var at = result.Length - length - 4;
            result[at] = 0x30;                    // SEQUENCE
            result[at + 1] = 0x82;                // length in the next 2 bytes
            result[at + 2] = (byte)(length >> 8);
            result[at + 3] = (byte)length;
            length += 4;
        }
        return result;
    }
}
