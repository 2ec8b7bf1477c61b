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
    private readonly TaskCompletionSource _accepting = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Port { get; }

    public OpenSslServer(string openssl, params string[] arguments)
    {
        Port = FreePort();
        var psi = new ProcessStartInfo(openssl)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["s_server", "-accept", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-naccept", "1", .. arguments])
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += OnLine;
        _process.ErrorDataReceived += OnLine;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // s_server prints ACCEPT once it listens; without it the probe could race the bind.
        if (!_accepting.Task.Wait(TimeSpan.FromSeconds(30)))
        {
            Dispose();
            Assert.Fail("openssl s_server did not start: " + Output);
        }
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

    /// <summary>Lets the server finish its one connection (-naccept 1 exits after it), stops it if it does
    /// not, and returns everything it printed.</summary>
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
        if (e.Data.StartsWith("ACCEPT", StringComparison.Ordinal))
        {
            _accepting.TrySetResult();
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
