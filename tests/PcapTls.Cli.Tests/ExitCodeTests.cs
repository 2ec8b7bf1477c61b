using PcapTls.Cli;

namespace PcapTls.Cli.Tests;

[TestClass]
public sealed class ExitCodeTests
{
    [TestMethod]
    public void UnknownOptionIsAUsageError()
    {
        var err = new StringWriter();
        var code = Program.Run(["analyze", "--no-such-option", "x.pcap"], new StringWriter(), err);
        Assert.AreEqual((int)ExitCode.Usage, code);
        StringAssert.Contains(err.ToString(), "pcaptls:");
    }

    [TestMethod]
    public void MissingCaptureIsAnInputErrorInOneLine()
    {
        var err = new StringWriter();
        var code = Program.Run(["analyze", "/nonexistent/capture.pcap"], new StringWriter(), err);
        Assert.AreEqual((int)ExitCode.InputError, code);
        Assert.AreEqual(1, err.ToString().TrimEnd().Split('\n').Length, err.ToString());
    }
}
