using System.Text.Json;
using PcapTls.Capture;
using PcapTls.Flows;
using PcapTls.Testing;

namespace PcapTls.Flows.Tests;

/// <summary>
/// Every capture in captures/manifest.json (made by tools/make-captures) reads to the end through the reader,
/// the decoder and the connection table with the format, link type and endpoints the manifest names, and
/// without anomalies other than the expected ones: truncated packets in the snaplen96 variants, and gaps in
/// the sll/sll2 variants (those are recorded by a second tcpdump on "any", which can miss packets: tshark
/// shows "Previous segment not captured" in the same places).
/// </summary>
[TestClass]
public sealed class CorpusCaptureTests
{
    private sealed class Sink : ICaptureAnomalySink
    {
        public List<CaptureAnomaly> List { get; } = [];

        public void Report(in CaptureAnomaly anomaly) => List.Add(anomaly);
    }

    [TestMethod]
    public void EveryManifestCaptureReadsWithOnlyItsExpectedAnomalies()
    {
        var manifestPath = Path.Combine(RepoPaths.Captures, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            Assert.Inconclusive("skipped: captures/manifest.json is not there (run tools/make-captures)");
        }
        using var manifest = JsonDocument.Parse(File.ReadAllText(manifestPath));
        var failures = new List<string>();
        var count = 0;
        foreach (var entry in manifest.RootElement.GetProperty("captures").EnumerateArray())
        {
            count++;
            var file = entry.GetProperty("file").GetString()!;
            var variant = entry.GetProperty("variant").GetString();
            try
            {
                Check(entry, file, variant, failures);
            }
            catch (Exception ex) when (ex is not AssertFailedException)
            {
                failures.Add($"{file}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        Assert.IsTrue(count > 0, "the manifest lists no capture");
        Assert.AreEqual(0, failures.Count, string.Join("\n", failures));
    }

    private static void Check(JsonElement entry, string file, string? variant, List<string> failures)
    {
        var reader = CaptureFileReader.Open(RepoPaths.Capture(file));
        var factory = new RecordingFactory();
        var sink = new Sink();
        var glue = new CaptureToFlows(new TcpFlowTable(factory, FlowLimits.Default, factory), sink);
        reader.Read(glue, sink);
        glue.Finish();

        // snaplen96 variants are written by editcap, whose output format is not the one the manifest names.
        if (variant != "snaplen96")
        {
            var format = entry.GetProperty("format").GetString();
            var expected = format switch
            {
                "pcap" or "pcap.gz" => CaptureFormat.Pcap,
                "pcap-ns" => CaptureFormat.PcapNanosecond,
                "pcapng" => CaptureFormat.PcapNg,
                _ => (CaptureFormat?)null,
            };
            if (expected != reader.Format || (format == "pcap.gz") != reader.IsGzip)
            {
                failures.Add($"{file}: format {reader.Format}{(reader.IsGzip ? "+gzip" : "")}, manifest says {format}");
            }
        }
        var linkType = entry.GetProperty("linkType").GetString() switch
        {
            "ethernet" => LinkType.Ethernet,
            "linux_sll" => LinkType.LinuxSll,
            "linux_sll2" => LinkType.LinuxSll2,
            _ => (LinkType?)null,
        };
        if (linkType is null || !reader.LinkTypes.SequenceEqual([linkType.Value]))
        {
            failures.Add($"{file}: link types {string.Join(",", reader.LinkTypes)}, manifest says {entry.GetProperty("linkType")}");
        }

        if (factory.Consumers.Count != 1)
        {
            failures.Add($"{file}: {factory.Consumers.Count} connections, expected 1");
            return;
        }
        var info = factory.Consumers[0].Info;
        if (info.Responder.ToString() != entry.GetProperty("server").GetString() || !info.SawSyn)
        {
            failures.Add($"{file}: connection {info.Originator} -> {info.Responder} (SYN seen: {info.SawSyn}), manifest server {entry.GetProperty("server")}");
        }
        if (entry.TryGetProperty("clientEndpoint", out var client) && client.ValueKind == JsonValueKind.String
            && client.GetString() is { } c && info.Originator.ToString() != c)
        {
            failures.Add($"{file}: client {info.Originator}, manifest says {c}");
        }

        var allowed = variant switch
        {
            "snaplen96" => new[] { CaptureAnomalyKind.TruncatedPacket },
            _ => [],
        };
        foreach (var a in sink.List.Where(a => !allowed.Contains(a.Kind)))
        {
            failures.Add($"{file}: capture anomaly #{a.PacketNumber} {a.Kind}: {a.Detail}");
        }
        if (variant == "snaplen96" && (glue.TruncatedPackets == 0 || reader.SnapLength != 96))
        {
            failures.Add($"{file}: a snaplen96 capture with {glue.TruncatedPackets} truncated packets and snapshot length {reader.SnapLength}");
        }
        foreach (var a in factory.Anomalies.Where(a => !(a.Kind == FlowAnomalyKind.Gap && variant is "sll" or "sll2")))
        {
            failures.Add($"{file}: flow anomaly #{a.PacketNumber} {a.Kind}: {a.Detail}");
        }
        if (factory.Consumers[0].EndReason is null)
        {
            failures.Add($"{file}: the connection was not ended");
        }
    }
}
