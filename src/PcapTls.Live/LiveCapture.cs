using System.Diagnostics;
using PcapTls.Analysis;
using PcapTls.Capture;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PcapTls.Live;

/// <summary>
/// Captures from a network interface with libpcap and feeds the same <see cref="HandshakePipeline"/> that
/// analyze uses. libpcap's callback thread only copies each frame into a bounded <see cref="FrameQueue"/>; the
/// thread that calls <see cref="Run"/> is the only one that touches the pipeline and the output files (the
/// pipeline is single-threaded by design). Time passes for the pipeline even when no packet arrives, so a
/// closed connection is reported a grace period after its last packet, not at the next packet.
/// </summary>
public sealed class LiveCapture : IDisposable
{
    /// <summary>How long the analysis thread waits for a frame before letting the pipeline's clock advance.</summary>
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(200);

    /// <summary>Stopping: the capture buffer counts as empty after this long without a frame.</summary>
    private static readonly TimeSpan DrainQuiet = TimeSpan.FromSeconds(2);

    /// <summary>Stopping: read what the kernel holds for at most this long.</summary>
    private static readonly TimeSpan MaxDrain = TimeSpan.FromSeconds(10);

    /// <summary>Frames processed between two looks at the clock (status, cancellation) under load.</summary>
    private const int FramesPerBatch = 4096;

    /// <summary>libpcap's read timeout: how long a partly filled ring block waits before it is handed over (the
    /// latency added to a packet on a quiet interface), and how long StopCapture waits.</summary>
    private const int ReadTimeoutMillis = 100;

    // DLT_RAW is 12 (or 14 on some BSDs) in libpcap's API, 101 (LINKTYPE_RAW) in files.
    private const uint DltRaw = 12;
    private const uint DltRawBsd = 14;

    private readonly LibPcapLiveDevice _device;
    private readonly HandshakePipeline _pipeline;
    private readonly LiveCaptureOptions _options;
    private readonly FrameQueue _queue;
    private readonly RotatingPcapWriter? _pcap;
    private readonly FailureCaptures? _failures;
    private readonly Stopwatch _clock = new();
    private long _number;
    private long _arrived;
    private long _handshakes;
    private long _failed;
    private ICaptureStatistics? _lastKernelStatistics;
    private bool _ran;

    private LiveCapture(LibPcapLiveDevice device, HandshakePipeline pipeline, LiveCaptureOptions options, IReadOnlyList<string> warnings)
    {
        _device = device;
        _pipeline = pipeline;
        _options = options;
        Warnings = warnings;
        LinkType = ToLinkType((uint)device.LinkType);
        IsNanosecond = device.TimestampResolution == TimestampResolution.Nanosecond;
        _queue = new FrameQueue(options.Queue);
        try
        {
            if (options.PcapPath is { } path)
            {
                _pcap = new RotatingPcapWriter(path, LinkType, IsNanosecond, options.SnapLength, options.RotateBytes, options.KeepFiles);
                _pcap.Problem += m => OutputProblem?.Invoke(m);
            }
            if (options.FailureDirectory is { } dir)
            {
                Directory.CreateDirectory(dir);
                _failures = new FailureCaptures(dir, LinkType, IsNanosecond, options.FailureLimits);
                _failures.Problem += m => OutputProblem?.Invoke(m);
            }
        }
        catch
        {
            _pcap?.Dispose();
            throw;
        }
        pipeline.HandshakeReported += OnHandshake;
    }

    /// <summary>Raised on the analysis thread every <see cref="LiveCaptureOptions.StatusInterval"/>.</summary>
    public event Action<LiveStatistics>? StatusTick;

    /// <summary>Raised on the analysis thread when an output file cannot be written (disk full) or works again:
    /// the capture goes on, the frames and files lost are counted in the statistics.</summary>
    public event Action<string>? OutputProblem;

    /// <summary>SIGHUP: completes the current --write-pcap file (under its final name, so logrotate or a collector can
    /// take it) and starts the next. Safe to call from any thread; acted on within one idle wait.</summary>
    public void RequestNextPcapFile() => _pcap?.RequestNextFile();

    public string Interface => _options.Interface;

    /// <summary>The interface's link type, as written to the pcap files.</summary>
    public LinkType LinkType { get; }

    /// <summary>True when libpcap gives nanosecond timestamps (then the output files keep them).</summary>
    public bool IsNanosecond { get; }

    /// <summary>Settings libpcap could not apply (e.g. nanosecond timestamps); the capture still runs.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The --write-pcap files completed (all of them once <see cref="Run"/> returned).</summary>
    public IReadOnlyList<string> PcapFiles => _pcap?.CompletedFiles ?? [];

    /// <summary>The --write-failures files on disk now.</summary>
    public IReadOnlyCollection<string> FailureFiles => _failures?.Files ?? (IReadOnlyCollection<string>)[];

