using System.Text.Json;
using PcapTls.Capture;
using PcapTls.Testing;

namespace PcapTls.Cli.Tests;

/// <summary>
/// analyze's selection (--server, --client-ip, --sni, --outcome, --from, --until) gives the same handshakes in every
/// format and in --write-pcap; the BPF filter (--filter/-f, libpcap's compiler) drops frames before decoding; the
/// old '-f FORMAT' still works, with a notice.
/// </summary>
[TestClass]
public sealed class SelectionTests
{
    /// <summary>Four Java handshakes, one per file: ok (127.0.0.1:21001 -> :20001, completed), wrong-host (:20013,
    /// failed, starts 00:30:01.38), cn-only (:20016, completed, starts 00:30:02), ip-literal (:20022, no SNI, failed,
    /// starts 00:30:06).</summary>
    private static readonly string[] Files =
    [
        RepoPaths.Capture("tls12/java/ok.pcap"), RepoPaths.Capture("tls12/java/wrong-host.pcap"),
        RepoPaths.Capture("tls12/java/ip-literal.pcap"), RepoPaths.Capture("tls12/java/cn-only.pcap"),
    ];

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Analyze(params string[] options) =>
        ["analyze", .. Files, "--truststore", RepoPaths.Capture("truststores/root.pem"), .. options];

