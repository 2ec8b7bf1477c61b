using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PcapTls.Testing;

namespace PcapTls.Probe.Tests;

/// <summary>An <c>openssl s_server</c> on a free loopback port, stopped (by its own process id) on dispose.</summary>
internal sealed class OpenSslServer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<int> _accepting = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Port { get; private set; }

    public OpenSslServer(string openssl, params string[] arguments)
        : this(openssl, 1, arguments)
    {
    }

    /// <summary>A server that serves <paramref name="connections"/> connections and then exits (-naccept): 2 for a
    /// probe followed by its client-authentication check. It listens on a port the kernel picks (-accept
    /// 127.0.0.1:0), so no other process can hold it; s_server prints that port on its ACCEPT line once it
    /// listens, which is also the readiness signal.</summary>
    public OpenSslServer(string openssl, int connections, params string[] arguments)
    {
        _process = Start(openssl, connections, arguments);
        var exited = _process.WaitForExitAsync();
        if (Task.WhenAny(_accepting.Task, exited).Result != _accepting.Task)
        {
            Dispose();
            Assert.Fail("openssl s_server did not start: " + Output);
        }
        Port = _accepting.Task.Result;
    }

    private Process Start(string openssl, int connections, string[] arguments)
    {
        var psi = new ProcessStartInfo(openssl)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Loopback only; stdin stays open (s_server quits on end of input).
        foreach (var a in (string[])["s_server", "-accept", "127.0.0.1:0", "-naccept", connections.ToString(System.Globalization.CultureInfo.InvariantCulture), .. arguments])
        {
            psi.ArgumentList.Add(a);
        }
        var process = Process.Start(psi)!;
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

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

    /// <summary>Lets the server finish its connections (-naccept exits after them), stops it if it does not, and
    /// returns everything it printed.</summary>
    public string Stop()
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            _process.Kill();
        }
        _process.WaitForExit();
        return Output;
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
        // "ACCEPT 127.0.0.1:40123"
        if (e.Data.StartsWith("ACCEPT", StringComparison.Ordinal)
            && int.TryParse(e.Data.AsSpan(e.Data.LastIndexOf(':') + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
        {
            _accepting.TrySetResult(port);
        }
    }

    /// <summary>A loopback port nobody listens on (from the probe tests' range).</summary>
    internal static int FreePort() => LoopbackPorts.Next();
}

/// <summary>
/// Ports nobody listens on, for the "connection refused" tests: 24000-24999, below the kernel's ephemeral range
/// (so no outgoing connection takes one) and used by no other test project, handed out in turn; a port found in
/// use (bind fails) is skipped. Servers listen on port 0 instead: the kernel picks, no race.
/// </summary>
internal static class LoopbackPorts
{
    public const int First = 24000;
    public const int Last = 24999;
    // Started at a per-process offset so two test runs at once (a developer and CI) rarely collide.
    private static int _next = First + (Environment.ProcessId % 50 * 20) - 1;

    public static int Next()
    {
        for (var tries = 0; tries <= Last - First; tries++)
        {
            var port = First + ((Interlocked.Increment(ref _next) - First) % (Last - First + 1));
            if (IsFree(port))
            {
                return port;
            }
        }
        Assert.Inconclusive($"skipped: no free port in {First}-{Last}");
        return 0;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>Root CA -> intermediate CA -> leaf (DNS probe.pcaptls.test), made once per test run with openssl.</summary>
internal sealed class TestPki
{
    public required string Directory { get; init; }
    public string Leaf => Path.Combine(Directory, "leaf.pem");
    public string LeafKey => Path.Combine(Directory, "leaf.key");
    public string Intermediate => Path.Combine(Directory, "intermediate.pem");
    public string RsaLeaf => Path.Combine(Directory, "rsa-leaf.pem");
    public string RsaLeafKey => Path.Combine(Directory, "rsa-leaf.key");

    public static TestPki Create(string openssl)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("pcaptls-probe-pki").FullName;
        void Run(params string[] args)
        {
            var (code, _, stderr) = Requires.Run(openssl, args);
            Assert.AreEqual(0, code, $"openssl {string.Join(' ', args)}: {stderr}");
        }
        string P(string name) => Path.Combine(dir, name);
        File.WriteAllText(P("ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
        File.WriteAllText(P("leaf.ext"), "basicConstraints=CA:FALSE\nsubjectAltName=DNS:probe.pcaptls.test\n");
        Run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", P("root.key"),
            "-out", P("root.pem"), "-days", "30", "-subj", "/CN=PcapTls Probe Test Root", "-addext", "basicConstraints=critical,CA:TRUE");
        Run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", P("intermediate.key"),
            "-out", P("intermediate.csr"), "-subj", "/CN=PcapTls Probe Test Intermediate");
        Run("x509", "-req", "-in", P("intermediate.csr"), "-CA", P("root.pem"), "-CAkey", P("root.key"), "-set_serial", "2",
            "-days", "30", "-extfile", P("ca.ext"), "-out", P("intermediate.pem"));
        Run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", P("leaf.key"),
            "-out", P("leaf.csr"), "-subj", "/CN=probe.pcaptls.test");
        Run("x509", "-req", "-in", P("leaf.csr"), "-CA", P("intermediate.pem"), "-CAkey", P("intermediate.key"), "-set_serial", "3",
            "-days", "30", "-extfile", P("leaf.ext"), "-out", P("leaf.pem"));
        // RSA like the corpus PKI: TLS 1.2 then signs ECDHE with RSA, TLS 1.3 with RSA-PSS.
        Run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", P("rsa-leaf.key"), "-out", P("rsa-leaf.csr"), "-subj", "/CN=probe.pcaptls.test");
        Run("x509", "-req", "-in", P("rsa-leaf.csr"), "-CA", P("intermediate.pem"), "-CAkey", P("intermediate.key"), "-set_serial", "4",
            "-days", "30", "-extfile", P("leaf.ext"), "-out", P("rsa-leaf.pem"));
        return new TestPki { Directory = dir };
    }

    public static byte[] Der(string pemFile) =>
        System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(pemFile)).RawData;
}
