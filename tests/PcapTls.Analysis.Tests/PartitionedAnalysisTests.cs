using PcapTls.Capture;
using PcapTls.Reporting;
using PcapTls.Validation;

namespace PcapTls.Analysis.Tests;

/// <summary>
/// A capture analyzed by several pipelines side by side (connections partitioned by hash, as big files are) gives
/// the same report, byte for byte, as one pipeline: same handshakes in the same order, same causes, same anomalies.
/// The input is every Ethernet base capture of the corpus merged into one file (dozens of connections, failures and
/// successes, TLS 1.2 and 1.3), plus the corpus's cut and damaged variants for the anomalies.
/// </summary>
[TestClass]
public sealed class PartitionedAnalysisTests
{
    private static readonly Lazy<(string Path, int Connections)> Merged = new(BuildMergedCapture);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void PartitionedReportEqualsTheSinglePipelineReport(int workers)
    {
        var (path, connections) = Merged.Value;
        var single = Analyze(path, 1);
        var partitioned = Analyze(path, workers);

        Assert.IsGreaterThanOrEqualTo(connections, single.Handshakes.Count, "every merged connection is a handshake");
        Assert.IsGreaterThan(20, single.Handshakes.Count);
        Assert.AreEqual(Render(new JsonReportRenderer(), single), Render(new JsonReportRenderer(), partitioned));
        Assert.AreEqual(Render(new ConsoleReportRenderer(color: false), single), Render(new ConsoleReportRenderer(color: false), partitioned));
    }

    /// <summary>Beyond <see cref="AnalysisOptions.HandshakesInMemory"/> the reports go to a temporary file and come
    /// back when rendered: the report is the same, alone or partitioned.</summary>
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void HandshakesKeptOnDiskGiveTheSameReport(int workers)
    {
        var (path, _) = Merged.Value;
        var inMemory = Analyze(path, 1);
        var spilled = CaptureAnalyzer.AnalyzeFile(path, Options(workers) with { HandshakesInMemory = 5 });

        Assert.IsTrue(((HandshakeStore)spilled.Handshakes).IsSpilled);
        Assert.IsFalse(((HandshakeStore)inMemory.Handshakes).IsSpilled);
        Assert.AreEqual(Render(new JsonReportRenderer(), inMemory), Render(new JsonReportRenderer(), spilled));
        Assert.AreEqual(Render(new ConsoleReportRenderer(color: false), inMemory), Render(new ConsoleReportRenderer(color: false), spilled));
        Assert.AreEqual(Render(new CsvReportRenderer(), inMemory), Render(new CsvReportRenderer(), spilled));
        // Shared objects come back as the same objects (one verdict per distinct chain, one summary per certificate).
        var verdicts = spilled.Handshakes.Where(h => h.Verdict is not null).Select(h => h.Verdict!).Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.IsLessThan(spilled.Handshakes.Count(h => h.Verdict is not null), verdicts);
    }

    [TestMethod]
    public void AnUnwritableTemporaryFolderIsAClearError()
    {
        var (path, _) = Merged.Value;
        var report = Analyze(path, 1).Handshakes[0];
        var missing = Path.Combine(Path.GetTempPath(), $"pcaptls-no-such-folder-{Guid.NewGuid():N}");
        using var store = new HandshakeStore(inMemory: 1, missing);
        store.Add(report);
        var e = Assert.ThrowsExactly<HandshakeStoreException>(() => store.Add(report));
        StringAssert.Contains(e.Message, missing);
        StringAssert.Contains(e.Message, "TMPDIR");
        Assert.IsFalse(Directory.Exists(missing));
    }

