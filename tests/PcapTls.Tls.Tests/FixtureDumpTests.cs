namespace PcapTls.Tls.Tests;

[TestClass]
public sealed class FixtureDumpTests
{
    [TestMethod]
    [DataRow("tls12-ok.hex")]
    [DataRow("tls13-ok.hex")]
    [DataRow("tls12-unknown-ca.hex")]
    [DataRow("tls13-unknown-ca.hex")]
    [DataRow("tls12-client-auth.hex")]
    [DataRow("tls13-hrr.hex")]
    [DataRow("sslv2-hello.hex")]
    public void Dump(string name)
    {
        var sink = Fixture.Load(name).Decode();
        Console.WriteLine(string.Join("\n", sink.Lines));
    }
}
