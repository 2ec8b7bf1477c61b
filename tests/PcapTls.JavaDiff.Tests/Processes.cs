using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PcapTls.JavaDiff.Tests;

/// <summary>
/// An <c>openssl s_server</c> serving one chain for one connection (-naccept 1) on a port the kernel picks; its ACCEPT
/// line is the readiness signal and the port. After the connection it exits; what it printed holds the client's
/// alert ("SSL alert number 46").
/// </summary>
internal sealed partial class ChainServer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<int> _accepting = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChainServer(Process process) => _process = process;

    public static async Task<ChainServer> StartAsync(string openssl, string cert, string key, string? chain, bool tls13)
    {
        var psi = new ProcessStartInfo(openssl) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Security level 0: s_server must be able to load the weak keys and digests the matrix is about.
        string[] args = ["s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-cert", cert, "-key", key, tls13 ? "-tls1_3" : "-tls1_2",
            "-cipher", "DEFAULT:@SECLEVEL=0", "-no_ticket"];
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        if (chain is not null)
        {
            psi.ArgumentList.Add("-cert_chain");
            psi.ArgumentList.Add(chain);
        }
        var server = new ChainServer(Process.Start(psi)!);
        server._process.OutputDataReceived += server.OnLine;
        server._process.ErrorDataReceived += server.OnLine;
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var exited = server._process.WaitForExitAsync();
        if (await Task.WhenAny(server._accepting.Task, exited) != server._accepting.Task)
        {
            await exited;
            var output = server.Output;
            server.Dispose();
            throw new InvalidOperationException("openssl s_server did not start: " + output);
        }
        return server;
    }

    public int Port => _accepting.Task.Result;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Waits for the server to end after its one connection and returns the alert the client sent, if any.</summary>
    public async Task<int?> ClientAlertAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(deadline.Token);
        _process.WaitForExit();
        var m = AlertNumber().Match(Output);
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        _process.WaitForExit();
        _process.Dispose();
    }

    private void OnLine(object sender, DataReceivedEventArgs e)
    {
        if (e.Data is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(e.Data);
        }
        if (e.Data.StartsWith("ACCEPT", StringComparison.Ordinal)
            && int.TryParse(e.Data.AsSpan(e.Data.LastIndexOf(':') + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            _accepting.TrySetResult(port);
        }
    }

    [GeneratedRegex(@"SSL alert number (\d+)")]
    private static partial Regex AlertNumber();
}

/// <summary>What the Java client saw: OK, or the exception and its whole cause chain (outermost first).</summary>
internal sealed record JavaOutcome(bool Ok, IReadOnlyList<string> Chain)
{
    /// <summary>The outermost exception's message (what SSLHandshakeException.getMessage() returns).</summary>
    public string? Message => Ok ? null : Chain[0][(Chain[0].IndexOf(": ", StringComparison.Ordinal) + 2)..];

    public string ExceptionClass => Ok ? "" : Chain[0][..Chain[0].IndexOf(": ", StringComparison.Ordinal)];
}

/// <summary>One JVM running DiffClient.java for the whole run: jobs go in on stdin, answers come back by id.</summary>
internal sealed class JavaClient : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JavaOutcome>> _pending = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _stderr = new();

    /// <param name="securityProperties">An override file for -Djava.security.properties, or null for the JDK's java.security.</param>
    public JavaClient(string java, string source, int threads, string? securityProperties = null)
    {
        var psi = new ProcessStartInfo(java) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] options = securityProperties is null ? [] : ["-Djava.security.properties=" + securityProperties];
        foreach (var a in (string[])["-XX:TieredStopAtLevel=1", .. options, source, threads.ToString(CultureInfo.InvariantCulture)])
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi)!;
        _process.StandardInput.AutoFlush = true;
        _process.OutputDataReceived += OnLine;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The JVM's java.version, known once it is ready.</summary>
    public string Version { get; private set; } = "";

    public async Task WaitReadyAsync()
    {
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(_ready.Task, exited) != _ready.Task)
        {
            throw new InvalidOperationException("the Java client did not start: " + _stderr);
        }
    }

    public Task<JavaOutcome> ConnectAsync(string id, int port, string host, string truststore, bool tls13)
    {
        var answer = new TaskCompletionSource<JavaOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        lock (_process)
        {
            _process.StandardInput.WriteLine(string.Join('\t', id, port.ToString(CultureInfo.InvariantCulture), host, truststore, tls13 ? "TLSv1.3" : "TLSv1.2"));
        }
        return answer.Task;
    }

    private void OnLine(object sender, DataReceivedEventArgs e)
    {
        if (e.Data is null)
        {
            foreach (var p in _pending.Values)
            {
                p.TrySetException(new InvalidOperationException("the Java client ended: " + _stderr));
            }
            return;
        }
        if (e.Data.StartsWith("READY\t", StringComparison.Ordinal))
        {
            Version = e.Data["READY\t".Length..];
            _ready.TrySetResult();
            return;
        }
        var fields = e.Data.Split('\t');
        if (_pending.TryRemove(fields[0], out var answer))
        {
            answer.TrySetResult(new JavaOutcome(fields[1] == "OK", fields.Skip(2).ToList()));
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.WriteLine();
            }
            catch (IOException)
            {
            }
            if (!_process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                _process.Kill();
            }
        }
        _process.WaitForExit();
        _process.Dispose();
    }
}
