using System.Collections.Concurrent;
using PcapTls.Capture;

namespace PcapTls.Analysis;

/// <summary>
/// One capture analyzed by several <see cref="HandshakePipeline"/>s at once: the reader's thread reads and decodes
/// each frame only far enough to know its TCP connection, and hands the frame to the worker that connection
/// hashes to (both directions hash alike), so every worker sees whole connections, in capture order, as a lone
/// pipeline would. Frames travel in batches through bounded queues: memory stays bounded whatever the file size,
/// and a slow worker slows the reader instead of piling frames up. The workers share the judge's context (the
/// validation cache, the parsed certificates, the report texts); the report is the one a single pipeline makes.
/// </summary>
internal sealed class PartitionedAnalysis : IPacketHandler, ICaptureAnomalySink, IDisposable
{
    /// <summary>Frame bytes per batch handed to a worker.</summary>
    internal const int BatchBytes = 1 << 20;

    /// <summary>Frames per batch, whatever their size (many tiny frames).</summary>
    internal const int BatchFrames = 8192;

    /// <summary>Full batches waiting per worker: the reader blocks beyond it (memory bound: workers x (this + 2) x ~1 MiB).</summary>
    internal const int BatchesQueued = 4;

    private readonly Worker[] workers;
    private readonly JudgeContext context;
    private readonly List<ReportAnomaly> fileAnomalies = [];
    private readonly CancellationTokenSource failed = new();
    private long fileAnomalyCount;
    private bool finished;

