using PcapTls.Analysis;

namespace PcapTls.Live.Tests;

[TestClass]
public sealed class FailureCapturesTests
{
    private const string ClientA = "10.0.0.1:40000";
    private const string ClientB = "10.0.0.1:40001";
    private const string Server = "10.0.0.2:443";

    public TestContext TestContext { get; set; } = null!;

    private string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pcaptls-live-tests", TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void Feed(FailureCaptures failures, long number, ushort clientPort, int payload = 10)
        => failures.Remember(Frames.Packet(number, Frames.Tcp(1, clientPort, 2, 443, Frames.Ack | Frames.Psh, payload)));

    [TestMethod]
    public void AFailedHandshakeGetsAFileWithOnlyItsConnectionsFrames()
    {
        var dir = NewDirectory();
        var failures = new FailureCaptures(dir, PcapTls.Capture.LinkType.Ethernet, nanosecond: true);
        Feed(failures, 1, 40000);
        Feed(failures, 2, 40000);
        Feed(failures, 3, 40001);
        Feed(failures, 4, 40000);

        var file = failures.OnHandshake(Frames.Report(ClientA, Server, 1, 4, HandshakeOutcome.Failed));

        Assert.IsNotNull(file);
        var (seconds, anomalies) = Frames.ReadBack(file);
        CollectionAssert.AreEqual(new long[] { 1, 2, 4 }, seconds);
        Assert.AreEqual(0, anomalies);
        Assert.AreEqual(1, failures.FlowsKept, "B's frames stay until B is reported");
    }

    [TestMethod]
    public void ACompletedHandshakeWritesNothingAndLetsGoOfItsFrames()
    {
        var dir = NewDirectory();
        var failures = new FailureCaptures(dir, PcapTls.Capture.LinkType.Ethernet, nanosecond: true);
        Feed(failures, 1, 40001);

        Assert.IsNull(failures.OnHandshake(Frames.Report(ClientB, Server, 1, 1, HandshakeOutcome.Completed)));
        Assert.AreEqual(0, failures.FilesWritten);
        Assert.AreEqual(0, failures.FlowsKept);
        Assert.AreEqual(0, failures.BytesKept);
        Assert.IsEmpty(Directory.GetFiles(dir));
    }

    [TestMethod]
    public void AtMostMaxFilesExistTheOldestIsDeleted()
    {
        var dir = NewDirectory();
        var failures = new FailureCaptures(dir, PcapTls.Capture.LinkType.Ethernet, nanosecond: true, FailureCaptureLimits.Default with { MaxFiles = 2 });
        var written = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var port = (ushort)(41000 + i);
            Feed(failures, i + 1, port);
            written.Add(failures.OnHandshake(Frames.Report($"10.0.0.1:{port}", Server, i + 1, i + 1, HandshakeOutcome.Failed))!);
        }

