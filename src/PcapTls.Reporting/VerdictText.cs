using PcapTls.Validation;

namespace PcapTls.Reporting;

/// <summary>Lines that describe a validation verdict: the host name check, the chain beside the truststore, the
/// path search tree and the chain's quality. Shared by analyze, verify and probe.</summary>
public static class VerdictText
{
    public static IEnumerable<string> Describe(ChainVerdict v)
    {
        if (v.HostName.Checked)
        {
            yield return $"host name: {(v.HostName.Matched ? "matches" : "DOES NOT MATCH")}: {v.HostName.Explanation}";
        }
        if (v.Comparison.Rows.Count > 0)
        {
            yield return $"chain vs truststore ({v.Comparison.EntryCount} entries{(v.Comparison.JavaVisibleCount != v.Comparison.EntryCount ? $", {v.Comparison.JavaVisibleCount} visible to Java" : "")}), matched by SHA-256, public key and subject:";
            foreach (var row in v.Comparison.Rows)
            {
                yield return $"  [{row.Index}] {Name(row.Sent)}: {MatchText(row)}";
            }
        }
        var tree = v.Explanation.Render().TrimEnd('\n');
        if (tree.Length > 0)
        {
            yield return "path search (each certificate, the issuers tried, and why each was rejected):";
            foreach (var line in tree.Split('\n'))
            {
                yield return "  " + line;
            }
        }
        var issues = v.Quality.Issues;
        if (issues.Count > 0)
        {
            yield return "chain quality:";
            foreach (var i in issues)
            {
                yield return "  " + i;
            }
        }
    }

    private static string Name(CertificateInfo c) => c.IsParsed ? c.Subject : $"(unparsable, sha256 {c.Sha256Hex[..16]})";

    private static string MatchText(TrustStoreComparisonRow row) => row.Match switch
    {
        TrustStoreMatch.SameCertificate => $"in the truststore (same SHA-256, alias '{row.BySha256?.Alias}')",
        TrustStoreMatch.SameSubjectAndKey => $"in the truststore as a re-issued certificate (same subject and key, alias '{row.BySpki?.Alias}')",
        TrustStoreMatch.SameKey => $"its public key is in the truststore under another subject (alias '{row.BySpki?.Alias}')",
        TrustStoreMatch.SameSubjectDifferentKey => $"the truststore holds a certificate with the SAME SUBJECT but a DIFFERENT KEY (alias '{row.BySubject.FirstOrDefault()?.Alias}', sha256 {row.BySubject.FirstOrDefault()?.Certificate.Sha256Hex[..16]}): it cannot verify this chain",
        TrustStoreMatch.IssuerTrusted => $"not in the truststore, but its issuer is (alias '{row.VerifyingIssuer?.Alias}') and verifies it",
        TrustStoreMatch.IssuerNameOnly => $"the truststore has an entry named like its issuer (alias '{row.IssuerByName.FirstOrDefault()?.Alias}'), but that key does not verify its signature",
        _ => "not in the truststore, nor its issuer",
    };
}
