using System.Text;
using PcapTls.Capture;
using PcapTls.Flows;

namespace PcapTls.Flows.Tests;

/// <summary>Writes down everything a consumer receives, one line per call, for exact assertions.</summary>
internal sealed class RecordingConsumer(TcpConnectionInfo info, List<string> log) : ITcpStreamConsumer
{
    public TcpConnectionInfo Info { get; } = info;

    public StringBuilder FromOriginator { get; } = new();

    public StringBuilder FromResponder { get; } = new();

    public bool WantsPayload { get; set; } = true;

    /// <summary>Stop wanting payload after this many OnData calls (a consumer that decided mid-stream).</summary>
    public int? StopAfterData { get; set; }

    private int _dataCalls;

    public FlowEndReason? EndReason { get; private set; }

    private static string Dir(FlowDirection d) => d == FlowDirection.FromOriginator ? "O" : "R";

    public void OnData(FlowDirection direction, ReadOnlySpan<byte> data, SegmentPosition position)
    {
        var text = Encoding.ASCII.GetString(data);
        (direction == FlowDirection.FromOriginator ? FromOriginator : FromResponder).Append(text);
        log.Add($"{Info.Originator.Port} data {Dir(direction)} '{text}' #{position.PacketNumber}");
        if (++_dataCalls == StopAfterData)
        {
            WantsPayload = false;
        }
    }

    public void OnGap(FlowDirection direction, long missingBytes, SegmentPosition position)
    {
        (direction == FlowDirection.FromOriginator ? FromOriginator : FromResponder).Append('_', (int)Math.Min(missingBytes, 100));
        log.Add($"{Info.Originator.Port} gap {Dir(direction)} {missingBytes} #{position.PacketNumber}");
    }

    public void OnControl(FlowDirection direction, TcpControlKind kind, SegmentPosition position) =>
        log.Add($"{Info.Originator.Port} {kind} {Dir(direction)} #{position.PacketNumber}");

    public void OnEnd(FlowEndReason reason, SegmentPosition lastPosition)
    {
        EndReason = reason;
        log.Add($"{Info.Originator.Port} end {reason} #{lastPosition.PacketNumber}");
    }
}

internal sealed class RecordingFactory : ITcpStreamConsumerFactory, IFlowAnomalySink
{
    public List<string> Log { get; } = [];

    public List<RecordingConsumer> Consumers { get; } = [];

    public List<FlowAnomaly> Anomalies { get; } = [];

    public Func<TcpConnectionInfo, bool> WantsPayload { get; set; } = _ => true;

    public ITcpStreamConsumer Create(TcpConnectionInfo connection)
    {
        var c = new RecordingConsumer(connection, Log) { WantsPayload = WantsPayload(connection) };
        Consumers.Add(c);
        Log.Add($"{connection.Originator.Port} start {connection.Originator}->{connection.Responder} syn={connection.SawSyn} #{connection.FirstPosition.PacketNumber}");
        return c;
    }

    public void Report(in FlowAnomaly anomaly) => Anomalies.Add(anomaly);
}

/// <summary>Feeds hand-made segments to a table: a client at 10.0.0.1 and a server at 10.0.0.2:443.</summary>
internal sealed class FlowScript
{
    public const TcpFlags S = TcpFlags.Syn, A = TcpFlags.Ack, F = TcpFlags.Fin, R = TcpFlags.Rst, P = TcpFlags.Psh;

    public static readonly NetEndpoint Server = Endpoint(0x0A000002, 443);

    private long _number;

    public FlowScript(FlowLimits? limits = null)
    {
        Factory = new RecordingFactory();
        Table = new TcpFlowTable(Factory, limits, Factory);
    }

    public RecordingFactory Factory { get; }

    public TcpFlowTable Table { get; }

    public List<string> Log => Factory.Log;

    /// <summary>Capture time of the next segment, in milliseconds.</summary>
    public long NowMs { get; set; } = 1_000;

    public static NetEndpoint Endpoint(uint v4, ushort port) => new(v4, false, port);

    public static NetEndpoint Client(ushort port = 51000) => Endpoint(0x0A000001, port);

    public long Send(NetEndpoint from, NetEndpoint to, uint seq, uint ack, TcpFlags flags, string payload = "", int? originalLength = null)
    {
        var bytes = Encoding.ASCII.GetBytes(payload);
        var number = ++_number;
        var segment = new TcpSegment(number, NowMs * 1_000_000, from, to, seq, ack, flags, 65535, bytes, originalLength ?? bytes.Length);
        Table.OnSegment(segment);
        NowMs++;
        return number;
    }

    /// <summary>Client to server.</summary>
    public long C(uint seq, uint ack, TcpFlags flags, string payload = "", ushort port = 51000, int? originalLength = null) =>
        Send(Client(port), Server, seq, ack, flags, payload, originalLength);

    /// <summary>Server to client.</summary>
    public long Sv(uint seq, uint ack, TcpFlags flags, string payload = "", ushort port = 51000, int? originalLength = null) =>
        Send(Server, Client(port), seq, ack, flags, payload, originalLength);

    /// <summary>Client ISN 100, server ISN 500; after it, client data starts at 101, server data at 501.</summary>
    public void Handshake(ushort port = 51000)
    {
        C(100, 0, S, port: port);
        Sv(500, 101, S | A, port: port);
        C(101, 501, A, port: port);
    }

    public void Finish() => Table.Finish(new SegmentPosition(_number, NowMs * 1_000_000));

    public string[] Lines(ushort port = 51000) => Log.Where(l => l.StartsWith(port + " ", StringComparison.Ordinal)).Select(l => l[(l.IndexOf(' ') + 1)..]).ToArray();
}
