using System.Diagnostics;
using PcapTls.Testing;

namespace PcapTls.Live.Tests;

/// <summary>A process the test starts and stops (servers, tcpdump, pcaptls live), with its output collected.</summary>
internal sealed class BackgroundProcess : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    private BackgroundProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public static BackgroundProcess Start(string file, params string[] args)
        => StartWithEnvironment(file, new Dictionary<string, string>(), args);

    public static BackgroundProcess StartWithEnvironment(string file, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var p = new Process { StartInfo = psi };
        var bp = new BackgroundProcess(p);
        p.OutputDataReceived += (_, e) => bp.Add(bp._stdout, e.Data);
        p.ErrorDataReceived += (_, e) => bp.Add(bp._stderr, e.Data);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return bp;
    }

    /// <summary>Runs pcaptls (built in this solution, copied next to the tests) with dotnet.</summary>
    public static BackgroundProcess StartPcapTls(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "pcaptls.dll");
        Assert.IsTrue(File.Exists(dll), $"{dll} is missing: the test project references PcapTls.Cli");
        return Start(Requires.Find("dotnet") ?? "dotnet", [dll, .. args]);
    }

    public IReadOnlyList<string> StdOut
    {
        get
        {
            lock (_stdout)
            {
                return [.. _stdout];
            }
        }
    }

    public IReadOnlyList<string> StdErr
    {
        get
        {
            lock (_stderr)
            {
                return [.. _stderr];
            }
        }
    }

    public string Describe() => $"stdout:\n{string.Join('\n', StdOut)}\nstderr:\n{string.Join('\n', StdErr)}";

    /// <summary>Waits (at most a minute, failing after) until a line of stderr satisfies the condition.</summary>
    public void WaitForStdErr(Func<string, bool> condition, string what)
        => WaitUntil(() => StdErr.Any(condition), what);

    public void WaitUntil(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (_process.HasExited && !condition())
            {
                Assert.Fail($"{what}: the process exited with {_process.ExitCode} first\n{Describe()}");
            }
            if (watch.Elapsed > Deadline)
            {
                Assert.Fail($"{what}: not within {Deadline.TotalSeconds} s\n{Describe()}");
            }
            Thread.Sleep(50);
        }
    }

    public void Signal(string name)
    {
        if (!_process.HasExited)
        {
            Requires.Run("kill", "-" + name, Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    public int WaitForExit() => WaitForExit(Deadline);

    /// <summary>Waits for the exit; past <paramref name="deadline"/> (a hang, not a slow machine) kills it and fails.</summary>
    public int WaitForExit(TimeSpan deadline)
    {
        if (!_process.WaitForExit(deadline))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"did not exit within {deadline.TotalSeconds} s\n{Describe()}");
        }
        _process.WaitForExit(); // drains the output events
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }
        _process.Dispose();
    }

    private void Add(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (lines)
        {
            lines.Add(line);
        }
    }
}