    /// <summary>The servers of the JSON report's handshakes, in order.</summary>
    private static List<string> Servers(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.GetProperty("handshakes").EnumerateArray().Select(h => h.GetProperty("server").GetString()!)];
    }

    private static List<string> Selected(params string[] selection)
    {
        var (code, json, err) = Run(Analyze([.. selection, "--format", "json"]));
        Assert.AreEqual(0, code, err);
        return Servers(json);
    }

    [TestMethod]
    public void EachCriterionSelectsTheHandshakesItNames()
    {
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20001", "127.0.0.1:20013", "127.0.0.1:20016", "127.0.0.1:20022" }, Selected());
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20013" }, Selected("--server", "127.0.0.1:20013"));
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20022" }, Selected("--server", "127.0.0.0/8:20022"));
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20013", "127.0.0.1:20022" }, Selected("--server", "127.0.0.1:20013", "--server", "127.0.0.1:20022"));
        // A name is the SNI (or the host checked): the IP-literal handshake has no SNI and was checked for 127.0.0.1.
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20001", "127.0.0.1:20013", "127.0.0.1:20016" }, Selected("--server", "backend.pcaptls.test"));
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20016" }, Selected("--server", "backend.pcaptls.test:20016"));
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20001" }, Selected("--client-ip", "127.0.0.1:21001"));
        // --client with an address selects as --client-ip does; with a rules name beside it, both hold.
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20001" }, Selected("--client", "127.0.0.1:21001"));
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20001" }, Selected("--client", "java", "--client", "127.0.0.1:21001"));
        Assert.AreEqual(4, Selected("--client", "openssl").Count, "a rules name selects nothing");
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20001", "127.0.0.1:20013", "127.0.0.1:20016" }, Selected("--sni", "*.PCAPTLS.test"));
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20022" }, Selected("--sni", "none"));
        Assert.AreEqual(0, Selected("--sni", "other.example").Count);
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20013", "127.0.0.1:20022" }, Selected("--outcome", "failed"));
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20013", "127.0.0.1:20022" }, Selected("--outcome", "failures"));
        Assert.AreEqual(4, Selected("--outcome", "completed,failed").Count);
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20013", "127.0.0.1:20016" }, Selected("--from", "2026-11-27T00:30:00Z", "--until", "2026-11-27 00:30:05"));
        // Criteria together must all hold.
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20016" }, Selected("--server", "backend.pcaptls.test", "--outcome", "completed", "--from", "2026-11-27T00:30:00Z"));
    }

    [TestMethod]
    public void TheSelectionIsTheSameInEveryFormatAndInWritePcap()
    {
        var selection = new[] { "--server", "127.0.0.1:20013" };
        var (tc, text, te) = Run(Analyze(selection));
        Assert.AreEqual(0, tc, te);
        StringAssert.Contains(text, "Note: Selection (--server 127.0.0.1:20013): 1 of 4 handshakes shown.");
        Assert.AreEqual(1, text.Split('\n').Count(l => l.StartsWith("Handshake ", StringComparison.Ordinal)), text);
        StringAssert.Contains(text, "Handshake 1: 127.0.0.1:21013 -> 127.0.0.1:20013");

        var (cc, csv, ce) = Run(Analyze([.. selection, "--format", "csv"]));
        Assert.AreEqual(0, cc, ce);
        var rows = csv.TrimEnd().Split('\n');
        Assert.AreEqual(2, rows.Length, csv);
        StringAssert.StartsWith(rows[1], "127.0.0.1:21013,127.0.0.1:20013,");

        var (jc, json, je) = Run(Analyze([.. selection, "--format", "json"]));
        Assert.AreEqual(0, jc, je);
        StringAssert.Contains(json, "Selection (--server 127.0.0.1:20013): 1 of 4 handshakes shown.");

        var pcap = Path.Combine(Path.GetTempPath(), $"pcaptls-selected-{Guid.NewGuid():N}.pcap");
        try
        {
            var (wc, _, we) = Run(Analyze([.. selection, "--write-pcap", pcap, "--only", "all", "--format", "json"]));
            Assert.AreEqual(0, wc, we);
            StringAssert.Contains(we, "of 1 handshake(s)");
            var ports = new Ports();
            CaptureFileReader.Open(pcap).Read(ports);
            Assert.AreEqual(11, ports.Packets, "the wrong-host connection's 11 packets");
            CollectionAssert.AreEquivalent(new[] { 20013 }, ports.ServerPorts.ToArray());
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    private sealed class Ports : IPacketHandler
    {
        public int Packets { get; private set; }

        public HashSet<int> ServerPorts { get; } = [];

        public void OnPacket(in RawPacket packet)
        {
            Packets++;
            if (PacketDecoder.TryDecodeTcp(packet, out var s) == DecodeStatus.Tcp)
            {
                ServerPorts.Add(Math.Min(s.Source.Port, s.Destination.Port));
            }
        }
    }

    [TestMethod]
    [DataRow("--server", "10.0.0.0/99", "--server: '10.0.0.0/99' is not a CIDR block (e.g. 10.0.0.0/8, fd00::/8)")]
    [DataRow("--server", "host:70000", "--server: '70000' is not a port (1-65535)")]
    [DataRow("--client-ip", "backend.pcaptls.test", "--client-ip: 'backend.pcaptls.test' is not an IP address or CIDR block")]
    [DataRow("--client", "backend.pcaptls.test", "--client: 'backend.pcaptls.test' is not an IP address or CIDR block (nor java, openssl or curl, the client's rules)")]
    [DataRow("--sni", "a b", "--sni: 'a b' is not a host name pattern (letters, digits, '-', '.', '*', '?')")]
    [DataRow("--outcome", "broken", "--outcome must be completed, failed, incomplete, not-tls, refused or failures, not 'broken'")]
    [DataRow("--from", "yesterday", "--from: 'yesterday' is not a date and time (use ISO 8601, e.g. 2026-11-26T12:00:00Z)")]
    public void ABadSelectionIsAOneLineUsageError(string option, string value, string message)
    {
        var (code, _, err) = Run(Analyze(option, value));
        Assert.AreEqual((int)ExitCode.Usage, code, err);
        Assert.AreEqual("pcaptls: " + message, err.TrimEnd());
    }

    [TestMethod]
    public void ABpfFilterDropsFramesBeforeDecoding()
    {
        Requires.Libpcap();
        var (code, json, err) = Run(Analyze("--filter", "tcp port 20013", "--format", "json"));
        Assert.AreEqual(0, code, err);
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20013" }, Servers(json));
        StringAssert.Contains(json, "BPF filter 'tcp port 20013' (libpcap) kept 11 of 74 packets");
        using (var doc = JsonDocument.Parse(json))
        {
            Assert.AreEqual(11, doc.RootElement.GetProperty("capture").GetProperty("packets").GetInt64());
            // Frames keep their numbers in their file: the alert is frame 8 of wrong-host.pcap.
            var alert = doc.RootElement.GetProperty("handshakes")[0].GetProperty("alerts")[0];
            Assert.AreEqual("wrong-host.pcap#8", alert.GetProperty("filePacket").GetString());
        }
        // -f is the short form; a filter that keeps nothing is an empty report, not an error.
        var (sc, none, se) = Run(Analyze("-f", "udp", "--format", "json"));
        Assert.AreEqual(0, sc, se);
        Assert.AreEqual(0, Servers(none).Count);
        StringAssert.Contains(none, "kept 0 of 74 packets");
    }

    [TestMethod]
    public void ABpfFilterThatDoesNotCompileIsExitCode5InOneLine()
    {
        Requires.Libpcap();
        var (code, _, err) = Run(Analyze("-f", "tcp port ("));
        Assert.AreEqual((int)ExitCode.CaptureError, code, err);
        Assert.AreEqual(1, err.TrimEnd().Split('\n').Length, err);
        StringAssert.StartsWith(err, "pcaptls: --filter: the filter 'tcp port (' does not compile: ");
    }

    [TestMethod]
    public void MinusFWithAFormatNameIsStillTheFormatWithANotice()
    {
        var (code, json, err) = Run(["analyze", Files[0], "--truststore", RepoPaths.Capture("truststores/root.pem"), "-f", "json", "--no-keylog-search"]);
        Assert.AreEqual(0, code, err);
        Assert.AreEqual("pcaptls: note: '-f json' is read as --format json; -f is now the BPF filter (as in tcpdump and tshark): write --format json", err.TrimEnd());
        CollectionAssert.AreEqual(new[] { "127.0.0.1:20001" }, Servers(json));
        var (both, _, bothErr) = Run(["analyze", Files[0], "-f", "json", "--format", "csv"]);
        Assert.AreEqual((int)ExitCode.Usage, both, bothErr);
        Assert.AreEqual("pcaptls: -f 'json' and --format 'csv': -f is the BPF filter now; give the format once, with --format", bothErr.TrimEnd());
    }
}
