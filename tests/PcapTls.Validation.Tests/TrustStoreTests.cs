using PcapTls.Testing;
using PcapTls.Validation;
using static PcapTls.Validation.Tests.TestPki;

namespace PcapTls.Validation.Tests;

[TestClass]
public sealed class TrustStoreTests
{
    private const string Password = "changeit";
    private static TestCert _root = null!;
    private static TestCert _other = null!;
    private string _dir = null!;

    [ClassInitialize]
    public static void Init(TestContext _)
    {
        _root = Root();
        _other = Root("Other Root");
    }

    [TestInitialize]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("pcaptls-ts-").FullName;

    [TestCleanup]
    public void RemoveDir() => Directory.Delete(_dir, true);

    private string Write(string name, string text)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    private string Write(string name, byte[] bytes)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private static void Run(string tool, params string[] args)
    {
        var (code, stdout, stderr) = Requires.Run(tool, args);
        Assert.AreEqual(0, code, $"{Path.GetFileName(tool)} {string.Join(' ', args)}: {stdout}{stderr}");
    }

    [TestMethod]
    public void PemBundleKeepsEveryCertificateOnceAndIgnoresText()
    {
        var path = Write("bundle.pem", "# roots\n" + _root.Pem + "junk between\n" + _other.Pem + _root.Pem);
        var store = TrustStore.Load(path);
        Assert.AreEqual(TrustStoreFormat.PemBundle, store.Format);
        Assert.AreEqual(2, store.Entries.Count);
        Assert.AreEqual(2, store.JavaVisibleCount);
        Assert.AreEqual(TrustStoreEntryType.Certificate, store.Entries[0].Type);
        Assert.AreEqual("CN=Test Root CA,O=PcapTls Tests", store.Entries[0].Certificate.Subject);
    }

