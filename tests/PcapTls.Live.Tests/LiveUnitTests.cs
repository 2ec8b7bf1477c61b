using System.Net;
using PcapTls.Capture;
using SharpPcap;

namespace PcapTls.Live.Tests;

[TestClass]
public sealed class LiveDurationTests
{
    [TestMethod]
    [DataRow("90", 90.0)]
    [DataRow("30s", 30.0)]
    [DataRow("5m", 300.0)]
    [DataRow("2h", 7200.0)]
    [DataRow("1d", 86400.0)]
    [DataRow("1m30s", 90.0)]
    [DataRow("500ms", 0.5)]
    [DataRow(" 1.5M ", 90.0)]
    public void Parses(string text, double seconds)
    {
        Assert.IsTrue(LiveDuration.TryParse(text, out var d));
        Assert.AreEqual(seconds, d.TotalSeconds, 1e-9);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("s")]
    [DataRow("5x")]
    [DataRow("0")]
    [DataRow("-5s")]
    [DataRow("1e9s")]
    [DataRow("5 m")]
    [DataRow("400d")]
    public void Rejects(string text)
    {
        Assert.IsFalse(LiveDuration.TryParse(text, out _));
    }
}

[TestClass]
public sealed class LiveCaptureConversionTests
{
    [TestMethod]
    public void NanosecondTimestampsKeepTheirNanoseconds()
    {
        var t = new PosixTimeval(1_700_000_000, 123_456_789, TimestampResolution.Nanosecond);
        Assert.AreEqual(1_700_000_000_123_456_789L, LiveCapture.ToNanos(t));
    }

    [TestMethod]
    public void MicrosecondTimestampsBecomeNanoseconds()
    {
        var t = new PosixTimeval(1_700_000_000, 123_456);
        Assert.AreEqual(1_700_000_000_123_456_000L, LiveCapture.ToNanos(t));
    }

    [TestMethod]
    [DataRow(1u, LinkType.Ethernet)]
    [DataRow(113u, LinkType.LinuxSll)]
    [DataRow(276u, LinkType.LinuxSll2)]
    [DataRow(12u, LinkType.Raw)] // DLT_RAW in libpcap's API is LINKTYPE_RAW (101) in files
    [DataRow(14u, LinkType.Raw)]
    [DataRow(101u, LinkType.Raw)]
    public void DataLinkTypesMapToFileLinkTypes(uint dlt, LinkType expected)
    {
        Assert.AreEqual(expected, LiveCapture.ToLinkType(dlt));
    }

    [TestMethod]
    [DataRow("255.0.0.0", 8)]
    [DataRow("255.255.255.0", 24)]
    [DataRow("255.255.255.255", 32)]
    [DataRow("0.0.0.0", 0)]
    [DataRow("ffff:ffff:ffff:ffff::", 64)]
    [DataRow("255.0.255.0", -1)]
    public void NetmasksGivePrefixLengths(string mask, int prefix)
    {
        Assert.AreEqual(prefix, CaptureInterfaces.PrefixLength(IPAddress.Parse(mask)));
    }

    [TestMethod]
    public void APermissionErrorSaysHowToFixIt()
    {
        var e = LiveCapture.OpenError("eth0", "eth0: You don't have permission to capture on that device\n(socket: Operation not permitted)", PcapError.Generic);
        Assert.AreEqual(LiveCaptureError.NoPermission, e.Error);
        StringAssert.Contains(e.Message, "run as root");
        StringAssert.Contains(e.Message, "cap_net_raw");
        Assert.DoesNotContain("\n", e.Message);
    }
}

[TestClass]
public sealed class FrameQueueTests
{
    [TestMethod]
    public void AFullQueueDropsAndCountsInsteadOfGrowing()
    {
        var queue = new FrameQueue(new FrameQueueLimits { MaxFrames = 2, MaxBytes = 1 << 20 });
        var data = new byte[100];

        Assert.IsTrue(queue.TryEnqueue(data, 100, 1));
        Assert.IsTrue(queue.TryEnqueue(data, 100, 2));
        Assert.IsFalse(queue.TryEnqueue(data, 100, 3));

        Assert.AreEqual(1, queue.Dropped);
        Assert.AreEqual(200, queue.QueuedBytes);
        Assert.IsTrue(queue.TryDequeue(out var first));
        Assert.AreEqual(1, first.TimestampNanos);
        queue.Release(first);
        Assert.AreEqual(100, queue.QueuedBytes);
    }

    [TestMethod]
    public void TheByteLimitHoldsForLargeFrames()
    {
        var queue = new FrameQueue(new FrameQueueLimits { MaxFrames = 1000, MaxBytes = 100_000 });
        var frame = new byte[65_535];

        Assert.IsTrue(queue.TryEnqueue(frame, frame.Length, 1));
        Assert.IsFalse(queue.TryEnqueue(frame, frame.Length, 2));

        Assert.AreEqual(1, queue.Dropped);
        Assert.AreEqual(65_535, queue.QueuedBytes);
        Assert.AreEqual(65_535, queue.PeakBytes);
    }

    [TestMethod]
    public void FramesComeOutInOrderWithTheirBytes()
    {
        var queue = new FrameQueue(FrameQueueLimits.Default);
        queue.TryEnqueue([1, 2, 3], 60, 10);
        queue.TryEnqueue([4], 4, 20);

        Assert.IsTrue(queue.WaitForFrame(TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.IsTrue(queue.TryDequeue(out var a));
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, a.Buffer.AsSpan(0, a.Length).ToArray());
        Assert.AreEqual(60, a.OriginalLength);
        queue.Release(a);
        Assert.IsTrue(queue.TryDequeue(out var b));
        Assert.AreEqual(20, b.TimestampNanos);
        queue.Release(b);
        Assert.IsFalse(queue.TryDequeue(out _));
        Assert.AreEqual(0, queue.QueuedBytes);
    }
}
