using PcapTls.Analysis;
using PcapTls.Capture;
using PcapTls.Flows;
using PcapTls.Testing;
using PcapTls.Tls;
using PcapTls.Validation;

namespace PcapTls.Analysis.Tests.Judging;

/// <summary>
/// Builds the facts the TLS and TCP layers would report for one connection (client = originator, side 0; server =
/// responder, side 1), and real verdicts from the repository's fixed PKI: what a rule test feeds the judge.
/// </summary>
internal sealed class JudgeScenario
{
    public const int ClientSide = 0;
    public const int ServerSide = 1;
    public const string Host = "backend.pcaptls.test";

    private static readonly SeenCertificates Certificates = new();
    private static readonly Lazy<TrustStore> Root = new(() => TrustStore.Load(RepoPaths.Capture("pki/root.pem")));

    public HandshakeObservation Observation { get; } = new()
    {
        Connection = new TcpConnectionInfo(new NetEndpoint(0x0A000001, false, 50000), new NetEndpoint(0x0A000002, false, 443), true, new SegmentPosition(1, 0)),
    };

    private long truncatedPackets;
    private int? snapLength;
    private SeenCertificates.Seen[] serverCertificates = [];
    private SeenCertificates.Seen[] clientCertificates = [];

    public HandshakeFacts Facts() => HandshakeFacts.Of(Observation, serverCertificates, clientCertificates, truncatedPackets, snapLength, trustStoreIsSystemRoots: false);

    public JudgeScenario Packet(long packet)
    {
        Observation.Touch(packet, packet * 1000);
        return this;
    }

    public JudgeScenario ClientHello()
    {
        Observation.ClientHello = new ClientHelloInfo(0x0303, [0x0304, 0x0303], Host, [], [0x1301, 0xc02f], [], [], new byte[32], [], false);
        Observation.ClientHelloSide = ClientSide;
        Observation.ClientHelloPacket = 4;
        Observation.PayloadBytes[ClientSide] += 300;
        return Packet(4);
    }

    public JudgeScenario ServerHello(ushort version)
    {
        Observation.ServerHello = new ServerHelloInfo(0x0303, version, version == 0x0304 ? (ushort)0x1301 : (ushort)0xc02f, new byte[32], [], false, null, [], false);
        Observation.ServerHelloPacket = 6;
        Observation.PayloadBytes[ServerSide] += 100;
        Message(ServerSide, TlsHandshakeType.ServerHello, 6);
        return Packet(6);
    }

    /// <summary>A TLS 1.3 ServerHello that selects a pre-shared key (extension 41): a resumption.</summary>
    public JudgeScenario PskServerHello()
    {
        ServerHello(0x0304);
        Observation.ServerHello = Observation.ServerHello! with { ExtensionTypes = [43, 51, 41] };
        return this;
    }

    /// <summary>A server Certificate message of this many bytes announced, still arriving (never completed).</summary>
    public JudgeScenario CertificateArriving(int length)
    {
        Observation.ServerCertificateLength = length;
        Observation.PayloadBytes[ServerSide] += 16384;
        return this;
    }

    /// <summary>The server's chain as sent: files under captures/pki (e.g. "backend.pem", "intermediate.pem").</summary>
    public JudgeScenario ServerCertificate(params string[] pemFiles)
    {
        var ders = Ders(pemFiles);
        Observation.ServerCertificate = new CertificateMessage(ders, null);
        Observation.ServerCertificatePacket = 6;
        Observation.ServerCertificateDecrypted = Observation.Decrypting;
        serverCertificates = [.. ders.Select(Certificates.Get)];
        return this;
    }

    public JudgeScenario CertificateRequest()
    {
        Observation.CertificateRequest = new CertificateRequestInfo([1], [], []);
        Observation.CertificateRequestPacket = 6;
        return this;
    }

    public JudgeScenario ClientCertificate(params string[] pemFiles)
    {
        var ders = Ders(pemFiles);
        Observation.ClientCertificate = new CertificateMessage(ders, null);
        Observation.ClientCertificatePacket = 8;
        clientCertificates = [.. ders.Select(Certificates.Get)];
        return this;
    }

