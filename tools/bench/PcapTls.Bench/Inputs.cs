namespace PcapTls.Bench;

/// <summary>Where the microbenchmarks find their inputs (the repository's corpus and the generated captures).</summary>
internal static class Inputs
{
    public static string Root { get; } = FindRoot();

    public static string Captures => Path.Combine(Root, "captures");

    /// <summary>The generated busy-proxy capture when <c>tools/bench/run</c> has made it, else a corpus capture.</summary>
    public static string BusyCapture
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("PCAPTLS_BENCH_CAPTURE");
            if (!string.IsNullOrEmpty(env))
            {
                return env;
            }
            var generated = Path.Combine(Root, "tools", "bench", "out", "micro", "busy.pcap");
            return File.Exists(generated) ? generated : Path.Combine(Captures, "tls12", "java", "ok.pcap");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PcapTls.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("PcapTls.sln not found above " + AppContext.BaseDirectory);
    }
}