    /// <summary>
    /// Opens the interface (full snaplen, TPACKET_V3 blocks, nanosecond timestamps when supported) and compiles the
    /// filter. Throws <see cref="LiveCaptureException"/> with a one-line reason when capturing cannot start.
    /// </summary>
    public static LiveCapture Open(LiveCaptureOptions options, HandshakePipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(pipeline);
        var devices = CaptureInterfaces.WithLibpcap(() => LibPcapLiveDeviceList.New().ToList());
        var device = devices.FirstOrDefault(d => d.Name == options.Interface)
            ?? throw new LiveCaptureException(LiveCaptureError.NoSuchInterface,
                $"no interface '{options.Interface}' (available: {(devices.Count == 0 ? "none" : string.Join(", ", devices.Select(d => d.Name)))})");

        var warnings = new List<string>();
        var config = new DeviceConfiguration
        {
            Snaplen = options.SnapLength,
            // Not immediate: libpcap then uses TPACKET_V3, a ring of blocks filled by the kernel and handed over
            // when full or after the read timeout (at most 100 ms later). Immediate mode forces TPACKET_V2, whose
            // fixed frame slots are each as big as the snapshot length (256 KiB): the ring then costs twice the
            // buffer asked for, resident from the start, even on a quiet interface.
            Immediate = false,
            TimestampResolution = TimestampResolution.Nanosecond,
            BufferSize = options.KernelBufferBytes,
            ReadTimeout = ReadTimeoutMillis,
        };
        config.ConfigurationFailed += (_, e) => warnings.Add($"{e.Property}: {e.Message}");
        try
        {
            CaptureInterfaces.WithLibpcap(() =>
            {
                device.Open(config);
                return true;
            });
        }
        catch (PcapException e)
        {
            device.Close();
            throw OpenError(options.Interface, e.Message, e.Error, e);
        }
        try
        {
            try
            {
                device.Filter = options.Filter;
            }
            catch (PcapException e)
            {
                throw new LiveCaptureException(LiveCaptureError.BadFilter, $"the filter '{options.Filter}' does not compile: {FilterMessage(e.Message)}", e);
            }
            return new LiveCapture(device, pipeline, options, warnings);
        }
        catch
        {
            device.Close();
            throw;
        }
    }

