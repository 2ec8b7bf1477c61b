using System.CommandLine;

namespace PcapTls.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the CLI with explicit writers, so tests can call it in-process.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, stdout, stderr, null);

    /// <summary>As <see cref="Run(string[], TextWriter, TextWriter)"/>, with standard input given (tests pipe a capture).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, Func<Stream>? standardInput)
    {
        var root = new RootCommand("PcapTls: explains why TLS handshakes in a packet capture failed (PKIX path, host name, incomplete chain, ...), with the packets as evidence.");
        root.Subcommands.Add(AnalyzeCommand.Create(stdout, stderr, standardInput));
        root.Subcommands.Add(LiveCommand.Create(stdout, stderr));
        root.Subcommands.Add(InterfacesCommand.Create(stdout));
        root.Subcommands.Add(ProbeCommand.Create(stdout, stderr));
        root.Subcommands.Add(VerifyCommand.Create(stdout, stderr));
        root.Subcommands.Add(TruststoreCommand.Create(stdout, stderr));

        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var e in parse.Errors)
                {
                    stderr.WriteLine($"pcaptls: {e.Message}");
                }
                stderr.WriteLine("Run 'pcaptls --help' for usage.");
                return (int)ExitCode.Usage;
            }
            return parse.Invoke(config);
        }
        catch (UserErrorException e)
        {
            stderr.WriteLine($"pcaptls: {e.Message}");
            return (int)e.Code;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("pcaptls: interrupted");
            return (int)ExitCode.Interrupted;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"pcaptls: internal error: {e.GetType().Name}: {e.Message} (set PCAPTLS_DEBUG=1 for details)");
            if (Environment.GetEnvironmentVariable("PCAPTLS_DEBUG") == "1")
            {
                stderr.WriteLine(e.ToString());
            }
            return (int)ExitCode.InternalError;
        }
    }
}
