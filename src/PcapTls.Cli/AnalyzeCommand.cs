using System.CommandLine;
using System.Globalization;
using PcapTls.Analysis;
using PcapTls.Capture;
using PcapTls.Capture.Inputs;
using PcapTls.Reporting;
using PcapTls.Validation;

namespace PcapTls.Cli;

internal static class AnalyzeCommand
{
    private static readonly Argument<string[]> CaptureArgument = new("capture")
    {
        Description = "A .pcap or .pcapng capture (plain or compressed: gzip, zstd, xz, bzip2, lz4), '-' for standard input, or several files, a directory or a glob (e.g. a tcpdump -C/-W ring) read as one capture, merged in time order. Read only; never modified.",
        Arity = ArgumentArity.OneOrMore,
    };

    private static readonly Option<FileInfo?> OutputOption = new("--output", "-o")
    {
        Description = "Write the report to FILE instead of standard output (written whole or not at all).",
    };

    private static readonly Option<DirectoryInfo?> ExportCertsOption = new("--export-certs")
    {
        Description = "Write each distinct certificate seen as PEM into DIR, named by subject and short fingerprint.",
    };

    private static readonly Option<FileInfo?> WritePcapOption = new("--write-pcap")
    {
        Description = "Write the packets of the selected handshakes (see --only) to a new pcap FILE, to attach to a ticket.",
    };

    private static readonly Option<string> OnlyOption = new("--only")
    {
        Description = "Which handshakes --write-pcap keeps: failed (default) or all.",
        DefaultValueFactory = _ => "failed",
    };

    private static readonly Option<bool> NoKeylogSearchOption = new("--no-keylog-search")
    {
        Description = "Do not use the key logs found with the captures (cap.keys, cap.keylog, cap.pcap.keys next to cap.pcap; key log files (sslkeylog.log, *.keys, ...) inside an archive or a directory given); only --keylog and a pcapng's own.",
    };

    private static readonly Option<bool> ProbeOption = new("--probe")
    {
        Description = "For TLS 1.3 handshakes whose chain the capture does not show (no key log), connect to the server now and fetch its chain (hanging up before the client's Finished), then validate it; when the server asks for a client certificate and the chain is trusted, a second connection checks whether it requires one.",
    };

    /// <summary>analyze's --format has no short form: -f is the BPF filter (see <see cref="SelectionOptions.Filter"/>).</summary>
    private static readonly Option<string> FormatOption = new("--format")
    {
        Description = "Output format: console (default), json, csv or html (one self-contained page to open in a browser or attach to a ticket).",
        DefaultValueFactory = _ => "console",
    };

    private static readonly Option<int?> ThreadsOption = new("--threads")
    {
        Description = "Analysis pipelines working side by side, connections split between them (default: 2-4 for captures of 32 MB and more on a multi-core machine, else 1).",
    };

    public static Command Create(TextWriter stdout, TextWriter stderr, Func<Stream>? standardInput = null)
    {
        var command = new Command("analyze", "Find every TLS handshake in a capture, decide its outcome (completed, failed, incomplete, not-tls) and explain each failure with its packets, the chain, the causes and the fix.");
        command.Arguments.Add(CaptureArgument);
        CommonOptions.AddValidationOptions(command);
        command.Options.Add(CommonOptions.Keylog);
        command.Options.Add(CommonOptions.TargetEndpoint);
        command.Options.Add(FormatOption);
        SelectionOptions.AddTo(command);
        command.Options.Add(OutputOption);
        command.Options.Add(ExportCertsOption);
        command.Options.Add(WritePcapOption);
        command.Options.Add(OnlyOption);
        command.Options.Add(ProbeOption);
        command.Options.Add(NoKeylogSearchOption);
        command.Options.Add(ThreadsOption);
        command.Options.Add(CommonOptions.Color);
        SupportOptions.Add(command);
        command.SetAction(parse => Run(parse, stdout, stderr, standardInput ?? Console.OpenStandardInput));
        return command;
    }

