using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using PcapTls.Analysis;
using PcapTls.Live;
using PcapTls.Reporting;
using PcapTls.Validation;

namespace PcapTls.Cli;

internal static class LiveCommand
{
    private static readonly Option<string> InterfaceOption = new("--interface", "-i")
    {
        Description = "The interface to capture on (see 'pcaptls interfaces'); 'any' captures on all of them.",
        Required = true,
    };

    private static readonly Option<string> FilterOption = new("--filter")
    {
        Description = "BPF capture filter in tcpdump syntax, e.g. 'tcp port 443' (default: tcp).",
        DefaultValueFactory = _ => "tcp",
    };

    private static readonly Option<string> FormatOption = new("--format", "-f")
    {
        Description = "Per-handshake output: console (one line per handshake, default) or jsonl (one JSON object per handshake, the names of analyze's JSON; the final summary then goes to stderr).",
        DefaultValueFactory = _ => "console",
    };

    private static readonly Option<string?> DurationOption = new("--duration")
    {
        Description = "Stop after this long, e.g. 30s, 5m, 2h (default: until Ctrl+C or SIGTERM).",
    };

    private static readonly Option<long?> CountOption = new("--count")
    {
        Description = "Stop after N handshakes have been reported.",
    };

    private static readonly Option<DirectoryInfo?> WriteFailuresOption = new("--write-failures")
    {
        Description = "For each failed handshake, write a small pcap of its connection into DIR (created if needed).",
    };

    private static readonly Option<int> MaxFailureFilesOption = new("--max-failure-files")
    {
        Description = "Keep at most N files in --write-failures (the oldest is deleted), so a long run cannot fill the disk (default 100).",
        DefaultValueFactory = _ => FailureCaptureLimits.Default.MaxFiles,
    };

    private static readonly Option<FileInfo?> WritePcapOption = new("--write-pcap")
    {
        Description = "Keep everything captured in FILE, rotated by size (FILE, FILE.1, ...), to re-analyze offline.",
    };

    private static readonly Option<int> KeepFilesOption = new("--keep-files")
    {
        Description = "With --write-pcap: keep at most N files, deleting the oldest when a new one starts (like tcpdump -W; default 0 keeps all).",
    };

    private static readonly Option<int> RotateMbOption = new("--rotate-mb")
    {
        Description = "Size of each --write-pcap file in MB before the next one starts (default 100; 0 never rotates).",
        DefaultValueFactory = _ => 100,
    };

    private static readonly Option<int> BufferMbOption = new("--buffer-mb")
    {
        Description = "Kernel capture buffer in MiB (default 16; 1 to 2048): raise it when the summary shows kernel drops on a busy link.",
        DefaultValueFactory = _ => LiveCaptureOptions.DefaultKernelBufferBytes >> 20,
    };

    private static readonly Option<string?> StatsEveryOption = new("--stats-every")
    {
        Description = "Every DURATION (e.g. 10s, 1m), write one 'pcaptls: stats key=value ...' line to stderr: packets, handshakes, kernel and queue drops, flows, RSS and GC heap (for monitoring and tools/soak).",
    };

    /// <summary>Handshakes kept for the final summary (each holds its chain: a few KB); the per-handshake lines
    /// still cover every one. Days of capture must not grow memory without bound.</summary>
    private const int MaxHandshakesInSummary = 10_000;

