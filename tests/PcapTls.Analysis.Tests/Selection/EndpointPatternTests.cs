using PcapTls.Analysis.Selection;

namespace PcapTls.Analysis.Tests.Selection;

[TestClass]
public sealed class EndpointPatternTests
{
    private static EndpointPattern Parse(string text, bool names = true)
    {
        Assert.IsTrue(EndpointPattern.TryParse(text, names, out var p, out var error), error);
        return p!;
    }

    [TestMethod]
    // pattern, endpoint as the report writes it, SNI, host checked, expected
    [DataRow("10.1.2.3", "10.1.2.3:443", null, null, true)]
    [DataRow("10.1.2.3", "10.1.2.4:443", null, null, false)]
    [DataRow("10.1.2.3:443", "10.1.2.3:8443", null, null, false)]
    [DataRow("10.0.0.0/8", "10.200.0.1:443", null, null, true)]
    [DataRow("10.0.0.0/8:443", "10.200.0.1:443", null, null, true)]
    [DataRow("10.0.0.0/8:443", "11.0.0.1:443", null, null, false)]
    [DataRow("fd00::1", "[fd00::1]:443", null, null, true)]
    [DataRow("[fd00::1]:443", "[fd00::1]:443", null, null, true)]
    [DataRow("[fd00::1]:443", "[fd00::1]:444", null, null, false)]
    [DataRow("fd00::/8", "[fd12::5]:443", null, null, true)]
    [DataRow("[fd00::/8]:443", "[fe80::1]:443", null, null, false)]
    [DataRow("backend.example.com", "10.1.2.3:443", "BACKEND.example.com", null, true)]
    [DataRow("backend.example.com:443", "10.1.2.3:8443", "backend.example.com", null, false)]
    [DataRow("backend.example.com", "10.1.2.3:443", null, "backend.example.com", true)]
    [DataRow("*.example.com", "10.1.2.3:443", "api.eu.example.com", null, true)]
    [DataRow("*.example.com", "10.1.2.3:443", "example.com", null, false)]
    [DataRow("api-?.example.com", "10.1.2.3:443", "api-2.example.com", null, true)]
    [DataRow("backend.example.com", "10.1.2.3:443", null, null, false)]
    public void MatchesByAddressBlockOrName(string pattern, string endpoint, string? sni, string? host, bool expected)
        => Assert.AreEqual(expected, Parse(pattern).Matches(endpoint, sni, host), $"{pattern} vs {endpoint} {sni} {host}");

    [TestMethod]
    [DataRow("", true)]
    [DataRow("[fd00::1", true)]
    [DataRow("[fd00::1]443", true)]
    [DataRow("10.0.0.0/33", true)]
    [DataRow("10.1.2.3:0", true)]
    [DataRow("10.1.2.3:65536", true)]
    [DataRow("host name", true)]
    [DataRow("backend.example.com", false)]
    public void RefusesWhatIsNotAnEndpoint(string text, bool names)
    {
        Assert.IsFalse(EndpointPattern.TryParse(text, names, out _, out var error));
        Assert.IsFalse(string.IsNullOrEmpty(error));
    }

    [TestMethod]
    public void ANamePatternOfWildcardsStaysLinear()
    {
        // A pattern that backtracks exponentially in a naive matcher: answered at once.
        Assert.IsTrue(NamePattern.TryParse(string.Concat(Enumerable.Repeat("*a", 60)) + "b", out var p));
        Assert.IsFalse(p!.Matches(new string('a', 250)));
        Assert.IsFalse(NamePattern.TryParse(new string('a', NamePattern.MaxLength + 1), out _));
    }
}
