using BenchmarkDotNet.Attributes;
using PcapTls.Analysis;
using PcapTls.Capture;
using PcapTls.Flows;
using PcapTls.Tls;
using PcapTls.Validation;

namespace PcapTls.Bench;

/// <summary>The capture reader alone: frames handed to a handler that only counts bytes.</summary>
[MemoryDiagnoser]
public class CaptureReaderBench
{
    private readonly string file = Inputs.BusyCapture;

    [Benchmark]
    public long ReadFrames()
    {
        var counter = new FrameCounter();
        CaptureFileReader.Open(file).Read(counter);
        return counter.Bytes;
    }

    private sealed class FrameCounter : IPacketHandler
    {
        public long Bytes;

        public void OnPacket(in RawPacket packet) => Bytes += packet.Data.Length;
    }
}

/// <summary>Reader, packet decoder and TCP reassembly into consumers that take every byte and do nothing with it.</summary>
[MemoryDiagnoser]
public class ReassemblyBench
{
    private readonly string file = Inputs.BusyCapture;

    [Benchmark]
    public long Reassemble()
    {
        var sink = new NullConsumers();
        var table = new TcpFlowTable(sink);
        var handler = new ToFlows(table);
        CaptureFileReader.Open(file).Read(handler);
        table.Finish(new SegmentPosition(handler.LastPacket, handler.LastTime));
        return sink.Bytes;
    }

    private sealed class ToFlows(TcpFlowTable table) : IPacketHandler
    {
        public long LastPacket;
        public long LastTime;

        public void OnPacket(in RawPacket packet)
        {
            LastPacket = packet.Number;
            LastTime = packet.TimestampNanos;
            if (PacketDecoder.TryDecodeTcp(packet, out var segment) == DecodeStatus.Tcp)
            {
                table.OnSegment(segment);
            }
        }
    }

    private sealed class NullConsumers : ITcpStreamConsumerFactory, ITcpStreamConsumer
    {
        public long Bytes;

        public bool WantsPayload => true;

        public ITcpStreamConsumer Create(TcpConnectionInfo connection) => this;

        public void OnData(FlowDirection direction, ReadOnlySpan<byte> data, SegmentPosition position) => Bytes += data.Length;

        public void OnGap(FlowDirection direction, long missingBytes, SegmentPosition position)
        {
        }

        public void OnControl(FlowDirection direction, TcpControlKind kind, SegmentPosition position)
        {
        }

        public void OnEnd(FlowEndReason reason, SegmentPosition lastPosition)
        {
        }
    }
}

/// <summary>The TLS decoder on one real TLS 1.2 handshake (both directions, as the flows deliver them).</summary>
[MemoryDiagnoser]
public class TlsDecoderBench
{
    private readonly List<(int Side, byte[] Data)> chunks = [];

    [GlobalSetup]
    public void Setup()
    {
        var recorder = new Recorder(chunks);
        var table = new TcpFlowTable(recorder);
        CaptureFileReader.Open(Path.Combine(Inputs.Captures, "tls12", "java", "ok.pcap")).Read(new Feed(table));
        table.Finish(new SegmentPosition(long.MaxValue, 0));
    }

    [Benchmark]
    public int DecodeHandshake()
    {
        var sink = new NullSink();
        var decoder = new TlsConnectionDecoder(sink);
        foreach (var (side, data) in chunks)
        {
            decoder.Feed(side, data, new TlsPosition(1, 0));
        }
        return sink.Events;
    }

    private sealed class Feed(TcpFlowTable table) : IPacketHandler
    {
        public void OnPacket(in RawPacket packet)
        {
            if (PacketDecoder.TryDecodeTcp(packet, out var segment) == DecodeStatus.Tcp)
            {
                table.OnSegment(segment);
            }
        }
    }

    private sealed class Recorder(List<(int, byte[])> chunks) : ITcpStreamConsumerFactory, ITcpStreamConsumer
    {
        public bool WantsPayload => true;

        public ITcpStreamConsumer Create(TcpConnectionInfo connection) => this;

        public void OnData(FlowDirection direction, ReadOnlySpan<byte> data, SegmentPosition position) => chunks.Add(((int)direction, data.ToArray()));

        public void OnGap(FlowDirection direction, long missingBytes, SegmentPosition position)
        {
        }

        public void OnControl(FlowDirection direction, TcpControlKind kind, SegmentPosition position)
        {
        }

        public void OnEnd(FlowEndReason reason, SegmentPosition lastPosition)
        {
        }
    }

    private sealed class NullSink : ITlsEventSink
    {
        public int Events;

        public void OnRecord(int side, TlsContentType type, ushort version, int length, TlsPosition position) => Events++;

        public void OnClientHello(int side, ClientHelloInfo hello, TlsPosition position) => Events++;

        public void OnServerHello(int side, ServerHelloInfo hello, TlsPosition position) => Events++;

        public void OnCertificate(int side, CertificateMessage message, TlsPosition position) => Events++;

        public void OnCertificateRequest(int side, CertificateRequestInfo request, TlsPosition position) => Events++;

        public void OnHandshakeMessage(int side, TlsHandshakeType type, int length, bool decrypted, TlsPosition position) => Events++;

        public void OnChangeCipherSpec(int side, TlsPosition position) => Events++;

        public void OnEncryptedRecord(int side, TlsContentType outerType, int length, TlsPosition position) => Events++;

        public void OnAlert(int side, TlsAlert alert, TlsPosition position) => Events++;

        public void OnApplicationData(int side, int length, TlsPosition position) => Events++;

        public void OnNotTls(int side, string firstBytesPreview, TlsPosition position) => Events++;

        public void OnAnomaly(int side, TlsAnomaly anomaly) => Events++;
    }
}

/// <summary>Chain validation of the corpus's backend chain: uncached (BouncyCastle path building) and through the cache.</summary>
[MemoryDiagnoser]
public class ValidationBench
{
    private ValidationRequest request = null!;
    private readonly ValidationCache cache = new();

    [GlobalSetup]
    public void Setup()
    {
        var pki = Path.Combine(Inputs.Captures, "pki");
        var chain = new List<byte[]> { Der(Path.Combine(pki, "backend.pem")), Der(Path.Combine(pki, "intermediate.pem")) };
        var trust = TrustStore.Load(Path.Combine(Inputs.Captures, "truststores", "root.pem"));
        request = new ValidationRequest(chain, trust, "backend.pcaptls.test", new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero));
        cache.GetOrValidate(request);
    }

    [Benchmark(Baseline = true)]
    public ChainVerdict Uncached() => ChainValidator.Validate(request);

    [Benchmark]
    public ChainVerdict Cached() => cache.GetOrValidate(request);

    [Benchmark]
    public CertificateInfo ParseCertificate() => CertificateInfo.Parse(request.Chain[0]);

    private static byte[] Der(string pemFile)
    {
        var text = File.ReadAllText(pemFile);
        var begin = text.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal) + "-----BEGIN CERTIFICATE-----".Length;
        var end = text.IndexOf("-----END CERTIFICATE-----", begin, StringComparison.Ordinal);
        return Convert.FromBase64String(text[begin..end]);
    }
}