    private static readonly TimeSpan DefaultStatusInterval = TimeSpan.FromSeconds(2);

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("live", "Capture on an interface and report each TLS handshake as its connection ends (outcome and cause), with the same analysis as 'analyze'; at the end, the summary analyze would print for the same traffic.");
        command.Options.Add(InterfaceOption);
        command.Options.Add(FilterOption);
        CommonOptions.AddValidationOptions(command);
        command.Options.Add(CommonOptions.Keylog);
        command.Options.Add(CommonOptions.TargetEndpoint);
        command.Options.Add(FormatOption);
        command.Options.Add(DurationOption);
        command.Options.Add(CountOption);
        command.Options.Add(WriteFailuresOption);
        command.Options.Add(MaxFailureFilesOption);
        command.Options.Add(WritePcapOption);
        command.Options.Add(RotateMbOption);
        command.Options.Add(KeepFilesOption);
        command.Options.Add(BufferMbOption);
        command.Options.Add(StatsEveryOption);
        command.Options.Add(CommonOptions.Color);
        command.SetAction(parse => Run(parse, stdout, stderr));
        return command;
    }

    private static int Run(ParseResult parse, TextWriter stdout, TextWriter stderr)
    {
        var jsonl = (parse.GetValue(FormatOption) ?? "console").ToLowerInvariant() switch
        {
            "console" or "text" => false,
            "jsonl" => true,
            var f => throw new UserErrorException(ExitCode.Usage, $"--format must be console or jsonl, not '{f}'"),
        };
        TimeSpan? duration = null;
        if (parse.GetValue(DurationOption) is { } d)
        {
            duration = LiveDuration.TryParse(d, out var t) ? t
                : throw new UserErrorException(ExitCode.Usage, $"--duration: '{d}' is not a duration (e.g. 30s, 5m, 2h)");
        }
        TimeSpan? statsEvery = null;
        if (parse.GetValue(StatsEveryOption) is { } se)
        {
            statsEvery = LiveDuration.TryParse(se, out var t) && t >= TimeSpan.FromSeconds(1) ? t
                : throw new UserErrorException(ExitCode.Usage, $"--stats-every: '{se}' is not a duration of 1s or more (e.g. 10s, 1m)");
        }
        var count = parse.GetValue(CountOption);
        if (count is <= 0)
        {
            throw new UserErrorException(ExitCode.Usage, "--count must be at least 1");
        }
        var maxFiles = parse.GetValue(MaxFailureFilesOption);
        if (maxFiles < 1)
        {
            throw new UserErrorException(ExitCode.Usage, "--max-failure-files must be at least 1");
        }
        var rotateMb = parse.GetValue(RotateMbOption);
        if (rotateMb < 0)
        {
            throw new UserErrorException(ExitCode.Usage, "--rotate-mb must be 0 (never rotate) or more");
        }
        var keepFiles = parse.GetValue(KeepFilesOption);
        if (keepFiles < 0)
        {
            throw new UserErrorException(ExitCode.Usage, "--keep-files must be 0 (keep all) or more");
        }
        var bufferMb = parse.GetValue(BufferMbOption);
        if (bufferMb is < 1 or > 2048)
        {
            throw new UserErrorException(ExitCode.Usage, $"--buffer-mb must be from 1 to 2048, not {bufferMb}");
        }
        var pcapPath = parse.GetValue(WritePcapOption)?.FullName;
        if (pcapPath is not null && Path.GetDirectoryName(pcapPath) is { } pcapDir && !Directory.Exists(pcapDir))
        {
            throw new UserErrorException(ExitCode.OutputError, $"{pcapPath}: the folder {pcapDir} does not exist");
        }
        var color = CommonOptions.UseColor(parse, stdout, toFile: false);
        var analysis = CommonOptions.BuildAnalysisOptions(parse, stderr) with { Cache = new ValidationCache() };
        if (parse.GetValue(CommonOptions.Keylog) is { Length: > 0 } keylogs)
        {
            // The key logs grow while we capture: follow them (BuildAnalysisOptions already checked and warned).
            analysis = analysis with { Decryptors = new FollowingKeyLog(keylogs.Select(k => k.FullName).ToList()) };
        }
        var options = new LiveCaptureOptions
        {
            Interface = parse.GetValue(InterfaceOption)!,
            Filter = parse.GetValue(FilterOption) ?? "tcp",
            FailureDirectory = parse.GetValue(WriteFailuresOption)?.FullName,
            FailureLimits = FailureCaptureLimits.Default with { MaxFiles = maxFiles },
            PcapPath = pcapPath,
            RotateBytes = rotateMb * 1_000_000L,
            KeepFiles = keepFiles,
            KernelBufferBytes = bufferMb << 20,
            StatusInterval = statsEvery is { } every && every < DefaultStatusInterval ? every : DefaultStatusInterval,
        };

        var pipeline = new HandshakePipeline(analysis, options.SnapLength) { MaxHandshakesKept = MaxHandshakesInSummary };
        var status = StatusLine.ForTerminal(stderr);
        var lines = new HandshakeLines(stdout, jsonl, color, status);
        using var stop = new CancellationTokenSource();
        long reported = 0;
        pipeline.HandshakeReported += report =>
        {
            lines.Write(report);
            if (count is { } n && ++reported >= n)
            {
                stop.Cancel();
            }
        };

        LiveCapture capture;
        try
        {
            capture = LiveCapture.Open(options, pipeline);
        }
        catch (LiveCaptureException e)
        {
            throw new UserErrorException(ExitCode.CaptureError, e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException(ExitCode.OutputError, $"cannot write the output files: {e.Message}", e);
        }

        LiveStatistics final;
        using (capture)
        {
            foreach (var w in capture.Warnings)
            {
                stderr.WriteLine($"pcaptls: warning: {w}");
            }
            stderr.WriteLine($"pcaptls: capturing on {options.Interface} ({capture.LinkType}, filter '{options.Filter}'){(duration is { } dd ? $" for {dd}" : "")}; Ctrl+C or SIGTERM stops and prints the summary");
            if (status is not null)
            {
                capture.StatusTick += status.Show;
            }
            if (statsEvery is { } interval)
            {
                var nextStats = interval;
                capture.StatusTick += s =>
                {
                    if (s.Elapsed >= nextStats)
                    {
                        // Due times advance by whole intervals so the samples stay on a fixed grid.
                        while (nextStats <= s.Elapsed)
                        {
                            nextStats += interval;
                        }
                        status?.Clear();
                        stderr.WriteLine($"pcaptls: stats {s.ToStatsLine()}");
                        stderr.Flush();
                    }
                };
            }
            capture.OutputProblem += message =>
            {
                status?.Clear();
                stderr.WriteLine($"pcaptls: warning: {message}");
                stderr.Flush();
            };
            using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                // logrotate's postrotate: every frame so far is in a complete file; capture goes on.
                context.Cancel = true;
                capture.RequestNextPcapFile();
            });
            using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            if (duration is { } limit)
            {
                stop.CancelAfter(limit);
            }
            try
            {
                final = capture.Run(stop.Token);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserErrorException(ExitCode.OutputError, $"cannot write the output files: {e.Message}", e);
            }
            status?.Clear();
            if (statsEvery is not null)
            {
                // A last sample at the end, so a monitor always sees the final counters.
                stderr.WriteLine($"pcaptls: stats {final.ToStatsLine()}");
            }
        }

        // The same summary analyze prints for a file; with jsonl it goes to stderr so stdout stays one object a line.
        var report = pipeline.BuildReport($"live:{options.Interface}", "live", options.SnapLength);
        var summaryOut = jsonl ? stderr : stdout;
        if (!jsonl)
        {
            stdout.WriteLine();
        }
        Renderers.For(OutputFormat.Console, color && !jsonl).Render(report, summaryOut);
        summaryOut.WriteLine();
        summaryOut.WriteLine($"Live capture: {final.ToLine()}");
        var flows = pipeline.FlowStatistics;
        summaryOut.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  flows seen {flows.FlowsSeen}, evicted idle {flows.FlowsEvictedIdle}, evicted (table full) {flows.FlowsEvictedTableFull}, peak buffered {flows.PeakBufferedBytes} bytes; kernel received {final.KernelReceived?.ToString(CultureInfo.InvariantCulture) ?? "?"}"));
        if (capture.PcapFiles.Count > 0)
        {
            summaryOut.WriteLine($"  wrote {final.PcapFramesWritten} frame(s) to {string.Join(", ", capture.PcapFiles)}");
        }
        if (options.FailureDirectory is { } fd)
        {
            summaryOut.WriteLine($"  {final.FailureFilesWritten} failure capture(s) written to {fd} ({capture.FailureFiles.Count} kept)");
        }
        stdout.Flush();
        stderr.Flush();
        return (int)ExitCode.Ok;

        void Stop(PosixSignalContext context)
        {
            // The first signal stops cleanly (summary, complete files); a second one terminates at once.
            if (!stop.IsCancellationRequested)
            {
                context.Cancel = true;
                stop.Cancel();
            }
        }
    }

    /// <summary>One line (or JSON object) per handshake, written as the pipeline reports it.</summary>
    private sealed class HandshakeLines(TextWriter output, bool jsonl, bool color, StatusLine? status)
    {
        private const string Red = "\u001b[31m";
        private const string Yellow = "\u001b[33m";
        private const string Reset = "\u001b[0m";

        private static readonly JsonWriterOptions JsonOptions = new()
        {
            Indented = false,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };

        public void Write(HandshakeReport h)
        {
            status?.Clear();
            output.WriteLine(jsonl ? Json(h) : Text(h));
            output.Flush();
        }

        internal static string Json(HandshakeReport h)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, JsonOptions))
            {
                JsonReportRenderer.WriteHandshake(w, h);
            }
            return System.Text.Encoding.UTF8.GetString(stream.ToArray());
        }

        private string Text(HandshakeReport h)
        {
            var causes = h.Causes.Count == 0 ? "-" : string.Join(",", h.Causes.Select(c => c.Code.ToCode()).Distinct());
            var why = h.Causes.Count > 0 ? h.Causes[0].Summary : h.Outcome == HandshakeOutcome.Completed ? "" : h.OutcomeDetail;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{h.StartTime.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff}  {h.Client} -> {h.Server}  {h.Sni ?? "-"}  {h.Version ?? "-"}  {h.Outcome.ToCode()}  {causes}{(why.Length > 0 ? "  " + why : "")}");
            if (!color || (h.Outcome == HandshakeOutcome.Completed && h.Causes.Count == 0))
            {
                return line;
            }
            return (h.IsFailure ? Red : Yellow) + line + Reset;
        }
    }

    /// <summary>The status line on a terminal's stderr, redrawn in place; cleared before a handshake line.</summary>
    private sealed class StatusLine(TextWriter stderr)
    {
        private const string ClearLine = "\r\u001b[K";
        private bool shown;

        public static StatusLine? ForTerminal(TextWriter stderr)
            => ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected ? new StatusLine(stderr) : null;

        public void Show(LiveStatistics s)
        {
            var text = s.ToLine();
            // A line longer than the terminal would wrap and \r could no longer redraw it.
            var width = WindowWidth() is > 20 and var w ? w - 1 : 200;
            stderr.Write(ClearLine + (text.Length > width ? text[..width] : text));
            stderr.Flush();
            shown = true;
        }

        private static int WindowWidth()
        {
            try
            {
                return Console.WindowWidth;
            }
            catch (IOException)
            {
                return 0;
            }
        }

        public void Clear()
        {
            if (shown)
            {
                stderr.Write(ClearLine);
                stderr.Flush();
                shown = false;
            }
        }
    }
}