        Assert.AreEqual(3, failures.FilesWritten);
        Assert.AreEqual(1, failures.FilesDeleted);
        Assert.IsFalse(File.Exists(written[0]));
        CollectionAssert.AreEquivalent(written.Skip(1).ToList(), Directory.GetFiles(dir).ToList());
    }

    [TestMethod]
    public void AFailureCaptureThatCannotBeWrittenIsCountedAndTheNextOneIsWritten()
    {
        var dir = NewDirectory();
        var failures = new FailureCaptures(dir, PcapTls.Capture.LinkType.Ethernet, nanosecond: true);
        var problems = new List<string>();
        failures.Problem += problems.Add;
        // A file where the folder was: nothing can be written there (as with a full disk).
        Directory.Delete(dir, recursive: true);
        File.WriteAllText(dir, "not a folder");
        Feed(failures, 1, 40000);

        Assert.IsNull(failures.OnHandshake(Frames.Report(ClientA, Server, 1, 1, HandshakeOutcome.Failed)));
        Assert.AreEqual(1, failures.FilesNotWritten);
        Assert.AreEqual(0, failures.FilesWritten);
        Assert.HasCount(1, problems);
        StringAssert.StartsWith(problems[0], "cannot write " + dir);
        StringAssert.EndsWith(problems[0], "1 failure capture(s) not written, capture goes on");

        File.Delete(dir);
        Feed(failures, 2, 40001);
        var file = failures.OnHandshake(Frames.Report(ClientB, Server, 2, 2, HandshakeOutcome.Failed));
        Assert.IsNotNull(file, "the folder is back: the next failure is written");
        CollectionAssert.AreEqual(new long[] { 2 }, Frames.ReadBack(file).Seconds);
        Assert.AreEqual(1, failures.FilesWritten);
    }

    [TestMethod]
    public void ALongConnectionKeepsItsHeadAndTheTailRing()
    {
        var dir = NewDirectory();
        var limits = FailureCaptureLimits.Default with { HeadFramesPerFlow = 4, TailFramesPerFlow = 2 };
        var failures = new FailureCaptures(dir, PcapTls.Capture.LinkType.Ethernet, nanosecond: true, limits);
        for (var n = 1; n <= 10; n++)
        {
            Feed(failures, n, 40000);
        }

        var file = failures.OnHandshake(Frames.Report(ClientA, Server, 1, 10, HandshakeOutcome.Failed))!;

        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 9, 10 }, Frames.ReadBack(file).Seconds);
        Assert.AreEqual(4, failures.FramesNotKept, "frames 5 to 8 left the tail ring");
    }

    [TestMethod]
    public void TheTotalByteLimitIsHitByAFloodOfConnections()
    {
        var dir = NewDirectory();
        var limits = FailureCaptureLimits.Default with { MaxBytesTotal = 10_000 };
        var failures = new FailureCaptures(dir, PcapTls.Capture.LinkType.Ethernet, nanosecond: true, limits);
        for (var i = 0; i < 100; i++)
        {
            Feed(failures, i + 1, (ushort)(30000 + i), payload: 1000);
        }

        Assert.IsLessThanOrEqualTo(10_000L, failures.BytesKept);
        Assert.IsGreaterThan(0L, failures.FramesNotKept);
    }

    [TestMethod]
    public void TheFlowCountLimitIsHit()
    {
        var dir = NewDirectory();
        var failures = new FailureCaptures(dir, PcapTls.Capture.LinkType.Ethernet, nanosecond: true, FailureCaptureLimits.Default with { MaxFlows = 5 });
        for (var i = 0; i < 8; i++)
        {
            Feed(failures, i + 1, (ushort)(30000 + i));
        }

        Assert.AreEqual(5, failures.FlowsKept);
        Assert.AreEqual(3, failures.FramesNotKept);
    }

    [TestMethod]
    public void OnPortReuseTheNextConnectionKeepsItsOwnFrames()
    {
        var dir = NewDirectory();
        var failures = new FailureCaptures(dir, PcapTls.Capture.LinkType.Ethernet, nanosecond: true);
        Feed(failures, 1, 40000);
        Feed(failures, 2, 40000);
        Feed(failures, 5, 40000); // the new connection's SYN arrives before the old one is reported

        var first = failures.OnHandshake(Frames.Report(ClientA, Server, 1, 2, HandshakeOutcome.Failed))!;
        Feed(failures, 6, 40000);
        var second = failures.OnHandshake(Frames.Report(ClientA, Server, 5, 6, HandshakeOutcome.Failed))!;

        CollectionAssert.AreEqual(new long[] { 1, 2 }, Frames.ReadBack(first).Seconds);
        CollectionAssert.AreEqual(new long[] { 5, 6 }, Frames.ReadBack(second).Seconds);
    }

    [TestMethod]
    public void QuietConnectionsAreLetGo()
    {
        var dir = NewDirectory();
        var failures = new FailureCaptures(dir, PcapTls.Capture.LinkType.Ethernet, nanosecond: true, FailureCaptureLimits.Default with { FlowIdle = TimeSpan.FromSeconds(10) });
        Feed(failures, 1, 40000);

        failures.AdvanceClock(100 * 1_000_000_000L);

        Assert.AreEqual(0, failures.FlowsKept);
        Assert.AreEqual(0, failures.BytesKept);
    }
}
