using PcapTls.Capture;
using PcapTls.Flows;

namespace PcapTls.Flows.Tests;

/// <summary>
/// A random stream cut into random segments, delivered shuffled, duplicated, partly cut by a snapshot length
/// and interleaved with ACKs: whatever the reassembler delivers must be the original bytes at their offsets,
/// gaps included, and the stream must end at its full length.
/// </summary>
[TestClass]
public sealed class ReassemblyPropertyTests
{
    private sealed class StreamCheck(byte[] original) : ITcpStreamConsumer, ITcpStreamConsumerFactory
    {
        public long Offset;
        public long GapBytes;
        public string? Error;
        public bool Ended;

        public bool WantsPayload => true;

        public ITcpStreamConsumer Create(TcpConnectionInfo connection) => this;

        public void OnData(FlowDirection direction, ReadOnlySpan<byte> data, SegmentPosition position)
        {
            if (direction != FlowDirection.FromOriginator)
            {
                return;
            }
            if (Offset + data.Length > original.Length || !data.SequenceEqual(original.AsSpan((int)Offset, data.Length)))
            {
                Error ??= $"wrong bytes at offset {Offset} (packet {position.PacketNumber})";
            }
            Offset += data.Length;
        }

        public void OnGap(FlowDirection direction, long missingBytes, SegmentPosition position)
        {
            if (direction == FlowDirection.FromOriginator)
            {
                Offset += missingBytes;
                GapBytes += missingBytes;
            }
        }

        public void OnControl(FlowDirection direction, TcpControlKind kind, SegmentPosition position) { }

        public void OnEnd(FlowEndReason reason, SegmentPosition lastPosition) => Ended = true;
    }

    [TestMethod]
    public void ShuffledDuplicatedAndCutSegmentsReassembleToTheOriginal()
    {
        for (var seed = 0; seed < 400; seed++)
        {
            var random = new Random(seed);
            var original = new byte[random.Next(1, 3000)];
            random.NextBytes(original);
            var isn = (uint)random.NextInt64(0, uint.MaxValue);     // wrap-around included
            var check = new StreamCheck(original);
            var limits = seed % 4 == 0 ? new FlowLimits { MaxOutOfOrderSegments = 3, MaxBufferedBytesPerDirection = 500 } : FlowLimits.Default;
            var table = new TcpFlowTable(check, limits);
            var client = new NetEndpoint(0x0A000001, false, 50000);
            var server = new NetEndpoint(0x0A000002, false, 443);
            long number = 0;
            void Feed(NetEndpoint from, NetEndpoint to, uint seq, uint ack, TcpFlags flags, ReadOnlySpan<byte> payload, int length) =>
                table.OnSegment(new TcpSegment(++number, number * 1000, from, to, seq, ack, flags, 1000, payload, length));

            Feed(client, server, isn, 0, TcpFlags.Syn, [], 0);
            Feed(server, client, 77, isn + 1, TcpFlags.Syn | TcpFlags.Ack, [], 0);

            var segments = new List<(int Start, int End)>();
            for (var at = 0; at < original.Length;)
            {
                var len = Math.Min(original.Length - at, random.Next(1, 400));
                segments.Add((at, at + len));
                at += len;
            }
            var sends = segments.Concat(segments.Where(_ => random.Next(4) == 0))   // some retransmitted
                .Select(s => (s, Key: random.Next(3) == 0 ? random.Next() : s.Start * 10)) // mostly in order
                .OrderBy(x => x.Key).Select(x => x.s).ToList();
            var highestSent = 0;
            foreach (var (start, end) in sends)
            {
                var length = end - start;
                var captured = random.Next(8) == 0 ? random.Next(0, length) : length;  // some cut by the snapshot length
                Feed(client, server, unchecked(isn + 1 + (uint)start), 78, TcpFlags.Ack, original.AsSpan(start, captured), length);
                highestSent = Math.Max(highestSent, end);
                if (random.Next(3) == 0)
                {
                    // The server acknowledges something it may have received (never beyond what was sent).
                    Feed(server, client, 78, unchecked(isn + 1 + (uint)random.Next(0, highestSent + 1)), TcpFlags.Ack, [], 0);
                }
            }
            table.Finish(new SegmentPosition(number, number * 1000));

            Assert.IsNull(check.Error, $"seed {seed}: {check.Error}");
            Assert.AreEqual(original.Length, check.Offset, $"seed {seed}: the stream must end at its full length");
            Assert.IsTrue(check.Ended, $"seed {seed}");
            Assert.AreEqual(0, table.Statistics.OverlapConflicts, $"seed {seed}: identical copies are not conflicts");
            Assert.AreEqual(0, table.Statistics.BufferedBytes, $"seed {seed}");
        }
    }
}