    [TestMethod]
    public void EveryCorpusVariantGivesTheSameReportPartitioned()
    {
        var files = Directory.EnumerateFiles(Testing.RepoPaths.Capture("variants"), "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".pcap", StringComparison.Ordinal) || f.EndsWith(".pcapng", StringComparison.Ordinal) || f.EndsWith(".gz", StringComparison.Ordinal))
            .ToList();
        Assert.IsGreaterThan(10, files.Count);
        foreach (var f in files)
        {
            Assert.AreEqual(Render(new JsonReportRenderer(), Analyze(f, 1)), Render(new JsonReportRenderer(), Analyze(f, 2)), f);
        }
    }

    [TestMethod]
    public void ManyConnectionsChoosePartitioningAndBulkDataDoesNot()
    {
        var (merged, _) = Merged.Value;
        Assert.IsTrue(CaptureAnalyzer.ManyConnections(CaptureFileReader.Open(merged), CancellationToken.None), "dozens of handshakes in a few hundred KB");

        // One connection, then a long transfer: the largest frame of the capture again and again (no new SYN).
        var frames = new List<(long Time, byte[] Data, int OriginalLength)>();
        CaptureFileReader.Open(CorpusManifest.Get("tls12/java/untrusted-root.pcap").Path).Read(new Collector(frames));
        var big = frames.MaxBy(f => f.Data.Length);
        var path = Path.Combine(Path.GetTempPath(), $"pcaptls-bulk-{Environment.ProcessId}.pcap");
        try
        {
            using (var writer = new PcapFileWriter(path, LinkType.Ethernet, nanosecond: true))
            {
                foreach (var f in frames)
                {
                    writer.Write(f.Time, f.Data, f.OriginalLength);
                }
                for (var i = 0; i < 4000; i++)
                {
                    writer.Write(big.Time + i, big.Data, big.OriginalLength);
                }
                writer.Complete();
            }
            Assert.IsFalse(CaptureAnalyzer.ManyConnections(CaptureFileReader.Open(path), CancellationToken.None), "one connection in megabytes of data");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void CancellationStopsTheWorkers()
    {
        var (path, _) = Merged.Value;
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var threadsBefore = System.Diagnostics.Process.GetCurrentProcess().Threads.Count;
        Assert.ThrowsExactly<OperationCanceledException>(() => CaptureAnalyzer.AnalyzeFile(path, Options(2), cancellationToken: cancel.Token));
        // The workers were joined: no analysis thread is left running after the call returns.
        Assert.IsLessThanOrEqualTo(threadsBefore + 1, System.Diagnostics.Process.GetCurrentProcess().Threads.Count);
    }

    private static AnalysisReport Analyze(string path, int workers) => CaptureAnalyzer.AnalyzeFile(path, Options(workers));

    private static AnalysisOptions Options(int workers) => new()
    {
        TrustStore = TrustStore.Load(Testing.RepoPaths.Capture("truststores/root.pem")),
        Workers = workers,
    };

    private static string Render(IReportRenderer renderer, AnalysisReport report)
    {
        var w = new StringWriter { NewLine = "\n" };
        renderer.Render(report, w);
        return w.ToString();
    }

    /// <summary>Every Ethernet base capture's frames in one pcap, in time order (each corpus capture has its own
    /// ports, so the connections stay apart).</summary>
    private static (string, int) BuildMergedCapture()
    {
        var frames = new List<(long Time, byte[] Data, int OriginalLength)>();
        var connections = 0;
        foreach (var e in CorpusManifest.Entries.Where(e => e.Variant == "base" && e.File.EndsWith(".pcap", StringComparison.Ordinal)))
        {
            var before = frames.Count;
            CaptureFileReader.Open(e.Path).Read(new Collector(frames));
            if (frames.Count > before)
            {
                connections++;
            }
        }
        var path = Path.Combine(Path.GetTempPath(), $"pcaptls-merged-{Environment.ProcessId}.pcap");
        using (var writer = new PcapFileWriter(path, LinkType.Ethernet, nanosecond: true))
        {
            foreach (var f in frames.OrderBy(f => f.Time))
            {
                writer.Write(f.Time, f.Data, f.OriginalLength);
            }
            writer.Complete();
        }
        return (path, connections);
    }

    private sealed class Collector(List<(long, byte[], int)> frames) : IPacketHandler
    {
        public void OnPacket(in RawPacket packet)
        {
            if (packet.LinkType == LinkType.Ethernet)
            {
                frames.Add((packet.TimestampNanos, packet.Data.ToArray(), packet.OriginalLength));
            }
        }
    }
}
