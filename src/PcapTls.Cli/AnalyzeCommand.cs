using System.CommandLine;

namespace PcapTls.Cli;

internal static class AnalyzeCommand
{
    private static readonly Argument<FileInfo> CaptureArgument = new("capture")
    {
        Description = "A .pcap, .pcapng or gzip-compressed capture file.",
    };

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("analyze", "Find every TLS handshake in a capture, decide its outcome and explain failures.");
        command.Arguments.Add(CaptureArgument);
        command.SetAction(parse =>
        {
            var file = parse.GetValue(CaptureArgument)!;
            if (!file.Exists)
            {
                throw new UserErrorException(ExitCode.InputError, $"{file.FullName}: no such file");
            }
            stdout.WriteLine($"analyze: {file.FullName}");
            return (int)ExitCode.Ok;
        });
        return command;
    }
}
