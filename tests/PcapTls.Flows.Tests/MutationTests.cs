using PcapTls.Capture;
using PcapTls.Flows;
using PcapTls.Testing;

namespace PcapTls.Flows.Tests;

/// <summary>Deterministic damage to real captures (bit flips, byte runs, truncation, inflated lengths,
/// duplicated records) through the reader, the decoder and the connection table: nothing may throw, and every
/// connection must be ended.</summary>
[TestClass]
public sealed class MutationTests
{
    private static string Data(string name) => Path.Combine(RepoPaths.Root, "tests", "PcapTls.Capture.Tests", "Data", name);

    private sealed class Sink : ICaptureAnomalySink
    {
        public int Count;

        public void Report(in CaptureAnomaly anomaly) => Count++;
    }

    [TestMethod]
    [DataRow("lo-eth.pcap")]
    [DataRow("lo-nano.pcapng")]
    [DataRow("multi-if.pcapng")]
    [DataRow("any-sll2.pcap")]
    [DataRow("lo-ipv6.pcap")]
    public void MutatedCapturesNeverThrow(string file)
    {
        var original = File.ReadAllBytes(Data(file));
        var random = new Random(file.Length * 7919);
        var dir = Path.Combine(Path.GetTempPath(), "pcaptls-flows-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            for (var i = 0; i < 300; i++)
            {
                var bytes = Mutate(original, random, i);
                var path = Path.Combine(dir, $"m{i}.cap");
                File.WriteAllBytes(path, bytes);
                CaptureFileReader reader;
                try
                {
                    reader = CaptureFileReader.Open(path);
                }
                catch (CaptureFormatException)
                {
                    continue; // a damaged header: a one-line error is the right answer
                }
                var factory = new RecordingFactory();
                var sink = new Sink();
                var glue = new CaptureToFlows(new TcpFlowTable(factory, FlowLimits.Default, factory), sink);
                reader.Read(glue, sink);
                glue.Finish();
                Assert.IsTrue(factory.Consumers.All(c => c.EndReason is not null), $"{file} mutation {i}: a connection was not ended");
                Assert.AreEqual(0, glue.Table.Statistics.BufferedBytes, $"{file} mutation {i}");
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static byte[] Mutate(byte[] original, Random random, int i)
    {
        var bytes = (byte[])original.Clone();
        switch (i % 6)
        {
            case 0: // bit flips
                for (var k = 0; k < 1 + random.Next(8); k++)
                {
                    var at = random.Next(bytes.Length);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }
                return bytes;
            case 1: // a run of one byte value
            {
                var at = random.Next(bytes.Length);
                var len = Math.Min(bytes.Length - at, 1 + random.Next(64));
                bytes.AsSpan(at, len).Fill((byte)(random.Next(2) == 0 ? 0xFF : 0x00));
                return bytes;
            }
            case 2: // truncation anywhere
                return bytes[..random.Next(bytes.Length)];
            case 3: // an inflated 32-bit field (record or block lengths, among others)
            {
                var at = random.Next(bytes.Length - 4) & ~3;
                bytes[at + random.Next(4)] = 0xFF;
                return bytes;
            }
            case 4: // a duplicated slice (records repeated, lengths misaligned)
            {
                var at = random.Next(bytes.Length);
                var len = Math.Min(bytes.Length - at, 1 + random.Next(400));
                return [.. bytes[..(at + len)], .. bytes[at..]];
            }
            default: // swapped slices after the file header
            {
                var a = 24 + random.Next(bytes.Length - 24);
                var b = 24 + random.Next(bytes.Length - 24);
                var len = Math.Min(Math.Min(bytes.Length - a, bytes.Length - b), random.Next(200));
                var tmp = bytes.AsSpan(a, len).ToArray();
                bytes.AsSpan(b, len).CopyTo(bytes.AsSpan(a, len));
                tmp.CopyTo(bytes.AsSpan(b, len));
                return bytes;
            }
        }
    }
}