    public JudgeScenario Alert(int side, byte description, long packet, TlsAlertLevel level = TlsAlertLevel.Fatal)
    {
        Observation.Alerts.Add(new AlertSeen(side, new PcapTls.Tls.TlsAlert(level, description, false), packet, packet * 1000, Observation.NextSeq()));
        return Packet(packet);
    }

    public JudgeScenario Fin(int side, long packet)
    {
        Observation.Controls.Add(new ControlSeen(side, TcpControlKind.Fin, packet, packet * 1000, Observation.NextSeq()));
        return Packet(packet);
    }

    public JudgeScenario ChangeCipherSpec(int side, long packet)
    {
        if (Observation.ChangeCipherSpecCount[side]++ == 0)
        {
            Observation.FirstChangeCipherSpecPacket[side] = packet;
        }
        return Packet(packet);
    }

    /// <summary>A TLS 1.3 protected record (application data type) of <paramref name="length"/> bytes.</summary>
    public JudgeScenario Encrypted(int side, int length, long packet)
    {
        Observation.Records.Add(new RecordSeen(side, TlsContentType.ApplicationData, length, packet, packet * 1000, Observation.NextSeq()));
        Observation.EncryptedRecords[side]++;
        Observation.PayloadBytes[side] += length;
        return Packet(packet);
    }

    public JudgeScenario ApplicationData(int side, long packet)
    {
        Observation.ApplicationDataRecords[side]++;
        return Encrypted(side, 500, packet);
    }

    public JudgeScenario Message(int side, TlsHandshakeType type, long packet)
    {
        Observation.Messages.Add(new MessageSeen(side, type, Observation.Decrypting, packet, packet * 1000, Observation.NextSeq()));
        return this;
    }

    public JudgeScenario Keys()
    {
        Observation.Decrypting = true;
        return this;
    }

    public JudgeScenario ServerPayload(long bytes)
    {
        Observation.PayloadBytes[ServerSide] += bytes;
        return this;
    }

    public JudgeScenario Plaintext(int side, string preview, long packet)
    {
        Observation.NotTlsPreview[side] = preview;
        Observation.NotTlsPacket[side] = packet;
        Observation.PayloadBytes[side] += preview.Length;
        return Packet(packet);
    }

    /// <summary>The server refused the tunnel or upgrade the client's preamble asked for.</summary>
    public JudgeScenario Refused(string protocol, string answer, long packet)
    {
        Observation.NotTlsPreview[ClientSide] = "request";
        Observation.Refusal = new PreambleRefusal(ServerSide, protocol, answer, new PcapTls.Tls.Preambles.PreambleTarget("backend.pcaptls.test", 443), packet, packet * 1000);
        return Packet(packet);
    }

    public JudgeScenario Gap(int side, long packet)
    {
        Observation.GapSeen[side] = true;
        Observation.GapPacket[side] = packet;
        return Packet(packet);
    }

    /// <summary>The capture cut frames at <paramref name="snap"/> bytes (its gaps are the snapshot length).</summary>
    public JudgeScenario SnapLength(int snap)
    {
        truncatedPackets = 5;
        snapLength = snap;
        return this;
    }

    public JudgeScenario Ended(FlowEndReason reason)
    {
        Observation.EndReason = reason;
        return this;
    }

    /// <summary>The validation core's real verdict on a chain (files under captures/pki) against captures/pki/root.pem.</summary>
    public static ChainVerdict Verdict(string host, params string[] pemFiles)
        => ChainValidator.Validate(new ValidationRequest(Ders(pemFiles), Root.Value, host, new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero)));

    /// <summary>A verdict that rejects the chain without a finding (no real chain does today; the rule must still say something).</summary>
    public static ChainVerdict UnexplainedRejection() => new() { Trusted = false };

    private static byte[][] Ders(string[] pemFiles)
        => [.. pemFiles.SelectMany(f => CertificateFile.PemBlocks(File.ReadAllBytes(RepoPaths.Capture("pki/" + f))).Select(b => b.Der))];
}
