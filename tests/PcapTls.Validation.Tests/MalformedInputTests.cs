using PcapTls.Testing;
using PcapTls.Validation;
using static PcapTls.Validation.Tests.TestPki;

namespace PcapTls.Validation.Tests;

/// <summary>Broken input is a result (IsParsed=false, a TrustStoreException), never another exception.</summary>
[TestClass]
public sealed class MalformedInputTests
{
    [TestMethod]
    public void EveryPrefixOfACertificateIsUnparsedNotThrown()
    {
        var der = Leaf(Root()).Der;
        for (var n = 0; n < der.Length; n++)
        {
            var c = CertificateInfo.Parse(der[..n]);
            Assert.IsFalse(c.IsParsed, $"prefix {n}");
            Assert.IsNotNull(c.ParseError);
            Assert.AreEqual(64, c.Sha256Hex.Length);
        }
        Assert.IsTrue(CertificateInfo.Parse(der).IsParsed);
    }

    [TestMethod]
    public void EveryPrefixOfAPemChainReadsOnlyWholeBlocks()
    {
        var root = Root();
        var text = System.Text.Encoding.ASCII.GetBytes(Leaf(root).Pem + root.Pem);
        for (var n = 0; n < text.Length; n += 7)
        {
            var certs = CertificateFile.Read(text[..n]);
            Assert.IsTrue(certs.Count <= 2);
        }
        Assert.AreEqual(2, CertificateFile.Read(text).Count);
    }

    [TestMethod]
    public void ValidatingAChainWithABrokenIntermediateIgnoresIt()
    {
        var root = Root();
        var intermediate = Intermediate(root);
        var leaf = Leaf(intermediate);
        var broken = intermediate.Der[..(intermediate.Der.Length / 2)];
        var v = ChainValidator.Validate(new ValidationRequest([leaf.Der, broken, intermediate.Der], Store(root), "backend.example.test", Now));
        Assert.IsTrue(v.Trusted);
        Assert.IsTrue(v.Explanation.Notes.Any(n => n.Contains("#2 does not parse", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void TruncatedKeystoresFailWithATrustStoreException()
    {
        var keytool = Requires.Tool("keytool");
        var dir = Directory.CreateTempSubdirectory("pcaptls-trunc-").FullName;
        try
        {
            var pem = Path.Combine(dir, "root.pem");
            File.WriteAllText(pem, Root().Pem);
            foreach (var (type, ext) in new[] { ("JKS", "jks"), ("PKCS12", "p12") })
            {
                var store = Path.Combine(dir, "ts." + ext);
                var (code, o, e) = Requires.Run(keytool, "-importcert", "-noprompt", "-alias", "r", "-file", pem, "-keystore", store, "-storetype", type, "-storepass", "changeit");
                Assert.AreEqual(0, code, o + e);
                var bytes = File.ReadAllBytes(store);
                for (var n = 1; n < bytes.Length; n += Math.Max(1, bytes.Length / 97))
                {
                    try
                    {
                        TrustStore.Load($"{ext} prefix {n}", bytes[..n], "changeit");
                    }
                    catch (TrustStoreException)
                    {
                        // expected: one clear message
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