    /// <summary>
    /// Captures until <paramref name="cancellationToken"/> is cancelled (duration, count, signal), then stops
    /// libpcap, analyzes the frames still queued, ends every open connection (<see cref="HandshakePipeline.Finish"/>)
    /// and completes the pcap files. Call once.
    /// </summary>
    public LiveStatistics Run(CancellationToken cancellationToken)
    {
        if (_ran)
        {
            throw new InvalidOperationException("a live capture runs once");
        }
        _ran = true;
        _device.OnPacketArrival += OnArrival;
        _clock.Start();
        _device.StartCapture();
        var nextStatus = _options.StatusInterval;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var processed = 0;
                while (processed < FramesPerBatch && !cancellationToken.IsCancellationRequested && _queue.TryDequeue(out var frame))
                {
                    Process(frame);
                    processed++;
                }
                if (processed == 0 && !_queue.WaitForFrame(IdleWait, cancellationToken))
                {
                    var now = NowNanos();
                    _pipeline.AdvanceClock(now);
                    _failures?.AdvanceClock(now);
                }
                _pcap?.ServiceRequests();
                if (_clock.Elapsed >= nextStatus)
                {
                    nextStatus = _clock.Elapsed + _options.StatusInterval;
                    StatusTick?.Invoke(Snapshot());
                }
            }
        }
        finally
        {
            if (cancellationToken.IsCancellationRequested)
            {
                DrainKernelBuffer();
            }
            StopDevice();
        }
        // What libpcap delivered before it stopped is still analyzed: the summary covers every frame counted.
        while (_queue.TryDequeue(out var frame))
        {
            Process(frame);
        }
        _pipeline.Finish();
        _pcap?.Complete();
        return Snapshot();
    }

    /// <summary>
    /// Frames the kernel received before the stop may still wait in its capture buffer (on a busy host libpcap's
    /// reading thread lags behind): keep reading until libpcap delivered as many frames as the kernel counted
    /// at the stop (ps_recv - ps_drop; halved on loopback, where the kernel counts each frame going out and
    /// coming in), or until no frame came for <see cref="DrainQuiet"/>, at most <see cref="MaxDrain"/>.
    /// </summary>
    private void DrainKernelBuffer()
    {
        var kernel = KernelStatistics();
        long? target = kernel is null ? null : ((long)kernel.ReceivedPackets - kernel.DroppedPackets) / (_device.Loopback ? 2 : 1);
        var watch = Stopwatch.StartNew();
        var lastFrame = TimeSpan.Zero;
        while (watch.Elapsed < MaxDrain)
        {
            if (_queue.TryDequeue(out var frame))
            {
                Process(frame);
                lastFrame = watch.Elapsed;
                continue;
            }
            if ((target is { } t && Interlocked.Read(ref _arrived) >= t) || watch.Elapsed - lastFrame >= DrainQuiet)
            {
                return;
            }
            _queue.WaitForFrame(TimeSpan.FromMilliseconds(50), CancellationToken.None);
        }
    }

    /// <summary>The counters now (callable from the analysis thread, or after <see cref="Run"/>).</summary>
    public LiveStatistics Snapshot()
    {
        var kernel = KernelStatistics();
        var flows = _pipeline.FlowStatistics;
        return new LiveStatistics(
            _clock.Elapsed,
            _pipeline.Packets,
            _pipeline.Bytes,
            Interlocked.Read(ref _handshakes),
            Interlocked.Read(ref _failed),
            kernel?.ReceivedPackets,
            kernel?.DroppedPackets,
            kernel?.InterfaceDroppedPackets,
            _queue.Dropped,
            flows.ActiveFlows,
            flows.FlowsEvictedIdle + flows.FlowsEvictedTableFull,
            flows.BufferedBytes + _queue.QueuedBytes + (_failures?.BytesKept ?? 0),
            Environment.WorkingSet,
            GC.GetTotalMemory(forceFullCollection: false),
            _failures?.FilesWritten ?? 0,
            _failures?.FramesNotKept ?? 0,
            _pcap?.FramesWritten ?? 0,
            _pcap?.FramesNotWritten ?? 0,
            (_pcap?.WriteErrors ?? 0) + (_failures?.FilesNotWritten ?? 0));
    }

    public void Dispose()
    {
        _pipeline.HandshakeReported -= OnHandshake;
        StopDevice();
        _device.Close();
        // An unfinished run (exception) leaves no half-written file under a final name.
        _pcap?.Dispose();
    }

    internal static LinkType ToLinkType(uint dlt) => dlt is DltRaw or DltRawBsd ? LinkType.Raw : (LinkType)dlt;

    /// <summary>libpcap's filter message starts with the filter's own name for the error ("can't compile filter").</summary>
    internal static string FilterMessage(string message)
    {
        var text = message.ReplaceLineEndings(" ").Trim();
        return text.Length == 0 ? "libpcap gave no reason" : text;
    }

    internal static LiveCaptureException OpenError(string name, string libpcapMessage, PcapError error, Exception? e = null)
    {
        var message = libpcapMessage.ReplaceLineEndings(" ").Trim();
        if (error is PcapError.PermissionDenied or PcapError.PromiscuousPermissionDenied
            || message.Contains("permission", StringComparison.OrdinalIgnoreCase)
            || message.Contains("not permitted", StringComparison.OrdinalIgnoreCase))
        {
            return new LiveCaptureException(LiveCaptureError.NoPermission,
                $"cannot capture on {name}: permission denied (run as root, or grant the capabilities: setcap cap_net_raw,cap_net_admin=eip {Environment.ProcessPath ?? "dotnet"})", e);
        }
        if (error == PcapError.NoSuchDevice)
        {
            return new LiveCaptureException(LiveCaptureError.NoSuchInterface, $"no interface '{name}' ({message})", e);
        }
        if (error == PcapError.InterfaceNotUp)
        {
            return new LiveCaptureException(LiveCaptureError.OpenFailed, $"cannot capture on {name}: the interface is down", e);
        }
        return new LiveCaptureException(LiveCaptureError.OpenFailed, $"cannot capture on {name}: {message}", e);
    }

    private void OnArrival(object sender, PacketCapture e)
    {
        var data = e.Data;
        var original = e.Header is PcapHeader h ? (int)Math.Min(h.PacketLength, int.MaxValue) : data.Length;
        Interlocked.Increment(ref _arrived);
        _queue.TryEnqueue(data, Math.Max(original, data.Length), ToNanos(e.Header.Timeval));
    }

    private void Process(in QueuedFrame frame)
    {
        try
        {
            var packet = new RawPacket(++_number, frame.TimestampNanos, LinkType, frame.Buffer.AsSpan(0, frame.Length), frame.OriginalLength, 0);
            _pcap?.Write(packet);
            _failures?.Remember(packet);
            _pipeline.OnPacket(packet);
        }
        finally
        {
            _queue.Release(frame);
        }
    }

    private void OnHandshake(HandshakeReport report)
    {
        Interlocked.Increment(ref _handshakes);
        if (report.IsFailure)
        {
            Interlocked.Increment(ref _failed);
        }
        _failures?.OnHandshake(report);
    }

    private ICaptureStatistics? KernelStatistics()
    {
        if (_device.Opened)
        {
            try
            {
                _lastKernelStatistics = _device.Statistics;
            }
            catch (PcapException)
            {
                // Statistics are best effort: keep the last ones read.
            }
        }
        return _lastKernelStatistics;
    }

    private void StopDevice()
    {
        if (_device.Started)
        {
            _device.StopCapture();
            // Read the kernel's counters once more while the handle is still open.
            KernelStatistics();
        }
        _device.OnPacketArrival -= OnArrival;
    }

    /// <summary>The packets' clock: nanoseconds since the Unix epoch, UTC (the kernel stamps frames with it too).</summary>
    private static long NowNanos() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    internal static long ToNanos(PosixTimeval t)
    {
        var seconds = (long)t.Seconds;
        // Value is seconds with the full fraction (micro- or nanoseconds, as the handle was opened).
        var fraction = (long)decimal.Round((t.Value - t.Seconds) * 1_000_000_000m);
        return seconds * 1_000_000_000L + fraction;
    }
}
