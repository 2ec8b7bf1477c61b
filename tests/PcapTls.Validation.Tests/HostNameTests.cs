using PcapTls.Validation;
using static PcapTls.Validation.Tests.TestPki;

namespace PcapTls.Validation.Tests;

[TestClass]
public sealed class HostNameTests
{
    private static TestCert _root = null!;

    [ClassInitialize]
    public static void Init(TestContext _) => _root = Root();

    private static ChainVerdict Check(string host, ClientProfile profile = ClientProfile.Java, string[]? dns = null, string[]? ips = null, string cn = "cn.example.test")
    {
        var leaf = Issue(new CertSpec($"CN={cn}") { Ca = false, Dns = dns ?? [], Ips = ips ?? [] }, _root);
        return Validate([leaf], Store(_root), host, profile: profile);
    }

    [TestMethod]
    [DataRow("*.example.test", "a.example.test", true)]
    [DataRow("*.example.test", "A.EXAMPLE.TEST", true)]
    [DataRow("*.example.test", "example.test", false)]
    [DataRow("*.example.test", "a.b.example.test", false)]
    [DataRow("a.*.example.test", "a.b.example.test", true)]
    [DataRow("f*.example.test", "foo.example.test", true)]
    [DataRow("f*.example.test", "bar.example.test", false)]
    [DataRow("*", "example", false)]
    [DataRow("*.", "example.", false)]
    [DataRow("*.test", "example.test", true)]
    [DataRow("www.example.test.", "www.example.test", true)]
    public void JavaWildcards(string pattern, string host, bool expected)
        => Assert.AreEqual(expected, HostNameMatcher.Matches(host, pattern, ClientProfile.Java), $"{pattern} vs {host}");

    [TestMethod]
    [DataRow("*.example.test", "a.example.test", true)]
    [DataRow("*.example.test", "a.b.example.test", false)]
    [DataRow("a.*.example.test", "a.b.example.test", false)]
    [DataRow("f*.example.test", "foo.example.test", true)]
    [DataRow("*.test", "example.test", false)]
    [DataRow("*.example.test", "xn--bcher-kva.example.test", true)]
    [DataRow("xn--*.example.test", "xn--bcher-kva.example.test", false)]
    public void OpenSslWildcards(string pattern, string host, bool expected)
        => Assert.AreEqual(expected, HostNameMatcher.Matches(host, pattern, ClientProfile.OpenSsl), $"{pattern} vs {host}");

    [TestMethod]
    public void IpLiteralMatchesOnlyIpSans()
    {
        Assert.IsTrue(Check("10.1.2.3", ips: ["10.1.2.3"], dns: ["backend.example.test"]).Trusted);
        Assert.IsTrue(Check("::1", ips: ["::1"]).Trusted);
        Assert.IsTrue(Check("[::1]", ips: ["0:0:0:0:0:0:0:1"]).Trusted);
        var v = Check("10.1.2.3", dns: ["10.1.2.3"], cn: "10.1.2.3");
        Assert.AreEqual("No subject alternative names matching IP address 10.1.2.3 found", v.ClientMessage);
        Assert.AreEqual(CauseCode.HostnameMismatch, v.Findings.Single().Code);
        Assert.AreEqual("ip-san", v.HostName.Method);
        Assert.AreEqual("No subject alternative names present", Check("10.1.2.3", cn: "10.1.2.3").ClientMessage);
        Assert.AreEqual("IP address mismatch", Check("10.1.2.4", ClientProfile.OpenSsl, ips: ["10.1.2.3"]).ClientMessage);
    }

    [TestMethod]
    public void CommonNameIsUsedOnlyWithoutDnsSans()
    {
        var cnOnly = Check("cn.example.test");
        Assert.IsTrue(cnOnly.Trusted);
        Assert.AreEqual("cn", cnOnly.HostName.Method);
        Assert.AreEqual("No name matching other.example.test found", Check("other.example.test").ClientMessage);
        var withSan = Check("cn.example.test", dns: ["san.example.test"]);
        Assert.IsFalse(withSan.Trusted, "a DNS SAN present: the CN is ignored");
        Assert.AreEqual("No subject alternative DNS name matching cn.example.test found.", withSan.ClientMessage);
        StringAssert.Contains(withSan.HostName.Explanation, "the CN cn.example.test would match");
        Assert.IsTrue(Check("cn.example.test", ips: ["10.0.0.1"]).Trusted, "only an IP SAN: the CN still counts for a DNS name");
        Assert.IsTrue(Check("cn.example.test", ClientProfile.OpenSsl).Trusted);
    }

    [TestMethod]
    public void NoHostMeansNoCheck()
    {
        var v = Check("");
        Assert.IsTrue(v.Trusted);
        Assert.IsFalse(v.HostName.Checked);
    }

    [TestMethod]
    public void WildcardOneLevelDeepIsExplained()
    {
        var v = Check("a.b.example.test", dns: ["*.example.test"]);
        Assert.IsFalse(v.Trusted);
        StringAssert.Contains(v.HostName.Explanation, "covers exactly one label");
    }
}
