using PcapTls.Analysis;
using PcapTls.Probe;
using PcapTls.Validation;

namespace PcapTls.Cli;

/// <summary>
/// `analyze --probe`: for each server whose chain the capture could not show (TLS 1.3 without a key log), fetch
/// the chain with an active probe (which hangs up before its Finished; only a server asking for a client certificate,
/// whose chain was judged trusted, gets a second connection that checks whether it requires one) and validate it the same way.
/// </summary>
internal static class AnalyzeProbes
{
    /// <summary>Servers probed at most, whatever the capture holds.</summary>
    internal const int MaxServersProbed = 16;

    public static AnalysisReport Run(AnalysisReport report, AnalysisOptions options, TextWriter stderr, CancellationToken ct)
    {
        var targets = report.Handshakes
            .Where(h => h.Causes.Any(c => c.Code == CauseCode.CertificateNotVisible) || (h.CertificateEncrypted && h.ServerCertificates.Count == 0))
            .Select(h => (h.Server, h.Sni, h.Version))
            .Distinct()
            .Take(MaxServersProbed)
            .ToList();
        if (targets.Count == 0)
        {
            stderr.WriteLine("pcaptls: --probe: every chain was visible in the capture; nothing to probe");
            return report;
        }
        var findings = new List<ProbeFinding>();
        foreach (var (server, sni, version) in targets)
        {
            if (!ProbeTarget.TryParse(server, out var target, out var error))
            {
                stderr.WriteLine($"pcaptls: --probe: cannot probe {server}: {error}");
                continue;
            }
            stderr.WriteLine($"pcaptls: probing {server}{(sni is null ? "" : $" (SNI {sni})")} ...");
            var probeOptions = new ProbeOptions
            {
                Sni = sni,
                HostName = options.Host ?? options.TargetEndpoint?.Host ?? sni,
                Versions = version == "TLS 1.3" ? TlsVersionChoice.Tls13 : version == "TLS 1.2" ? TlsVersionChoice.Tls12 : TlsVersionChoice.Any,
                TrustStore = options.TrustStore ?? TrustStore.SystemRoots(),
                At = options.At,
                Profile = options.Profile,
                AllowPartialChain = options.AllowPartialChain,
            };
            var result = ProbeDiagnosis.RunAsync(target, probeOptions, ct).GetAwaiter().GetResult();
            findings.Add(new ProbeFinding(
                server,
                result.Sni,
                ProbeReport.OutcomeCode(result.Outcome),
                result.Probe.NegotiatedVersion.Length > 0 ? result.Probe.NegotiatedVersion : null,
                result.Chain.Select(CertificateSummary.From).ToList(),
                result.Verdict?.ClientMessage,
                result.Findings.Select(f => new Cause(f.Code, f.Summary, f.Evidence, f.Fix)).ToList(),
                [.. result.Notes, $"probed at {result.ValidatedAt:yyyy-MM-dd HH:mm:ss}Z, not at the capture's time: the server may have changed since"]));
        }
        return report with { Probes = findings };
    }
}
