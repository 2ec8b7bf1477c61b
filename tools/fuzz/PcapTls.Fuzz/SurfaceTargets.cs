using System.Text;
using PcapTls.Capture;
using PcapTls.Capture.Inputs;
using PcapTls.Decryption;
using PcapTls.Tls;
using PcapTls.Tls.Preambles;

namespace PcapTls.Fuzz;

/// <summary>
/// The fuzz targets of the surfaces added for real-world captures: encapsulations (Capture/Encapsulations), the
/// plaintext before TLS (Tls/Preambles), pcapng Decryption Secrets Blocks and compressed inputs
/// (Capture/Inputs). No SharpFuzz here: tests/PcapTls.Robustness.Tests compiles this file too and replays the
/// committed corpus through the very same code (FuzzRegressionTests). An exception that escapes is a crash.
/// </summary>
public static class SurfaceTargets
{
    /// <summary>The link types the frame decoder knows; the input's first byte picks one (modulo), so every
    /// path into Encapsulations/ is reachable from a seed.</summary>
    public static readonly LinkType[] LinkTypes =
    [
        LinkType.Ethernet, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Raw, LinkType.Ipv4, LinkType.Ipv6,
        LinkType.Null, LinkType.Loop, LinkType.Ppp, LinkType.PppHdlc, LinkType.CiscoHdlc, LinkType.Ieee80211,
        LinkType.Radiotap, LinkType.Ppi, LinkType.Nflog, LinkType.Mpls,
    ];

    /// <summary>One frame through <see cref="PacketDecoder.TryDecodeTcp(in RawPacket, out TcpSegment, out DecodeDetail)"/>
    /// and everything the pipeline reads from the result (the path's text, the tunnel context, the payload).</summary>
    public static void Encapsulation(byte[] data)
    {
        if (data.Length == 0)
        {
            return;
        }
        var linkType = LinkTypes[data[0] % LinkTypes.Length];
        var frame = data.AsSpan(1);
        // Bit 7 of the selector: the frame was cut by a snapshot length (original length larger than captured).
        var original = (data[0] & 0x80) != 0 ? frame.Length + 1000 : frame.Length;
        var packet = new RawPacket(1, 0, linkType, frame, original, 0);
        var status = PacketDecoder.TryDecodeTcp(packet, out var segment, out var detail);
        _ = detail.Path.ToString();
        _ = detail.Path.TunnelContext + (ulong)detail.Path.Count + detail.UnknownValue + (ulong)detail.IpOffset;
        for (var i = 0; i < detail.Path.Count; i++)
        {
            _ = detail.Path[i];
        }
        if (status == DecodeStatus.Tcp)
        {
            _ = segment.Source.ToString() + segment.Destination + segment.Payload.Length + segment.PayloadOriginalLength;
        }
    }

    /// <summary>
    /// The plaintext before TLS: the first two bytes (big-endian, modulo the rest's length) say where the client's
    /// bytes end and the server's begin. Every recogniser is asked about both sides (as client, then as server
    /// after the client was recognised), for a refusal and for a tunnel target; then both sides go through the
    /// TLS decoder in chunks, client first, so the preamble scanner and the switch to TLS are exercised too.
    /// </summary>
    public static void Preamble(byte[] data)
    {
        if (data.Length < 3)
        {
            return;
        }
        var body = data.AsSpan(2);
        var cut = ((data[0] << 8) | data[1]) % (body.Length + 1);
        var client = body[..cut];
        var server = body[cut..];
        foreach (var recogniser in PreambleRecognisers.All)
        {
            var role = recogniser.Recognise(client, null, final: false);
            _ = recogniser.Recognise(client, null, final: true);
            _ = recogniser.Recognise(server, role is PreambleRole.None or PreambleRole.NeedMore ? null : recogniser.Protocol, final: true);
            _ = recogniser.FindRefusal(server, client);
            _ = recogniser.FindTarget(client)?.ToString();
        }
        var decoder = new TlsConnectionDecoder(new DiscardingSink());
        var chunk = 1 + (data[1] & 0x3F);
        var packet = 1L;
        Feed(decoder, 0, client, chunk, ref packet);
        Feed(decoder, 1, server, chunk, ref packet);
        decoder.EndOfStream(0, new TlsPosition(packet, packet));
        decoder.EndOfStream(1, new TlsPosition(packet, packet));
        _ = decoder.StartTlsProtocol(0) + decoder.StartTlsProtocol(1);
        _ = decoder.Preamble(0)?.ToString() + decoder.Preamble(1);
    }

