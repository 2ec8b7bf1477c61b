namespace PcapTls.Analysis.Tests;

[TestClass]
public sealed class TargetEndpointTests
{
    private static string Write(string xml)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pcaptls-te-{Guid.NewGuid():N}.xml");
        File.WriteAllText(path, xml);
        return path;
    }

    [TestMethod]
    public void HostComesFromTheUrlAndTheTrustStoreIsNamed()
    {
        var path = Write("""
            <TargetEndpoint name="default">
              <HTTPTargetConnection>
                <SSLInfo>
                  <Enabled>true</Enabled>
                  <TrustStore>ref://backendTrust</TrustStore>
                </SSLInfo>
                <URL>https://backend.pcaptls.test:8443/v1/orders</URL>
              </HTTPTargetConnection>
            </TargetEndpoint>
            """);
        var te = TargetEndpoint.Load(path);
        Assert.AreEqual("backend.pcaptls.test", te.Host);
        Assert.AreEqual("ref://backendTrust", te.TrustStoreReference);
        Assert.IsTrue(te.ValidatesChain);
        StringAssert.Contains(te.Describe(), "validates the backend's chain");
    }

    [TestMethod]
    public void NoTrustStoreMeansNoValidation()
    {
        var te = TargetEndpoint.Load(Write("""
            <TargetEndpoint><HTTPTargetConnection><SSLInfo><Enabled>true</Enabled></SSLInfo>
            <URL>https://10.1.2.3/x</URL></HTTPTargetConnection></TargetEndpoint>
            """));
        Assert.AreEqual("10.1.2.3", te.Host);
        Assert.IsFalse(te.ValidatesChain);
        StringAssert.Contains(te.Describe(), "does not validate");
    }

    [TestMethod]
    public void IgnoreValidationErrorsIsReported()
    {
        var te = TargetEndpoint.Load(Write("""
            <TargetEndpoint><HTTPTargetConnection><SSLInfo><Enabled>true</Enabled><TrustStore>ts</TrustStore>
            <IgnoreValidationErrors>true</IgnoreValidationErrors></SSLInfo><URL>https://b.example</URL></HTTPTargetConnection></TargetEndpoint>
            """));
        Assert.IsFalse(te.ValidatesChain);
        StringAssert.Contains(te.Describe(), "ignored");
    }

    [TestMethod]
    public void NotXmlIsAFormatErrorWithTheFileName()
    {
        var path = Write("this is not xml");
        var e = Assert.ThrowsExactly<FormatException>(() => TargetEndpoint.Load(path));
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void WrongRootElementIsRejected()
    {
        var e = Assert.ThrowsExactly<FormatException>(() => TargetEndpoint.Load(Write("<ProxyEndpoint/>")));
        StringAssert.Contains(e.Message, "<TargetEndpoint>");
    }
}