    private static int Run(ParseResult parse, TextWriter stdout, TextWriter stderr, Func<Stream> standardInput)
    {
        var arguments = parse.GetValue(CaptureArgument)!;
        var (filter, formatText) = SelectionOptions.FilterAndFormat(parse, FormatOption, stderr);
        var format = CommonOptions.ParseFormat(formatText);
        var selection = SelectionOptions.Parse(parse);
        var only = parse.GetValue(OnlyOption) ?? "failed";
        if (only is not ("failed" or "all"))
        {
            throw new UserErrorException(ExitCode.Usage, $"--only must be 'failed' or 'all', not '{only}'");
        }
        var options = CommonOptions.BuildAnalysisOptions(parse, stderr, selectsClients: true);
        SupportOptions.CheckInputs(parse);
        if (parse.GetValue(ThreadsOption) is { } threads)
        {
            if (threads is < 1 or > 64)
            {
                throw new UserErrorException(ExitCode.Usage, $"--threads must be between 1 and 64, not {threads}");
            }
            options = options with { Workers = threads };
        }

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        AnalysisReport report;
        ICaptureInput? input = null;
        try
        {
            var opened = CaptureInputs.OpenWithKeyLogs(arguments, standardInput);
            input = SelectionOptions.WithFilter(opened.Input, filter);
            if (!parse.GetValue(NoKeylogSearchOption) && FoundKeyLogs.Find(opened, options.KeyLogFiles, stderr) is { Count: > 0 } found)
            {
                var decryptors = KeyLogDecryptors.Load(options.KeyLogFiles, found);
                // The --keylog files' malformed lines were said when they were loaded; say the found ones' too.
                foreach (var problem in decryptors.Problems.Where(p => !options.KeyLogFiles.Contains(p.File)).Take(20))
                {
                    stderr.WriteLine($"pcaptls: warning: {problem}");
                }
                options = options with { FoundKeyLogs = found, Decryptors = decryptors };
            }
            if (parse.GetValue(WritePcapOption) is not null && !input.CanReadAgain)
            {
                throw new UserErrorException(ExitCode.Usage, "--write-pcap reads the capture a second time: give a file, not standard input");
            }
            using var progress = ProgressBar.ForInput(input, stderr);
            report = CaptureAnalyzer.Analyze(input, options, progress, cancel.Token);
        }
        catch (CaptureFormatException e)
        {
            throw new UserErrorException(ExitCode.InputError, e.Message, e);
        }
        catch (HandshakeStoreException e)
        {
            throw new UserErrorException(ExitCode.OutputError, e.Message, e);
        }
        catch (IOException e)
        {
            throw new UserErrorException(ExitCode.InputError, $"{input?.Path ?? string.Join(", ", arguments)}: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UserErrorException(ExitCode.InputError, $"{input?.Path ?? string.Join(", ", arguments)}: permission denied", e);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        report = report with { Capture = report.Capture with { File = string.Join(", ", arguments) } };
        if ((input is FilteredCapture f ? f.Inner : input) is MergedCapture merged)
        {
            report = report with { Notes = [.. report.Notes, .. MergedNotes.For(merged)] };
        }
        if (input is FilteredCapture filtered)
        {
            report = report with { Notes = [.. report.Notes, SelectionOptions.FilterNote(filtered)] };
        }
        report = selection.Apply(report);
        if (parse.GetValue(ProbeOption))
        {
            report = AnalyzeProbes.Run(report, options, stderr, CancellationToken.None);
        }
        var color = CommonOptions.UseColor(parse, stdout, parse.GetValue(OutputOption) is not null);
        var support = SupportOptions.Build(parse, report, stderr, cancel.Token);
        var renderer = Renderers.For(format, color, support);
        OutputFiles.WriteReport(parse.GetValue(OutputOption), stdout, w => renderer.Render(report, w));

        SupportOptions.WriteBundle(parse, report, support, input, stderr);
        if (parse.GetValue(ExportCertsOption) is { } dir)
        {
            var count = CertificateExport.Export(report, dir.FullName);
            stderr.WriteLine($"pcaptls: wrote {count} certificate(s) to {dir.FullName}");
        }
        if (parse.GetValue(WritePcapOption) is { } pcapOut)
        {
            var selected = report.Handshakes.Where(h => only == "all" || h.IsFailure).ToList();
            var written = PacketExport.Write(input, pcapOut.FullName, selected);
            stderr.WriteLine($"pcaptls: wrote {written} packet(s) of {selected.Count} handshake(s) to {pcapOut.FullName}");
        }
        return (int)ExitCode.Ok;
    }
}
