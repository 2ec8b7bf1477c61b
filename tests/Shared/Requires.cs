using System.Diagnostics;

namespace PcapTls.Testing;

/// <summary>Marks a test inconclusive (reported as skipped, with the reason) when an external tool is missing.</summary>
internal static class Requires
{
    public static string Tool(string name)
    {
        var path = Find(name);
        if (path is null)
        {
            Assert.Inconclusive($"skipped: '{name}' is not installed (CI installs it with apt-get)");
        }
        return path!;
    }

    public static void Root()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Assert.Inconclusive("skipped: needs root (live capture)");
        }
    }

    /// <summary>Live capture and interface listing load libpcap through SharpPcap; without it they cannot run.</summary>
    public static void Libpcap()
    {
        foreach (var name in (string[])["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"])
        {
            if (System.Runtime.InteropServices.NativeLibrary.TryLoad(name, out var handle))
            {
                System.Runtime.InteropServices.NativeLibrary.Free(handle);
                return;
            }
        }
        Assert.Inconclusive("skipped: libpcap is not installed (CI installs libpcap0.8 with apt-get)");
    }

    public static string? Find(string name)
    {
        var paths = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator);
        foreach (var dir in paths)
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public static (int ExitCode, string StdOut, string StdErr) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(true);
            Assert.Fail($"{file} did not finish within 120 s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
