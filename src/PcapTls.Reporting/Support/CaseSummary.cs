using PcapTls.Analysis;
using PcapTls.Support;
using PcapTls.Validation;
using static PcapTls.Reporting.Wording.CaseSummaryWording;

namespace PcapTls.Reporting.Support;

/// <summary>SUMMARY.md of the evidence bundle: per failed handshake the symptom, cause, evidence, fix and the management API calls.</summary>
internal static class CaseSummary
{
    public static void Write(TextWriter w, AnalysisReport report, SupportCase? support, IReadOnlyList<(CertificateInfo Cert, string File)> imports, bool packets)
    {
        var failed = report.Handshakes.Select((h, i) => (H: h, N: i + 1)).Where(x => x.H.IsFailure).ToList();
        w.WriteLine(Title(report.Capture.File));
        w.WriteLine();
        w.WriteLine(Overview(report.Handshakes.Count, failed.Count, report.Trust.TrustStoreDescription));
        foreach (var (h, n) in failed)
        {
            var join = support?.MessageProcessor?.Joined.FirstOrDefault(j => j.Handshake == n);
            var request = support?.Router?.ForHandshake(n);
            var context = join?.Event.Context;
            w.WriteLine();
            w.WriteLine(HandshakeHeading(n, h.Client, h.Server, h.Sni, h.Version));
            w.WriteLine();
            w.WriteLine(Symptom(request, join, h.OutcomeDetail));
            var cause = h.Causes.Count > 0 ? h.Causes[0] : null;
            w.WriteLine(CauseLine(cause));
            if (cause is not null)
            {
                w.WriteLine(Evidence(cause.Evidence));
            }
            if (join is not null)
            {
                w.WriteLine(LogEvidence(join));
            }
            if (request is not null)
            {
                w.WriteLine(RouterEvidence(request));
            }
            foreach (var c in support?.ListingComparisons.Where(c => c.Handshake == n) ?? [])
            {
                w.WriteLine(ListingEvidence(c, i => i < h.ServerCertificates.Count ? (h.ServerCertificates[i].Subject, h.ServerCertificates[i].Issuer) : ("?", "?")));
            }
            if (cause is not null)
            {
                w.WriteLine(Fix(cause.Fix));
            }
            var ts = support?.Listing?.Name;
            var needed = h.Verdict?.NeededInTrustStore ?? [];
            if (needed.Count > 0)
            {
                w.WriteLine(ApiCallsHeading);
                foreach (var cert in needed)
                {
                    var file = imports.FirstOrDefault(i => i.Cert.Sha256Hex == cert.Sha256Hex).File;
                    w.WriteLine(ImportCall(context?.Org, context?.Env, ts, cert, file));
                }
            }
        }
        w.WriteLine();
        w.WriteLine(FilesHeading);
        w.WriteLine(FilesList(packets, imports.Count > 0));
    }
}
