using System.Globalization;
using PcapTls.Testing;

namespace PcapTls.Corpus.Tests;

/// <summary>
/// Reads every base capture (and the IPv6 runs) with tshark, using the key logs kept beside them, and checks that
/// the handshake messages and alerts the manifest records are really in the split files.
/// </summary>
[TestClass]
public sealed class TsharkCrossCheckTests
{
    private const int ClientHello = 1;
    private const int Certificate = 11;

    private sealed class Seen
    {
        public HashSet<int> ClientHandshake { get; } = [];
        public HashSet<int> ServerHandshake { get; } = [];
        public List<int> ClientAlerts { get; } = [];
        public List<int> ServerAlerts { get; } = [];
    }

    [TestMethod]
    public void TsharkShowsTheRecordedHandshakeMessagesAndAlerts()
    {
        var tshark = Requires.Tool("tshark");
        var mergecap = Requires.Tool("mergecap");
        var entries = CorpusManifest.Load().Captures.Where(c => c.Variant is "base" or "ipv6").ToList();

        var dir = Directory.CreateTempSubdirectory("pcaptls-corpus-");
        try
        {
            // One merged capture and one key log: ports are unique per connection, so one tshark pass serves all.
            var merged = Path.Combine(dir.FullName, "all.pcap");
            var mergeArgs = new List<string> { "-F", "pcap", "-w", merged };
            mergeArgs.AddRange(entries.Select(e => RepoPaths.Capture(e.File)));
            var merge = Requires.Run(mergecap, [.. mergeArgs]);
            Assert.AreEqual(0, merge.ExitCode, merge.StdErr);

            var keys = Path.Combine(dir.FullName, "all.keys");
            File.WriteAllLines(keys, entries.SelectMany(e => new[] { e.Keylog, e.ClientKeylog })
                .OfType<string>().SelectMany(k => File.ReadAllLines(RepoPaths.Capture(k))));

            var run = Requires.Run(tshark, "-r", merged, "-o", "tls.keylog_file:" + keys,
                "-d", "tcp.port==20000-20999,tls", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
                "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tls.handshake.type", "-e", "tls.alert_message.desc");
            Assert.AreEqual(0, run.ExitCode, run.StdErr);

            var byClientPort = new Dictionary<int, Seen>();
            foreach (var line in run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var f = line.TrimEnd('\r').Split('\t');
                var src = int.Parse(f[0], CultureInfo.InvariantCulture);
                var dst = int.Parse(f[1], CultureInfo.InvariantCulture);
                var fromClient = src >= 21000;
                var seen = byClientPort.TryGetValue(fromClient ? src : dst, out var s) ? s : byClientPort[fromClient ? src : dst] = new Seen();
                foreach (var t in Numbers(f.ElementAtOrDefault(2)))
                {
                    (fromClient ? seen.ClientHandshake : seen.ServerHandshake).Add(t);
                }
                (fromClient ? seen.ClientAlerts : seen.ServerAlerts).AddRange(Numbers(f.ElementAtOrDefault(3)));
            }

            foreach (var e in entries)
            {
                Assert.IsTrue(byClientPort.TryGetValue(e.ClientPort, out var seen), $"{e.File}: no packets");
                Assert.Contains(ClientHello, seen.ClientHandshake, $"{e.File}: no ClientHello");
                var serverSendsChain = e.Scenario is not ("plain-http" or "server-rejects-hello");
                // TLS 1.2 Certificate is plaintext; TLS 1.3's is decrypted with the server's key log.
                Assert.AreEqual(serverSendsChain, seen.ServerHandshake.Contains(Certificate), $"{e.File}: server Certificate");
                CollectionAssert.AreEqual(e.ClientResult.AlertsSent, seen.ClientAlerts, $"{e.File}: client alerts");
                CollectionAssert.AreEqual(e.ServerResult.AlertsSent, seen.ServerAlerts, $"{e.File}: server alerts");
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static IEnumerable<int> Numbers(string? field) =>
        string.IsNullOrEmpty(field)
            ? []
            : field.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(x => int.Parse(x, CultureInfo.InvariantCulture));
}
