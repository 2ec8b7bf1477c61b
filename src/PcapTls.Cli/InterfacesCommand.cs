using System.CommandLine;
using PcapTls.Live;

namespace PcapTls.Cli;

internal static class InterfacesCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("interfaces", "List the interfaces 'pcaptls live' can capture on, with their addresses.");
        command.SetAction(_ => Run(stdout));
        return command;
    }

    private static int Run(TextWriter stdout)
    {
        IReadOnlyList<CaptureInterface> interfaces;
        try
        {
            interfaces = CaptureInterfaces.List();
        }
        catch (LiveCaptureException e)
        {
            throw new UserErrorException(ExitCode.CaptureError, e.Message, e);
        }
        if (interfaces.Count == 0)
        {
            stdout.WriteLine("No capture interfaces (libpcap lists only those you may open: run as root or with CAP_NET_RAW).");
            return (int)ExitCode.Ok;
        }
        var width = interfaces.Max(i => i.Name.Length);
        foreach (var i in interfaces)
        {
            var flags = string.Join(",", new[] { i.IsUp ? "up" : "down", i.IsRunning ? "running" : null, i.IsLoopback ? "loopback" : null }.OfType<string>());
            var addresses = i.Addresses.Count == 0 ? "-" : string.Join(" ", i.Addresses);
            stdout.WriteLine($"{i.Name.PadRight(width)}  {flags,-21}  {addresses}{(i.Description is { } d ? $"  ({d})" : "")}");
        }
        return (int)ExitCode.Ok;
    }
}
