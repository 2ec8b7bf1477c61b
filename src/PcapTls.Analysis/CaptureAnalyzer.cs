using PcapTls.Capture;
using PcapTls.Capture.Inputs;

namespace PcapTls.Analysis;

/// <summary>Analyzes a capture file end to end.</summary>
public static class CaptureAnalyzer
{
    /// <summary>Packets between two progress reports.</summary>
    private const int ProgressInterval = 1 << 16;

    /// <summary>Files from this size up are analyzed by several pipelines at once when the machine has the cores: below
    /// it, starting the threads costs more than they save.</summary>
    public const long PartitionFromBytes = 32L << 20;

    /// <summary>New TCP connections per megabyte, in the first <see cref="SampleBytes"/> of a file, from which several
    /// pipelines pay. Partitioning costs a copy of every frame to its worker: it pays where the work is per
    /// connection (handshakes to judge: the busy bench has ~150 connections a megabyte and runs 1.5-2x faster on two
    /// pipelines) and costs where it is per byte (bulk transfers: ~0.15 a megabyte, 2x the CPU for no gain).</summary>
    public const double PartitionFromConnectionsPerMegabyte = 10;

    /// <summary>How much of a file is sampled to choose between one pipeline and several.</summary>
    public const long SampleBytes = 16L << 20;

    /// <summary>Workers beside the reader's thread. Two: on the 2-core machines the tool is measured on, the reader's
    /// thread is light (it only decodes headers far enough to pick a worker) and two workers keep both cores busy.</summary>
    public static int DefaultWorkers => Math.Clamp(Environment.ProcessorCount, 2, 4);

    /// <summary>Reads the whole file through the pipeline (or, for a big file opening many connections, through
    /// <see cref="DefaultWorkers"/> pipelines side by side; see <see cref="PartitionFromConnectionsPerMegabyte"/>). Throws <see cref="CaptureFormatException"/> when the file
    /// is not a capture; damage inside the file becomes anomalies in the report.</summary>
    public static AnalysisReport AnalyzeFile(string path, AnalysisOptions options, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
        => Analyze(CaptureFileReader.Open(path), options, progress, cancellationToken);

    /// <summary>Analyzes an opened capture (a file, or a pipe read once). A pcapng's Decryption Secrets Blocks near
    /// its start (where editcap puts them) are merged with <see cref="AnalysisOptions.KeyLogFiles"/>.</summary>
    public static AnalysisReport Analyze(ICaptureInput reader, AnalysisOptions options, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        options = WithEmbeddedKeyLogs(reader, options);
        if (reader.PacketNames is { } names)
        {
            options = options with { PacketNames = names };
        }
        var report = AnalyzeOnce(reader, options, progress, cancellationToken);
        if (reader.PacketNames is not null)
        {
            report = report with
            {
                PacketNames = reader.PacketNames,
                Files = (reader is FilteredCapture f ? f.Inner : reader) is MergedCapture merged ? CaptureFiles.Summarise(merged, report.Handshakes) : [],
            };
        }
        return report;
    }

    private static AnalysisReport AnalyzeOnce(ICaptureInput reader, AnalysisOptions options, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        var path = reader.Path;
        var workers = options.Workers
            ?? (reader.CanReadAgain && Environment.ProcessorCount >= 2 && reader.TotalBytes >= PartitionFromBytes && ManyConnections(reader, cancellationToken) ? DefaultWorkers : 1);
        if (workers <= 1)
        {
            var pipeline = new HandshakePipeline(options, reader.SnapLength);
            reader.Read(WithProgress(pipeline, reader, progress), pipeline, cancellationToken);
            return pipeline.BuildReport(path, reader.FormatName, reader.SnapLength);
        }
        using var partitioned = new PartitionedAnalysis(options, reader.SnapLength, workers);
        reader.Read(WithProgress(partitioned, reader, progress), partitioned, cancellationToken);
        return partitioned.BuildReport(path, reader.FormatName, reader.SnapLength);
    }

    private static AnalysisOptions WithEmbeddedKeyLogs(ICaptureInput reader, AnalysisOptions options)
    {
        var embedded = reader.EmbeddedKeyLogs;
        return embedded.Count == 0 ? options : options with { Decryptors = KeyLogDecryptors.Load(options.KeyLogFiles, [.. options.FoundKeyLogs, .. embedded]) };
    }

    /// <summary>Whether the start of the capture opens connections often enough for partitioning to pay (read
    /// through the input itself: a capture of several files has no one path to open).</summary>
    internal static bool ManyConnections(ICaptureInput input, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sample = new ConnectionSample(stop);
        try
        {
            input.Read(sample, null, stop.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The sample is complete: the reader stops at its next read.
        }
        return sample.Bytes > 0 && sample.Syns / (sample.Bytes / 1e6) >= PartitionFromConnectionsPerMegabyte;
    }

    private sealed class ConnectionSample(CancellationTokenSource stop) : IPacketHandler
    {
        public long Bytes { get; private set; }

        public long Syns { get; private set; }

        public void OnPacket(in RawPacket packet)
        {
            Bytes += packet.Data.Length;
            if (PacketDecoder.TryDecodeTcp(packet, out var segment) == DecodeStatus.Tcp && segment.Has(TcpFlags.Syn) && !segment.Has(TcpFlags.Ack))
            {
                Syns++;
            }
            if (Bytes >= SampleBytes)
            {
                stop.Cancel();
            }
        }
    }

    private static IPacketHandler WithProgress(IPacketHandler handler, ICaptureInput reader, IProgress<double>? progress)
        => progress is null ? handler : new ProgressReporter(handler, reader, progress);

    public static string FormatName(ICaptureInput reader) => reader.FormatName;

    private sealed class ProgressReporter(IPacketHandler inner, ICaptureInput reader, IProgress<double> progress) : IPacketHandler
    {
        private int count;

        public void OnPacket(in RawPacket packet)
        {
            inner.OnPacket(packet);
            if (++count == ProgressInterval)
            {
                count = 0;
                progress.Report(reader.TotalBytes > 0 ? (double)reader.BytesRead / reader.TotalBytes : reader.BytesRead);
            }
        }
    }
}
