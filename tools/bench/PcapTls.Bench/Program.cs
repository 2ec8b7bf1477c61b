using System.Diagnostics;
using BenchmarkDotNet.Running;
using PcapTls.Analysis;
using PcapTls.Validation;

namespace PcapTls.Bench;

public static class Program
{
    /// <summary>
    /// <c>analyze FILE TRUSTSTORE [RUNS]</c> (PCAPTLS_THREADS=N sets the pipelines): the whole analysis in process, timed per run (for profiling changes
    /// without the CLI's start-up and rendering); anything else goes to BenchmarkDotNet (e.g. <c>--job short --filter *</c>).
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length >= 3 && args[0] == "analyze")
        {
            var runs = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 3;
            var threads = Environment.GetEnvironmentVariable("PCAPTLS_THREADS") is { } t ? int.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
            var options = new AnalysisOptions { TrustStore = TrustStore.Load(args[2]), Workers = threads };
            var size = new FileInfo(args[1]).Length;
            for (var i = 0; i < runs; i++)
            {
                var before = GC.GetTotalAllocatedBytes(precise: true);
                var sw = Stopwatch.StartNew();
                var report = CaptureAnalyzer.AnalyzeFile(args[1], options);
                sw.Stop();
                var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                Console.WriteLine($"run {i + 1}: {sw.Elapsed.TotalSeconds:F3} s, {size / sw.Elapsed.TotalSeconds / 1e9:F2} GB/s, "
                    + $"{report.Handshakes.Count / sw.Elapsed.TotalSeconds:F0} handshakes/s, {report.Handshakes.Count} handshakes, "
                    + $"allocated {allocated / 1e6:F0} MB, working set {Environment.WorkingSet / 1e6:F0} MB, gen2 {GC.CollectionCount(2)}, "
                    + $"live with the report {GC.GetTotalMemory(forceFullCollection: true) / 1e6:F0} MB");
                if (args.Length > 4 && args[4] == "--sizes")
                {
                    PrintSizes(report);
                }
            }
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    /// <summary>Rough character counts of the report's texts, to see where a kept report's memory goes.</summary>
    private static void PrintSizes(AnalysisReport report)
    {
        long evidence = 0, fix = 0, summary = 0, detail = 0, ladder = 0, ladderSteps = 0, endpoints = 0;
        foreach (var h in report.Handshakes)
        {
            foreach (var c in h.Causes)
            {
                evidence += c.Evidence.Length;
                fix += c.Fix.Length;
                summary += c.Summary.Length;
            }
            detail += h.OutcomeDetail.Length;
            ladderSteps += h.Ladder.Count;
            foreach (var l in h.Ladder)
            {
                ladder += l.What.Length;
            }
            endpoints += h.Client.Length + h.Server.Length + (h.Sni?.Length ?? 0);
        }
        Console.WriteLine($"chars: evidence {evidence}, fix {fix}, summary {summary}, detail {detail}, ladder texts {ladder} in {ladderSteps} steps, endpoints {endpoints}");
    }
}
