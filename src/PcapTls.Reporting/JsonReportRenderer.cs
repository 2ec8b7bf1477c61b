using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using PcapTls.Analysis;
using PcapTls.Capture.Inputs;
using PcapTls.Reporting.Support;
using PcapTls.Support;
using PcapTls.Validation;

namespace PcapTls.Reporting;

/// <summary>
/// The JSON document other tools rely on. Names are part of the contract (documented in the README):
/// capture, handshakes[], anomalies[]; times are ISO 8601 UTC; SHA-256 is lowercase hex of the DER.
/// </summary>
public sealed class JsonReportRenderer : IReportRenderer
{
    /// <summary>The support case (logs joined to handshakes): written as the top-level <c>support</c> object; none when null.</summary>
    public SupportCase? Support { get; init; }

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public void Render(AnalysisReport report, TextWriter output)
    {
        // Streamed to the output as it is written: a capture of 100,000 handshakes makes ~400 MB of JSON, and
        // building it whole in memory (then as a string) took over 2 GB.
        using var stream = new TextWriterStream(output);
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("tool", "pcaptls");
            w.WriteStartObject("capture");
            w.WriteString("file", report.Capture.File);
            w.WriteString("format", report.Capture.Format);
            w.WriteNumber("packets", report.Capture.Packets);
            w.WriteNumber("bytes", report.Capture.Bytes);
            w.WriteStartArray("linkTypes");
            foreach (var l in report.Capture.LinkTypes)
            {
                w.WriteStringValue(l);
            }
            w.WriteEndArray();
            WriteTime(w, "firstPacketTime", report.Capture.FirstPacketTime);
            WriteTime(w, "lastPacketTime", report.Capture.LastPacketTime);
            if (report.Capture.SnapLength is { } snap)
            {
                w.WriteNumber("snapLength", snap);
            }
            w.WriteNumber("truncatedPackets", report.Capture.TruncatedPackets);
            w.WriteNumber("tcpConnections", report.Capture.TcpConnections);
            w.WriteEndObject();
            if (report.Files.Count > 0)
            {
                WriteFiles(w, report.Files);
            }

            w.WriteStartObject("validation");
            w.WriteString("truststore", report.Trust.TrustStoreDescription);
            w.WriteBoolean("systemRoots", report.Trust.IsSystemRoots);
            w.WriteNumber("truststoreEntries", report.Trust.Entries);
            WriteStrings(w, "truststoreWarnings", report.Trust.Warnings);
            w.WriteString("client", report.Trust.Profile.ToString().ToLowerInvariant());
            WriteTime(w, "at", report.Trust.FixedValidationTime);
            if (report.Trust.TargetEndpointNote is { } te)
            {
                w.WriteString("targetEndpoint", te);
            }
            w.WriteEndObject();

            w.WriteStartArray("handshakes");
            foreach (var h in report.Handshakes)
            {
                WriteHandshake(w, h, report.Files.Count > 0 ? report.PacketNames : null);
                if (w.BytesPending >= FlushThreshold)
                {
                    w.Flush();
                }
            }
            w.WriteEndArray();

            w.WriteStartArray("anomalies");
            foreach (var a in report.Anomalies)
            {
                w.WriteStartObject();
                w.WriteNumber("packet", a.Packet);
                WriteFilePacket(w, report.Files.Count > 0 ? report.PacketNames : null, a.Packet);
                w.WriteString("kind", a.Kind);
                w.WriteString("detail", a.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteStrings(w, "notes", report.Notes);
            if (report.Probes.Count > 0)
            {
                w.WriteStartArray("probes");
                foreach (var p in report.Probes)
                {
                    w.WriteStartObject();
                    w.WriteString("server", p.Server);
                    WriteNullable(w, "sni", p.Sni);
                    w.WriteString("outcome", p.Outcome);
                    WriteNullable(w, "version", p.Version);
                    WriteCertificates(w, "serverCertificates", p.Chain);
                    WriteNullable(w, "clientMessage", p.ClientMessage);
                    WriteCauses(w, p.Causes);
                    WriteStrings(w, "notes", p.Notes);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (Support is not null)
            {
                SupportJsonSection.Write(w, Support);
            }
            w.WriteEndObject();
        }
        stream.Flush();
        output.Write('\n');
    }

    /// <summary>JSON bytes buffered before they are handed to the output.</summary>
    private const int FlushThreshold = 64 * 1024;

    /// <summary>Hands UTF-8 bytes to a TextWriter as text (a character split across two writes is kept whole).</summary>
    private sealed class TextWriterStream(TextWriter output) : Stream
    {
        private readonly System.Text.Decoder decoder = System.Text.Encoding.UTF8.GetDecoder();
        private char[] chars = [];

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (output is StreamWriter { Encoding.CodePage: 65001 } file)
            {
                // A UTF-8 file (the -o output): the JSON's bytes go straight to it instead of being decoded to chars
                // and encoded again (~400 MB each way for 100,000 handshakes). Flush first: whatever the writer holds
                // (and its preamble, if any) comes before.
                file.Flush();
                file.BaseStream.Write(buffer);
                return;
            }
            var needed = decoder.GetCharCount(buffer, flush: false);
            if (chars.Length < needed)
            {
                chars = new char[needed];
            }
            var n = decoder.GetChars(buffer, chars, flush: false);
            output.Write(chars, 0, n);
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>The files of a capture given as several, one object each (a handshake belongs to the file of its
    /// first packet).</summary>
    private static void WriteFiles(Utf8JsonWriter w, IReadOnlyList<CaptureFileSummary> files)
    {
        w.WriteStartArray("files");
        foreach (var f in files)
        {
            w.WriteStartObject();
            w.WriteString("name", f.Name);
            w.WriteString("file", f.Path);
            w.WriteString("format", f.Format);
            w.WriteNumber("packets", f.Packets);
            WriteTime(w, "firstPacketTime", f.FirstPacketTime);
            WriteTime(w, "lastPacketTime", f.LastPacketTime);
            w.WriteNumber("handshakes", f.Handshakes);
            w.WriteNumber("failed", f.Failed);
            WriteStrings(w, "causes", f.Causes);
            w.WriteBoolean("sharesConnections", f.SharesConnections);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>"filePacket": "ring.pcap3#12" beside a packet number, when the capture is several files.</summary>
    private static void WriteFilePacket(Utf8JsonWriter w, IPacketNames? names, long packet, string name = "filePacket")
    {
        if (names is not null)
        {
            w.WriteString(name, names.Name(packet));
        }
    }

    /// <summary>One handshake object; live's --format jsonl writes the same object, one per line. With
    /// <paramref name="names"/> (a capture of several files) each packet number gets its file#packet beside it.</summary>
    public static void WriteHandshake(Utf8JsonWriter w, HandshakeReport h, IPacketNames? names = null)
    {
        w.WriteStartObject();
        w.WriteString("client", h.Client);
        w.WriteString("server", h.Server);
        w.WriteString("path", h.Path);
        w.WriteNumber("startPacket", h.StartPacket);
        if (names is not null)
        {
            w.WriteString("file", names.FileOf(h.StartPacket) is var f and >= 0 ? names.FileNames[f] : null);
            WriteFilePacket(w, names, h.StartPacket, "startFilePacket");
        }
        WriteTime(w, "startTime", h.StartTime);
        WriteNullable(w, "sni", h.Sni);
        WriteNullable(w, "version", h.Version);
        WriteNullable(w, "cipher", h.Cipher);
        w.WriteString("outcome", h.Outcome.ToCode());
        w.WriteString("outcomeDetail", h.OutcomeDetail);
        WriteCertificates(w, "serverCertificates", h.ServerCertificates);
        WriteCertificates(w, "clientCertificates", h.ClientCertificates);
        w.WriteBoolean("certificateRequested", h.CertificateRequested);
        w.WriteBoolean("certificateEncrypted", h.CertificateEncrypted);
        w.WriteBoolean("serverCertificateMessage", h.ServerCertificateMessage);
        w.WriteBoolean("clientCertificateMessage", h.ClientCertificateMessage);
        w.WriteStartArray("alerts");
        foreach (var a in h.Alerts)
        {
            w.WriteStartObject();
            w.WriteString("from", a.From.ToCode());
            w.WriteString("level", a.Level);
            w.WriteString("description", a.Description);
            if (a.Code is { } code)
            {
                w.WriteNumber("code", code);
            }
            else
            {
                w.WriteNull("code");
            }
            w.WriteNumber("packet", a.Packet);
            WriteFilePacket(w, names, a.Packet);
            w.WriteBoolean("encrypted", a.Encrypted);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("teardown");
        foreach (var t in h.Teardown)
        {
            w.WriteStartObject();
            w.WriteString("from", t.From.ToCode());
            w.WriteString("kind", t.Kind);
            w.WriteNumber("packet", t.Packet);
            WriteFilePacket(w, names, t.Packet);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WriteCauses(w, h.Causes);
        w.WriteStartObject("validation");
        WriteNullable(w, "host", h.HostChecked);
        WriteNullable(w, "hostSource", h.HostSource);
        WriteTime(w, "at", h.ValidatedAt);
        if (h.Verdict is { } v)
        {
            VerdictJson.WriteDecision(w, v, withExplanation: false);
        }
        w.WriteEndObject();
        WriteNullable(w, "keyLog", h.KeyLog);
        w.WriteStartArray("ladder");
        foreach (var s in h.Ladder)
        {
            w.WriteStartObject();
            w.WriteNumber("packet", s.Packet);
            WriteFilePacket(w, names, s.Packet);
            WriteTime(w, "time", s.Time);
            w.WriteString("from", s.From.ToCode());
            w.WriteString("what", s.What);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteCauses(Utf8JsonWriter w, IReadOnlyList<Cause> causes)
    {
        w.WriteStartArray("causes");
        foreach (var c in causes)
        {
            VerdictJson.WriteCause(w, c.Code, c.Summary, c.Evidence, c.Fix);
        }
        w.WriteEndArray();
    }

    private static void WriteCertificates(Utf8JsonWriter w, string name, IReadOnlyList<CertificateSummary> certs)
    {
        w.WriteStartArray(name);
        foreach (var c in certs)
        {
            w.WriteStartObject();
            w.WriteString("subject", c.Subject);
            w.WriteString("issuer", c.Issuer);
            w.WriteString("serial", c.Serial);
            w.WriteString("sha256", c.Sha256);
            WriteTime(w, "notBefore", c.NotBefore);
            WriteTime(w, "notAfter", c.NotAfter);
            WriteStrings(w, "dnsNames", c.DnsNames);
            if (c.ParseError is { } e)
            {
                w.WriteString("parseError", e);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> items)
    {
        w.WriteStartArray(name);
        foreach (var s in items)
        {
            w.WriteStringValue(s);
        }
        w.WriteEndArray();
    }

    internal static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    internal static void WriteTime(Utf8JsonWriter w, string name, DateTimeOffset? t)
    {
        if (t is { } v)
        {
            w.WriteString(name, Iso(v));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    internal static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
