using System.Globalization;
using CsvHelper;
using PcapTls.Analysis;
using PcapTls.Validation;

namespace PcapTls.Reporting;

/// <summary>One row per handshake, the JSON fields flattened (lists joined with " | ").</summary>
public sealed class CsvReportRenderer : IReportRenderer
{
    private static readonly string[] Header =
    [
        "client", "server", "startPacket", "startTime", "sni", "version", "cipher", "outcome", "causes",
        "serverCertificates", "serverCertificateSha256", "clientCertificates", "certificateRequested", "alerts",
        "teardown", "host", "trusted", "clientMessage", "summary", "fix",
    ];

    public void Render(AnalysisReport report, TextWriter output)
    {
        // SNI, subjects and alerts come from the capture's sender: a cell starting with = + - @ tab or CR gets a
        // leading ' (OWASP, CSV injection), so a spreadsheet shows it as text instead of running it as a formula.
        var options = new CsvWriterOptions { NewLine = "\n", FormatProvider = CultureInfo.InvariantCulture, Injection = CsvInjection.Escape };
        using var csv = CsvWriter.Create(output, options, true);
        // Several files: two last columns name the file each handshake starts in and its packet there; alerts and
        // teardown packets are named file#packet.
        var names = report.Files.Count > 0 ? report.PacketNames : null;
        csv.WriteRecord(names is null ? Header : [.. Header, "file", "startFilePacket"]);
        foreach (var h in report.Handshakes)
        {
            csv.WriteField(h.Client);
            csv.WriteField(h.Server);
            csv.WriteField(h.StartPacket.ToString(CultureInfo.InvariantCulture));
            csv.WriteField(JsonReportRenderer.Iso(h.StartTime));
            csv.WriteField(h.Sni ?? "");
            csv.WriteField(h.Version ?? "");
            csv.WriteField(h.Cipher ?? "");
            csv.WriteField(h.Outcome.ToCode());
            csv.WriteField(string.Join(" ", h.Causes.Select(c => c.Code.ToCode())));
            csv.WriteField(string.Join(" | ", h.ServerCertificates.Select(c => c.Subject)));
            csv.WriteField(string.Join(" | ", h.ServerCertificates.Select(c => c.Sha256)));
            csv.WriteField(string.Join(" | ", h.ClientCertificates.Select(c => c.Subject)));
            csv.WriteField(h.CertificateRequested ? "true" : "false");
            csv.WriteField(string.Join(" | ", h.Alerts.Select(a => $"{a.From.ToCode()} {a.Level} {a.Description} {report.PacketText(a.Packet)}")));
            csv.WriteField(string.Join(" | ", h.Teardown.Select(t => $"{t.From.ToCode()} {t.Kind} {report.PacketText(t.Packet)}")));
            csv.WriteField(h.HostChecked ?? "");
            csv.WriteField(h.Verdict is null ? "" : h.Verdict.Trusted ? "true" : "false");
            csv.WriteField(h.Verdict?.ClientMessage ?? "");
            csv.WriteField(string.Join(" | ", h.Causes.Select(c => c.Summary)));
            csv.WriteField(string.Join(" | ", h.Causes.Select(c => c.Fix)));
            if (names is not null)
            {
                csv.WriteField(names.FileOf(h.StartPacket) is var f and >= 0 ? names.FileNames[f] : "");
                csv.WriteField(names.Name(h.StartPacket));
            }
            csv.EndRecord();
        }
        csv.Flush();
    }
}
