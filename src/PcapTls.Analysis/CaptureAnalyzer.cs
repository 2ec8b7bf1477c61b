using PcapTls.Capture;

namespace PcapTls.Analysis;

/// <summary>Analyzes a capture file end to end.</summary>
public static class CaptureAnalyzer
{
    /// <summary>Packets between two progress reports.</summary>
    private const int ProgressInterval = 1 << 16;

    /// <summary>Reads the whole file through the pipeline. Throws <see cref="CaptureFormatException"/> when the file
    /// is not a capture; damage inside the file becomes anomalies in the report.</summary>
    public static AnalysisReport AnalyzeFile(string path, AnalysisOptions options, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        var reader = CaptureFileReader.Open(path);
        var pipeline = new HandshakePipeline(options, reader.SnapLength);
        IPacketHandler handler = progress is null ? pipeline : new ProgressReporter(pipeline, reader, progress);
        reader.Read(handler, pipeline, cancellationToken);
        return pipeline.BuildReport(path, FormatName(reader), reader.SnapLength);
    }

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
