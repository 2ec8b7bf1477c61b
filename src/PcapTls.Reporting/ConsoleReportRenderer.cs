using System.Globalization;
using PcapTls.Analysis;
using PcapTls.Reporting.Support;
using PcapTls.Support;
using PcapTls.Validation;

namespace PcapTls.Reporting;

/// <summary>
/// The human report: a summary table of every handshake, then for each failed one the packet ladder, the chain
/// as sent, the validation path, the causes with their evidence and the fix. ANSI colour only when asked.
/// </summary>
public sealed class ConsoleReportRenderer(bool color) : IReportRenderer
{
    /// <summary>The support case's section (logs joined to handshakes), written after the handshakes; none when null.</summary>
    public SupportCase? Support { get; init; }

    private const string Red = "\u001b[31m";
    private const string Green = "\u001b[32m";
    private const string Yellow = "\u001b[33m";
    private const string Bold = "\u001b[1m";
    private const string Dim = "\u001b[2m";
    private const string Reset = "\u001b[0m";

    public void Render(AnalysisReport report, TextWriter o)
    {
        var cap = report.Capture;
        o.WriteLine($"{Paint(Bold, "Capture")}: {cap.File} ({cap.Format}, {string.Join("/", cap.LinkTypes.DefaultIfEmpty("-"))}, {cap.Packets} packets, {cap.TcpConnections} TCP connections{(cap.FirstPacketTime is { } t ? ", first packet " + Time(t) : "")})");
        var trust = report.Trust;
        o.WriteLine($"{Paint(Bold, "Truststore")}: {trust.TrustStoreDescription} ({trust.Entries} entries{(trust.IsSystemRoots ? ", system roots: no --truststore given" : "")}); client profile {(trust.Profile.ToString().ToLowerInvariant())}; validated at {(trust.FixedValidationTime is { } at ? Time(at) : "the capture's time")}");
        foreach (var w in trust.Warnings)
        {
            o.WriteLine($"  {Paint(Yellow, "warning")}: {w}");
        }
        if (trust.TargetEndpointNote is { } te)
        {
            o.WriteLine($"  {te}");
        }
        o.WriteLine();
        if (report.Files.Count > 0)
        {
            WriteFiles(report, o);
            o.WriteLine();
        }

        if (report.Handshakes.Count == 0)
        {
            o.WriteLine("No TLS handshakes found.");
        }
        else
        {
            WriteSummaryTable(report, o);
        }

        var n = 0;
        foreach (var h in report.Handshakes)
        {
            n++;
            if (h.Causes.Count > 0 || h.Outcome != HandshakeOutcome.Completed)
            {
                o.WriteLine();
                WriteDetail(report, n, h, o);
            }
        }

        foreach (var p in report.Probes)
        {
            o.WriteLine();
            o.WriteLine(Paint(Bold, $"Probe of {p.Server} (SNI {p.Sni ?? "none"}): {p.Outcome}{(p.Version is null ? "" : ", " + p.Version)}"));
            if (p.Chain.Count > 0)
            {
                o.WriteLine($"  Chain the server sends ({p.Chain.Count} certificate{(p.Chain.Count == 1 ? "" : "s")})");
                WriteCertificates(p.Chain, o);
            }
            if (p.ClientMessage is { } m)
            {
                o.WriteLine($"  the client would say: {m}");
            }
            foreach (var c in p.Causes)
            {
                o.WriteLine($"    {Paint(Red, c.Code.ToCode())}: {c.Summary}");
                o.WriteLine($"      evidence: {c.Evidence}");
                o.WriteLine($"      fix: {c.Fix}");
            }
            foreach (var note in p.Notes)
            {
                o.WriteLine(Paint(Dim, "  note: " + note));
            }
        }

        if (Support is not null)
        {
            SupportConsoleSection.Write(Support, report, o, s => Paint(Bold, s));
        }

        if (report.Anomalies.Count > 0)
        {
            o.WriteLine();
            o.WriteLine(Paint(Bold, $"Anomalies ({report.Anomalies.Count})"));
            foreach (var group in report.Anomalies.GroupBy(a => a.Kind))
            {
                var first = group.Take(5).ToList();
                foreach (var a in first)
                {
                    o.WriteLine($"  {report.PacketText(a.Packet)} {a.Kind}: {a.Detail}");
                }
                if (group.Count() > first.Count)
                {
                    o.WriteLine($"  ... and {group.Count() - first.Count} more {group.Key}");
                }
            }
        }
        if (report.Notes.Count > 0)
        {
            o.WriteLine();
            foreach (var note in report.Notes)
            {
                o.WriteLine(Paint(Dim, "Note: " + note));
            }
        }
    }

    private void WriteSummaryTable(AnalysisReport report, TextWriter o)
    {
        // Several files: which one each handshake starts in (what to open in Wireshark).
        var files = report.Files.Count > 0 && report.PacketNames is { } names ? names : null;
        var rows = new List<string[]> { files is null ? ["#", "CLIENT", "SERVER", "SNI", "VERSION", "OUTCOME", "CAUSE"] : ["#", "FILE", "CLIENT", "SERVER", "SNI", "VERSION", "OUTCOME", "CAUSE"] };
        var i = 0;
        foreach (var h in report.Handshakes)
        {
            i++;
            string[] row = [
                i.ToString(CultureInfo.InvariantCulture), h.Client, h.Server, h.Sni ?? "-", h.Version ?? "-", h.Outcome.ToCode(),
                h.Causes.Count == 0 ? "-" : string.Join(",", h.Causes.Select(c => c.Code.ToCode()).Distinct()),
            ];
            rows.Add(files is null ? row : [row[0], files.FileOf(h.StartPacket) is var f and >= 0 ? files.FileNames[f] : "?", .. row[1..]]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        for (var r = 0; r < rows.Count; r++)
        {
            var cells = rows[r].Select((cell, c) => c == rows[r].Length - 1 ? cell : cell.PadRight(widths[c])).ToArray();
            var line = string.Join("  ", cells).TrimEnd();
            if (r == 0)
            {
                o.WriteLine(Paint(Bold, line));
            }
            else
            {
                var h = report.Handshakes[r - 1];
                o.WriteLine(h.Outcome == HandshakeOutcome.Completed && h.Causes.Count == 0 ? line : Paint(h.Outcome == HandshakeOutcome.Incomplete ? Yellow : Red, line));
            }
        }
    }

    /// <summary>One row per file. Files that share no handshake (captures from different hosts) are read side by
    /// side; a rotated set's handshakes continue from one file into the next.</summary>
    private void WriteFiles(AnalysisReport report, TextWriter o)
    {
        var shared = report.Files.Any(f => f.SharesConnections);
        o.WriteLine(Paint(Bold, $"Files ({report.Files.Count})") + (shared
            ? ": merged in time order; handshakes continue from one file into another"
            : ": merged in time order; no handshake continues from one file into another, so each file's summary stands alone"));
        var rows = new List<string[]> { new[] { "FILE", "FORMAT", "PACKETS", "FIRST PACKET", "LAST PACKET", "HANDSHAKES", "FAILED", "CAUSES" } };
        foreach (var f in report.Files)
        {
            rows.Add([
                f.Name, f.Format, f.Packets.ToString(CultureInfo.InvariantCulture),
                f.FirstPacketTime is { } first ? Date(first) : "-", f.LastPacketTime is { } last ? Date(last) : "-",
                f.Handshakes.ToString(CultureInfo.InvariantCulture), f.Failed.ToString(CultureInfo.InvariantCulture),
                f.Causes.Count == 0 ? "-" : string.Join(",", f.Causes),
            ]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        for (var r = 0; r < rows.Count; r++)
        {
            var line = "  " + string.Join("  ", rows[r].Select((cell, c) => c == rows[r].Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd();
            o.WriteLine(r == 0 ? Paint(Bold, line) : line);
        }
    }

    private void WriteDetail(AnalysisReport report, int n, HandshakeReport h, TextWriter o)
    {
        var header = $"Handshake {n}: {h.Client} -> {h.Server}" +
            $" (SNI {h.Sni ?? "none"}, {h.Version ?? "version unknown"}{(h.Cipher is null ? "" : ", " + h.Cipher)}): {h.Outcome.ToCode().ToUpperInvariant()}";
        o.WriteLine(Paint(Bold, header));
        o.WriteLine($"  {h.OutcomeDetail}");
        if (h.Path.Count(c => c == '/') >= 2)
        {
            // Only a path with a tunnel or VLAN is news; a link header and IP is every capture.
            o.WriteLine($"  found on: {h.Path}");
        }
        if (h.KeyLog is { } kl)
        {
            o.WriteLine($"  key log: {kl}");
        }

        if (h.Ladder.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("  Packets");
            var width = h.Ladder.Max(s => report.PacketText(s.Packet).Length);
            foreach (var s in h.Ladder)
            {
                var arrow = s.From == Peer.Client ? "client -> server" : "server -> client";
                var line = $"    {report.PacketText(s.Packet).PadRight(width)}  {ClockTime(s.Time)}  {arrow}  {s.What}";
                var bad = s.What.Contains("Alert", StringComparison.Ordinal) || s.What is "RST" || s.What.Contains("alert-sized", StringComparison.Ordinal);
                o.WriteLine(bad ? Paint(Red, line) : line);
            }
        }

        if (h.ServerCertificates.Count > 0)
        {
            o.WriteLine();
            o.WriteLine($"  Server chain, as sent ({h.ServerCertificates.Count} certificate{(h.ServerCertificates.Count == 1 ? "" : "s")})");
            WriteCertificates(h.ServerCertificates, o);
        }
        else if (h.CertificateEncrypted)
        {
            o.WriteLine();
            o.WriteLine("  Server chain: encrypted (TLS 1.3 sends the Certificate after the ServerHello under handshake keys).");
        }
        if (h.ClientCertificates.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("  Client certificate(s)");
            WriteCertificates(h.ClientCertificates, o);
        }

        if (h.Verdict is { } v)
        {
            o.WriteLine();
            o.WriteLine($"  Validation ({(h.HostChecked is null ? "no host name to check" : $"host {h.HostChecked} from {h.HostSource}")}, at {(h.ValidatedAt is { } at ? Time(at) : "-")}): {(v.Trusted ? Paint(Green, "trusted") : Paint(Red, "not trusted"))}");
            if (v.ClientMessage is { } msg)
            {
                o.WriteLine($"    the client would say: {msg}");
            }
            for (var i = 0; i < v.JavaCauseChain.Count; i++)
            {
                o.WriteLine(i == 0 ? $"    as Java logs it: {v.JavaCauseChain[0]}" : $"      Caused by: {v.JavaCauseChain[i]}");
            }
            foreach (var line in VerdictText.Describe(v))
            {
                o.WriteLine("    " + line);
            }
            if (v.NeededInTrustStore.Count > 0)
            {
                o.WriteLine("    the truststore needs:");
                foreach (var c in v.NeededInTrustStore)
                {
                    o.WriteLine($"      {c.Subject} (sha256 {c.Sha256Hex})");
                }
            }
        }

        if (h.Causes.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("  Causes");
            foreach (var c in h.Causes)
            {
                o.WriteLine($"    {Paint(Red, c.Code.ToCode())}: {c.Summary}");
                o.WriteLine($"      evidence: {c.Evidence}");
                o.WriteLine($"      fix: {c.Fix}");
            }
        }
    }

    private static void WriteCertificates(IReadOnlyList<CertificateSummary> certs, TextWriter o)
    {
        for (var i = 0; i < certs.Count; i++)
        {
            var c = certs[i];
            if (c.ParseError is not null)
            {
                o.WriteLine($"    [{i}] (could not parse: {c.ParseError}) sha256 {c.Sha256}");
                continue;
            }
            o.WriteLine($"    [{i}] {c.Subject}");
            o.WriteLine($"        issuer  {c.Issuer}");
            o.WriteLine($"        valid   {Date(c.NotBefore)} .. {Date(c.NotAfter)}{(c.DnsNames.Count > 0 ? "   names " + string.Join(", ", c.DnsNames) : "")}");
            o.WriteLine($"        sha256  {c.Sha256}");
        }
    }

    private string Paint(string code, string text) => color ? code + text + Reset : text;

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff 'UTC'", CultureInfo.InvariantCulture);

    private static string ClockTime(DateTimeOffset t) => t.UtcDateTime.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private static string Date(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "?";
}