    [TestMethod]
    public void DerFileAndDirectoryLoad()
    {
        Assert.AreEqual(TrustStoreFormat.Der, TrustStore.Load(Write("root.der", _root.Der)).Format);
        var sub = Path.Combine(_dir, "certs");
        Directory.CreateDirectory(sub);
        File.WriteAllText(Path.Combine(sub, "a.pem"), _root.Pem);
        File.WriteAllBytes(Path.Combine(sub, "b.der"), _other.Der);
        File.WriteAllText(Path.Combine(sub, "README"), "not a certificate");
        var store = TrustStore.Load(sub);
        Assert.AreEqual(TrustStoreFormat.Directory, store.Format);
        CollectionAssert.AreEquivalent(new[] { "a.pem", "b.der" }, store.Entries.Select(e => e.Alias).ToArray());
        Assert.IsTrue(store.Warnings.Any(w => w.Contains("README", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void FingerprintDependsOnContentNotOrderOrPath()
    {
        var a = TrustStore.Load(Write("a.pem", _root.Pem + _other.Pem));
        var b = TrustStore.Load(Write("b.pem", _other.Pem + _root.Pem));
        var c = TrustStore.Load(Write("c.pem", _root.Pem));
        Assert.AreEqual(a.Fingerprint, b.Fingerprint);
        Assert.AreNotEqual(a.Fingerprint, c.Fingerprint);
    }

    [TestMethod]
    public void UnknownFormatMissingFileAndKeyOnlyPemHaveTheirOwnErrors()
    {
        var unknown = Assert.ThrowsExactly<TrustStoreException>(() => TrustStore.Load(Write("x.txt", "hello, not a truststore")));
        Assert.AreEqual(TrustStoreErrorKind.UnknownFormat, unknown.Kind);
        StringAssert.Contains(unknown.Message, "unknown truststore format");
        Assert.AreEqual(TrustStoreErrorKind.UnknownFormat, Assert.ThrowsExactly<TrustStoreException>(() => TrustStore.Load(Write("e.pem", ""))).Kind);
        Assert.AreEqual(TrustStoreErrorKind.NotFound, Assert.ThrowsExactly<TrustStoreException>(() => TrustStore.Load(Path.Combine(_dir, "nope.jks"))).Kind);
        var key = Write("key.pem", "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+7Y2p0ZWNobmljYWxseSBub3QgYSByZWFsIGtleQ==\n-----END PRIVATE KEY-----\n");
        var onlyKeys = Assert.ThrowsExactly<TrustStoreException>(() => TrustStore.Load(key));
        Assert.AreEqual(TrustStoreErrorKind.OnlyPrivateKeys, onlyKeys.Kind);
        Assert.IsFalse(onlyKeys.Message.Contains('\n', StringComparison.Ordinal));
    }

    [TestMethod]
    [DataRow("JKS", "jks", TrustStoreFormat.Jks)]
    [DataRow("PKCS12", "p12", TrustStoreFormat.Pkcs12)]
    public void KeytoolTruststoreLoadsTrustedEntriesAndRejectsAWrongPassword(string type, string ext, TrustStoreFormat format)
    {
        var keytool = Requires.Tool("keytool");
        var pem = Write("root.pem", _root.Pem);
        var otherPem = Write("other.pem", _other.Pem);
        var store = Path.Combine(_dir, "ts." + ext);
        Run(keytool, "-importcert", "-noprompt", "-alias", "myroot", "-file", pem, "-keystore", store, "-storetype", type, "-storepass", Password);
        Run(keytool, "-importcert", "-noprompt", "-alias", "other", "-file", otherPem, "-keystore", store, "-storetype", type, "-storepass", Password);

        var ts = TrustStore.Load(store, Password);
        Assert.AreEqual(format, ts.Format);
        CollectionAssert.AreEquivalent(new[] { "myroot", "other" }, ts.Entries.Select(e => e.Alias).ToArray());
        Assert.IsTrue(ts.Entries.All(e => e.Type == TrustStoreEntryType.TrustedCertificate));
        Assert.AreEqual(2, ts.JavaVisibleCount);
        Assert.IsEmpty(ts.Warnings);
        Assert.AreEqual(2, TrustStore.Load(store).Entries.Count, "no password given: the default 'changeit' is tried");

        var wrong = Assert.ThrowsExactly<TrustStoreException>(() => TrustStore.Load(store, "not-the-password"));
        Assert.AreEqual(TrustStoreErrorKind.WrongPassword, wrong.Kind);
        StringAssert.Contains(wrong.Message, "wrong password");

        var secret = Path.Combine(_dir, "secret." + ext);
        Run(keytool, "-importcert", "-noprompt", "-alias", "myroot", "-file", pem, "-keystore", secret, "-storetype", type, "-storepass", "s3cret-pass");
        var none = Assert.ThrowsExactly<TrustStoreException>(() => TrustStore.Load(secret));
        Assert.AreEqual(TrustStoreErrorKind.WrongPassword, none.Kind, "the CLI prompts for a password on this kind");
        StringAssert.Contains(none.Message, "needs a password");
        Assert.AreEqual(1, TrustStore.Load(secret, "s3cret-pass").Entries.Count);
        Assert.IsTrue(Validate([Leaf(_root)], ts).Trusted);
    }

    [TestMethod]
    public void OpenSslPkcs12WithoutTrustAttributeIsInvisibleToJava()
    {
        var openssl = Requires.Tool("openssl");
        var pem = Write("root.pem", _root.Pem);
        var p12 = Path.Combine(_dir, "nokeys.p12");
        Run(openssl, "pkcs12", "-export", "-nokeys", "-in", pem, "-passout", "pass:" + Password, "-out", p12);

        var ts = TrustStore.Load(p12, Password);
        Assert.AreEqual(1, ts.Entries.Count, "the certificate is loaded all the same");
        Assert.AreEqual(TrustStoreEntryType.CertificateWithoutTrustAttribute, ts.Entries[0].Type);
        Assert.AreEqual(0, ts.JavaVisibleCount);
        StringAssert.Contains(ts.Warnings.Single(), "Java sees 0 entries");

        var leaf = Leaf(_root);
        var java = Validate([leaf], ts);
        Assert.AreEqual(CauseCode.TruststoreEmpty, java.Findings[0].Code);
        StringAssert.Contains(java.Findings[0].Evidence, "without Java's trusted-certificate attribute");
        Assert.AreEqual((byte)80, java.PredictedAlert);
        Assert.IsTrue(Validate([leaf], ts, profile: ClientProfile.OpenSsl).Trusted, "OpenSSL-side tools read the certificate");
        Assert.AreEqual(TrustStoreErrorKind.WrongPassword, Assert.ThrowsExactly<TrustStoreException>(() => TrustStore.Load(p12, "wrong")).Kind);
    }

    [TestMethod]
    public void KeystoreWithOnlyAPrivateKeyIsNotATruststore()
    {
        var openssl = Requires.Tool("openssl");
        var key = Path.Combine(_dir, "k.pem");
        var cert = Path.Combine(_dir, "c.pem");
        Run(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=client", "-days", "1");
        var p12 = Path.Combine(_dir, "identity.p12");
        Run(openssl, "pkcs12", "-export", "-in", cert, "-inkey", key, "-name", "me", "-passout", "pass:" + Password, "-out", p12);
        var e = Assert.ThrowsExactly<TrustStoreException>(() => TrustStore.Load(p12, Password));
        Assert.AreEqual(TrustStoreErrorKind.OnlyPrivateKeys, e.Kind);
        StringAssert.Contains(e.Message, "only private-key entries");
    }

    [TestMethod]
    public void KeytoolKeystoreWithOnlyAKeyPairIsNotATruststore()
    {
        var keytool = Requires.Tool("keytool");
        var jks = Path.Combine(_dir, "identity.jks");
        Run(keytool, "-genkeypair", "-alias", "me", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=me", "-keystore", jks, "-storetype", "JKS", "-storepass", Password, "-keypass", Password);
        Assert.AreEqual(TrustStoreErrorKind.OnlyPrivateKeys, Assert.ThrowsExactly<TrustStoreException>(() => TrustStore.Load(jks, Password)).Kind);
    }

    [TestMethod]
    public void SystemRootsLoadWhenTheBundleExists()
    {
        if (!File.Exists("/etc/ssl/certs/ca-certificates.crt"))
        {
            Assert.Inconclusive("skipped: no /etc/ssl/certs/ca-certificates.crt");
        }
        var roots = TrustStore.SystemRoots();
        Assert.AreEqual(TrustStoreFormat.SystemRoots, roots.Format);
        Assert.IsTrue(roots.Entries.Count > 50);
    }
}
