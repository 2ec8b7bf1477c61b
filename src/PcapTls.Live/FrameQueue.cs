using System.Buffers;
using System.Threading.Channels;

namespace PcapTls.Live;

/// <summary>Bounds on the frames waiting between libpcap's thread and the analysis thread.</summary>
public sealed record FrameQueueLimits
{
    public static FrameQueueLimits Default { get; } = new();

    /// <summary>Frames waiting at once; one more is dropped (and counted), never blocks libpcap.</summary>
    public int MaxFrames { get; init; } = 65_536;

    /// <summary>Captured bytes waiting at once (loopback frames reach 64 KiB: the frame cap alone is not a
    /// memory bound).</summary>
    public long MaxBytes { get; init; } = 128L << 20;
}

/// <summary>One frame copied out of libpcap's buffer into a pooled array (returned by <see cref="FrameQueue.Release"/>).</summary>
internal readonly record struct QueuedFrame(byte[] Buffer, int Length, int OriginalLength, long TimestampNanos);

/// <summary>
/// The hand-off from libpcap's callback thread (one writer) to the thread that runs the pipeline (one reader).
/// When the analysis falls behind, new frames are dropped and counted rather than queued without bound: the
/// pipeline is single-threaded by design, and a live host must not run out of memory.
/// </summary>
internal sealed class FrameQueue
{
    private readonly Channel<QueuedFrame> _channel;
    private readonly FrameQueueLimits _limits;
    private long _queuedBytes;
    private long _dropped;
    private long _peakBytes;

    public FrameQueue(FrameQueueLimits limits)
    {
        _limits = limits;
        _channel = Channel.CreateBounded<QueuedFrame>(new BoundedChannelOptions(limits.MaxFrames)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then returns false instead of waiting
        });
    }

    /// <summary>Frames dropped because the queue was full (frames or bytes).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    public long PeakBytes => Interlocked.Read(ref _peakBytes);

    /// <summary>Copies the frame in; false (and counted) when the queue is full.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> data, int originalLength, long timestampNanos)
    {
        var queued = Interlocked.Add(ref _queuedBytes, data.Length);
        if (queued > _limits.MaxBytes)
        {
            Interlocked.Add(ref _queuedBytes, -data.Length);
            Interlocked.Increment(ref _dropped);
            return false;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(data.Length, 1));
        data.CopyTo(buffer);
        if (!_channel.Writer.TryWrite(new QueuedFrame(buffer, data.Length, originalLength, timestampNanos)))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Interlocked.Add(ref _queuedBytes, -data.Length);
            Interlocked.Increment(ref _dropped);
            return false;
        }
        if (queued > Interlocked.Read(ref _peakBytes))
        {
            Interlocked.Exchange(ref _peakBytes, queued);
        }
        return true;
    }

    public bool TryDequeue(out QueuedFrame frame) => _channel.Reader.TryRead(out frame);

    /// <summary>Waits up to <paramref name="timeout"/> for a frame; false on timeout or cancellation.</summary>
    public bool WaitForFrame(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_channel.Reader.TryPeek(out _))
        {
            return true;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        linked.CancelAfter(timeout);
        try
        {
            return _channel.Reader.WaitToReadAsync(linked.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Gives the frame's buffer back once the reader is done with it.</summary>
    public void Release(in QueuedFrame frame)
    {
        Interlocked.Add(ref _queuedBytes, -frame.Length);
        ArrayPool<byte>.Shared.Return(frame.Buffer);
    }
}