    private static void Feed(TlsConnectionDecoder decoder, int side, ReadOnlySpan<byte> bytes, int chunk, ref long packet)
    {
        for (var offset = 0; offset < bytes.Length; offset += chunk, packet++)
        {
            decoder.Feed(side, bytes.Slice(offset, Math.Min(chunk, bytes.Length - offset)), new TlsPosition(packet, packet));
        }
    }

    /// <summary>
    /// A capture as a stream (as `pcaptls analyze -` reads one): compression told by its magic (gzip, zstd, xz,
    /// bzip2, lz4), pcap or pcapng, every frame read and counted, and the TLS key logs of pcapng Decryption
    /// Secrets Blocks parsed. <see cref="CaptureFormatException"/> is the documented answer to a stream that is no
    /// capture (or a compressed stream that is not valid from its start).
    /// </summary>
    public static void CaptureStream(byte[] data)
    {
        CaptureFileReader reader;
        try
        {
            reader = CaptureFileReader.Open(CaptureSource.Stream("fuzz", new MemoryStream(data, writable: false)));
        }
        catch (CaptureFormatException)
        {
            return;
        }
        var frames = new FrameCounter();
        var anomalies = new AnomalyCounter();
        reader.Read(frames, anomalies);
        _ = reader.PacketCount + reader.CapturedBytes + reader.TruncatedPacketCount + frames.Count + anomalies.Count;
        _ = reader.FormatName + reader.SnapLength + reader.LinkTypes.Count;
        foreach (var (source, text) in reader.EmbeddedKeyLogs)
        {
            var log = KeyLog.Parse(new StringReader(text), source);
            _ = log.Count + log.Problems.Count;
        }
    }

    private sealed class FrameCounter : IPacketHandler
    {
        public long Count { get; private set; }

        public void OnPacket(in RawPacket packet)
        {
            Count++;
            _ = PacketDecoder.TryDecodeTcp(packet, out _);
        }
    }

    private sealed class AnomalyCounter : ICaptureAnomalySink
    {
        public long Count { get; private set; }

        public void Report(in CaptureAnomaly anomaly)
        {
            Count++;
            _ = anomaly.Detail.Length;
        }
    }

    /// <summary>Reads what the events carry, as the analysis would, and keeps nothing.</summary>
    private sealed class DiscardingSink : ITlsEventSink
    {
        private readonly StringBuilder seen = new();

        public void OnRecord(int side, TlsContentType type, ushort version, int length, TlsPosition position) { }
        public void OnClientHello(int side, ClientHelloInfo hello, TlsPosition position) => seen.Clear().Append(hello.ServerName);
        public void OnServerHello(int side, ServerHelloInfo hello, TlsPosition position) { }
        public void OnCertificate(int side, CertificateMessage message, TlsPosition position) { }
        public void OnCertificateRequest(int side, CertificateRequestInfo request, TlsPosition position) { }
        public void OnHandshakeMessage(int side, TlsHandshakeType type, int length, bool decrypted, TlsPosition position) { }
        public void OnChangeCipherSpec(int side, TlsPosition position) { }
        public void OnEncryptedRecord(int side, TlsContentType outerType, int length, TlsPosition position) { }
        public void OnAlert(int side, TlsAlert alert, TlsPosition position) { }
        public void OnApplicationData(int side, int length, TlsPosition position) { }
        public void OnNotTls(int side, string firstBytesPreview, TlsPosition position) => seen.Clear().Append(firstBytesPreview);
        public void OnAnomaly(int side, TlsAnomaly anomaly) => seen.Clear().Append(anomaly.Detail);
        public void OnStartTls(int side, TlsPreamble preamble, TlsPosition position) => seen.Clear().Append(preamble.ToString());
        public void OnPreambleRefused(int side, string protocol, string refusal, PreambleTarget? target, TlsPosition position) => seen.Clear().Append(refusal).Append(target);
    }
}