    public PartitionedAnalysis(AnalysisOptions options, int? snapLength, int workerCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workerCount, 2);
        context = HandshakePipeline.NewContext(options, snapLength);
        var store = new HandshakeStore(options.HandshakesInMemory);
        workers = new Worker[workerCount];
        for (var i = 0; i < workerCount; i++)
        {
            workers[i] = new Worker(new HandshakePipeline(options, context, store, keepsFacts: false), failed);
        }
    }

    public void OnPacket(in RawPacket packet)
    {
        if (packet.IsTruncated)
        {
            HandshakePipeline.CountTruncated(context.Facts, packet.Data.Length);
        }
        var worker = workers[WorkerOf(packet)];
        if (!worker.Append(packet))
        {
            Rethrow();
        }
    }

    /// <summary>The worker of a frame's TCP connection: a hash of its two endpoints, the same both ways. Frames
    /// that are not TCP (or do not decode) go to the first worker, which reports them as a lone pipeline would.</summary>
    /// <remarks>IP fragments are among them: only a whole datagram names its ports, so every fragment goes to the
    /// first worker, whose <see cref="PcapTls.Capture.Encapsulations.IpFragmentReassembler"/> sees them all and
    /// completes the datagram. A connection whose packets are only partly fragmented (a tunnel fragmenting its
    /// largest segments) then has its reassembled segments in worker 0 and the others in its hashed worker, and may
    /// be reported as two there; accepted, as reassembling on the reader's thread would cost every capture a copy of
    /// each fragment and the per-pipeline limits. With --threads 1 (or one core) nothing is split.</remarks>
    private int WorkerOf(in RawPacket packet)
    {
        if (PacketDecoder.TryDecodeTcp(packet, out var segment) != DecodeStatus.Tcp)
        {
            return 0;
        }
        var a = segment.Source.GetHashCode();
        var b = segment.Destination.GetHashCode();
        var h = (uint)(a ^ b) * 0x9E3779B1u;
        return (int)((h >> 16) % (uint)workers.Length);
    }

    /// <summary>Damage to the file itself (headers, blocks), found by the reader: kept here, merged into the report.</summary>
    void ICaptureAnomalySink.Report(in CaptureAnomaly anomaly)
    {
        fileAnomalyCount++;
        if (fileAnomalies.Count < HandshakePipeline.MaxAnomaliesKept)
        {
            fileAnomalies.Add(new ReportAnomaly(anomaly.PacketNumber, AnomalyKinds.Name(anomaly.Kind), anomaly.Detail));
        }
    }

    /// <summary>Hands the last batches over and waits for every worker to end its connections.</summary>
    public void Finish()
    {
        if (finished)
        {
            return;
        }
        finished = true;
        foreach (var w in workers)
        {
            w.Complete();
        }
        foreach (var w in workers)
        {
            w.Join();
        }
        Rethrow();
    }

    public AnalysisReport BuildReport(string file, string format, int? snapLength)
    {
        Finish();
        return HandshakePipeline.BuildReport(workers.Select(w => w.Pipeline).ToList(), fileAnomalies, fileAnomalyCount, file, format, snapLength);
    }

    /// <summary>Stops the workers without waiting for their queues (cancellation, a failed read).</summary>
    public void Dispose()
    {
        if (!finished)
        {
            finished = true;
            failed.Cancel();
            foreach (var w in workers)
            {
                w.Complete();
                w.Join();
            }
        }
        failed.Dispose();
    }

    private void Rethrow()
    {
        foreach (var w in workers)
        {
            if (w.Error is { } e)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
            }
        }
    }

    /// <summary>Frames copied out of the reader's buffer (the reader reuses it), with what a RawPacket needs.</summary>
    private sealed class Batch
    {
        public readonly byte[] Bytes = new byte[BatchBytes];
        public readonly long[] Numbers = new long[BatchFrames];
        public readonly long[] Times = new long[BatchFrames];
        public readonly int[] Offsets = new int[BatchFrames + 1];
        public readonly int[] OriginalLengths = new int[BatchFrames];
        public readonly LinkType[] LinkTypes = new LinkType[BatchFrames];
        public readonly int[] Interfaces = new int[BatchFrames];
        public int Count;

        public bool Fits(int length) => Count < BatchFrames && Offsets[Count] + length <= Bytes.Length;

        public void Add(in RawPacket p)
        {
            var at = Offsets[Count];
            p.Data.CopyTo(Bytes.AsSpan(at));
            Numbers[Count] = p.Number;
            Times[Count] = p.TimestampNanos;
            OriginalLengths[Count] = p.OriginalLength;
            LinkTypes[Count] = p.LinkType;
            Interfaces[Count] = p.InterfaceIndex;
            Count++;
            Offsets[Count] = at + p.Data.Length;
        }

        public RawPacket this[int i] => new(Numbers[i], Times[i], LinkTypes[i], Bytes.AsSpan(Offsets[i], Offsets[i + 1] - Offsets[i]), OriginalLengths[i], Interfaces[i]);

        public void Clear()
        {
            Count = 0;
            Offsets[0] = 0;
        }
    }

    private sealed class Worker
    {
        private readonly BlockingCollection<Batch> queue = new(BatchesQueued);
        private readonly ConcurrentBag<Batch> spare = [];
        private readonly CancellationToken stop;
        private readonly Thread thread;
        private Batch current = new();

        public Worker(HandshakePipeline pipeline, CancellationTokenSource failed)
        {
            Pipeline = pipeline;
            stop = failed.Token;
            thread = new Thread(() => Run(failed)) { IsBackground = true, Name = "pcaptls analysis worker" };
            thread.Start();
        }

        public HandshakePipeline Pipeline { get; }

        public Exception? Error { get; private set; }

        /// <summary>False when the workers stopped (one failed): the caller rethrows its error.</summary>
        public bool Append(in RawPacket packet)
        {
            // A frame longer than a batch cannot happen (the reader caps frames at 256 KiB) but would loop forever.
            if (!current.Fits(packet.Data.Length) && current.Count > 0 && !Hand())
            {
                return false;
            }
            current.Add(packet);
            return true;
        }

        private bool Hand()
        {
            try
            {
                queue.Add(current, stop);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            current = spare.TryTake(out var b) ? b : new Batch();
            return true;
        }

        public void Complete()
        {
            if (current.Count > 0 && !stop.IsCancellationRequested)
            {
                Hand();
            }
            queue.CompleteAdding();
        }

        public void Join() => thread.Join();

        private void Run(CancellationTokenSource failed)
        {
            try
            {
                foreach (var batch in queue.GetConsumingEnumerable(stop))
                {
                    for (var i = 0; i < batch.Count; i++)
                    {
                        Pipeline.OnPacket(batch[i]);
                    }
                    batch.Clear();
                    spare.Add(batch);
                }
                Pipeline.Finish();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopped from outside (cancellation, another worker's failure): nothing to report.
            }
#pragma warning disable CA1031 // A worker's failure is handed to the reader's thread, which rethrows it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Error = e;
                failed.Cancel();
            }
        }
    }
}
