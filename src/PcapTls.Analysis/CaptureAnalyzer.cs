using PcapTls.Capture;

namespace PcapTls.Analysis;

/// <summary>Analyzes a capture file end to end.</summary>
public static class CaptureAnalyzer
{
    /// <summary>Packets between two progress reports.</summary>
    private const int ProgressInterval = 1 << 16;

    /// <summary>Files from this size up are analyzed by several pipelines at once when the machine has the cores: below
    /// it, starting the threads costs more than they save.</summary>
    public const long PartitionFromBytes = 32L << 20;

    /// <summary>Workers beside the reader's thread. Two: on the 2-core machines the tool is measured on, the reader's
    /// thread is light (it only decodes headers far enough to pick a worker) and two workers keep both cores busy.</summary>
    public static int DefaultWorkers => Math.Clamp(Environment.ProcessorCount, 2, 4);

    /// <summary>Reads the whole file through the pipeline. Throws <see cref="CaptureFormatException"/> when the file
    /// is not a capture; damage inside the file becomes anomalies in the report.</summary>
    public static AnalysisReport AnalyzeFile(string path, AnalysisOptions options, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        var reader = CaptureFileReader.Open(path);
        var workers = options.Workers
            ?? (Environment.ProcessorCount >= 2 && reader.TotalBytes >= PartitionFromBytes ? DefaultWorkers : 1);
        if (workers <= 1)
        {
            var pipeline = new HandshakePipeline(options, reader.SnapLength);
            reader.Read(WithProgress(pipeline, reader, progress), pipeline, cancellationToken);
            return pipeline.BuildReport(path, FormatName(reader), reader.SnapLength);
        }
        using var partitioned = new PartitionedAnalysis(options, reader.SnapLength, workers);
        reader.Read(WithProgress(partitioned, reader, progress), partitioned, cancellationToken);
        return partitioned.BuildReport(path, FormatName(reader), reader.SnapLength);
    }

    private static IPacketHandler WithProgress(IPacketHandler handler, CaptureFileReader reader, IProgress<double>? progress)
        => progress is null ? handler : new ProgressReporter(handler, reader, progress);

    public static string FormatName(CaptureFileReader reader)
    {
        var name = reader.Format switch
        {
            CaptureFormat.Pcap => "pcap",
            CaptureFormat.PcapNanosecond => "pcap-ns",
            CaptureFormat.PcapNg => "pcapng",
            var f => f.ToString(),
        };
        return reader.IsGzip ? name + ".gz" : name;
    }

    private sealed class ProgressReporter(IPacketHandler inner, CaptureFileReader reader, IProgress<double> progress) : IPacketHandler
    {
        private int count;

        public void OnPacket(in RawPacket packet)
        {
            inner.OnPacket(packet);
            if (++count == ProgressInterval)
            {
                count = 0;
                progress.Report(reader.TotalBytes > 0 ? (double)reader.BytesRead / reader.TotalBytes : 0);
            }
        }
    }
}
