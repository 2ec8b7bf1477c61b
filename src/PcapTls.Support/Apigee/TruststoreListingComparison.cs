using PcapTls.Validation;

namespace PcapTls.Support.Apigee;

/// <summary>
/// How a truststore entry of the management API relates to a chain the server sent. Only the *Proven kinds rest on
/// the key or the fingerprint; a name, however exactly it matches, proves nothing (the playbook's mistake).
/// </summary>
public enum ListingMatch
{
    /// <summary>The exported certificate has the SHA-256 of a certificate the server sent.</summary>
    SameCertificateProven,

    /// <summary>The exported certificate has a sent certificate's subject and public key (SPKI SHA-256): the same CA, re-issued.</summary>
    SameKeyProven,

    /// <summary>The exported certificate's key verifies the signature of a sent certificate: it is that certificate's issuer.</summary>
    IssuerProven,

    /// <summary>The exported certificate has a sent certificate's subject (and issuer) but another key: a look-alike, not that certificate.</summary>
    LookAlike,

    /// <summary>The exported certificate has the name of a sent certificate's issuer but its key does NOT verify the signature: a look-alike of the issuer.</summary>
    IssuerLookAlike,

    /// <summary>JSON only: subject, issuer and serial equal a certificate the server sent; the key cannot be checked from the JSON.</summary>
    NamesAndSerialOnly,

    /// <summary>JSON only: the subject is the name of the issuer the chain needs; the key cannot be checked from the JSON.</summary>
    IssuerNameOnly,
}

/// <param name="ChainIndex">The sent certificate it is compared with (0 = leaf); for the Issuer kinds, the certificate it would have signed.</param>
public sealed record ListingEntryMatch(ApiTruststoreEntry Entry, ListingMatch Match, int ChainIndex)
{
    public bool IsProven => Match is ListingMatch.SameCertificateProven or ListingMatch.SameKeyProven or ListingMatch.IssuerProven;
}

/// <summary>The listing against one handshake's chain: each relation found, and the verdict with the exported PEMs as the truststore.</summary>
/// <param name="ExportedVerdict">The chain validated (Java rules) against the exported PEMs alone; null when none was exported.</param>
/// <param name="JsonOnlyEntries">Entries with no exported PEM (their key cannot be compared).</param>
public sealed record ListingComparison(int Handshake, IReadOnlyList<ListingEntryMatch> Matches, ChainVerdict? ExportedVerdict, IReadOnlyList<ApiTruststoreEntry> JsonOnlyEntries)
{
    /// <summary>Trust is proven only by a key: a name-only match never counts.</summary>
    public bool ProvenByKey => ExportedVerdict?.Trusted == true;
}

/// <summary>
/// Compares the management API's truststore listing with the chains of the capture, by key and fingerprint where an
/// exported PEM is there, by names and serial (reported as unproven) where only the JSON is.
/// </summary>
public static class TruststoreListingComparer
{
    public static ListingComparison Compare(int handshake, IReadOnlyList<byte[]> chainDer, TruststoreListing listing, string? host, DateTimeOffset at, ushort? tlsVersion)
    {
        var chain = chainDer.Select(CertificateInfo.Parse).Where(c => c.IsParsed).ToList();
        var matches = new List<ListingEntryMatch>();
        var jsonOnly = new List<ApiTruststoreEntry>();
        foreach (var e in listing.Entries)
        {
            if (e.Exported is { } pem)
            {
                if (ByKey(pem, chain) is { } m)
                {
                    matches.Add(new ListingEntryMatch(e, m.Match, m.Index));
                }
                continue;
            }
            jsonOnly.Add(e);
            foreach (var info in e.Infos)
            {
                var same = chain.FindIndex(c => DistinguishedName.Same(info.Subject, c.Subject) && DistinguishedName.Same(info.Issuer, c.Issuer) && SameSerial(info.Serial, c.SerialHex));
                var issuerOf = chain.FindLastIndex(c => !c.IsSelfIssued && DistinguishedName.Same(info.Subject, c.Issuer));
                if (same >= 0)
                {
                    matches.Add(new ListingEntryMatch(e, ListingMatch.NamesAndSerialOnly, same));
                }
                else if (issuerOf >= 0)
                {
                    matches.Add(new ListingEntryMatch(e, ListingMatch.IssuerNameOnly, issuerOf));
                }
            }
        }
        ChainVerdict? verdict = null;
        var exported = listing.Entries.Where(e => e.Exported is not null).Select(e => e.Exported!).ToList();
        if (exported.Count > 0 && chainDer.Count > 0)
        {
            var store = TrustStore.FromCertificates($"{listing.Directory} (exported PEMs)", exported);
            verdict = ChainValidator.Validate(new ValidationRequest(chainDer, store, host, at) { TlsVersion = tlsVersion });
        }
        return new ListingComparison(handshake, matches, verdict, jsonOnly);
    }

    /// <summary>
    /// The strongest relation of an exported certificate to the chain: its fingerprint, then a sent certificate's subject
    /// with the same key, then a signature it verifies; a name without the key is a look-alike. Unrelated: null.
    /// </summary>
    internal static (ListingMatch Match, int Index)? ByKey(CertificateInfo pem, IReadOnlyList<CertificateInfo> chain)
    {
        for (var i = 0; i < chain.Count; i++)
        {
            if (chain[i].Sha256Hex == pem.Sha256Hex)
            {
                return (ListingMatch.SameCertificateProven, i);
            }
        }
        for (var i = 0; i < chain.Count; i++)
        {
            if (chain[i].HasSameSubject(pem) && chain[i].SpkiSha256Hex == pem.SpkiSha256Hex)
            {
                return (ListingMatch.SameKeyProven, i);
            }
        }
        // From the top down: the certificate that anchors the chain is the one that matters.
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            if (!chain[i].IsSelfIssued && pem.IsNamedAsIssuerOf(chain[i]) && chain[i].IsSignedBy(pem))
            {
                return (ListingMatch.IssuerProven, i);
            }
        }
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            if (chain[i].HasSameSubject(pem))
            {
                return (ListingMatch.LookAlike, i);
            }
        }
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            if (!chain[i].IsSelfIssued && pem.IsNamedAsIssuerOf(chain[i]))
            {
                return (ListingMatch.IssuerLookAlike, i);
            }
        }
        return null;
    }

    /// <summary>Serials as the API prints them (<c>07:bc:a7</c>, <c>7BCA7</c>) against lowercase hex without leading zeros.</summary>
    internal static bool SameSerial(string? api, string hex)
    {
        if (api is null)
        {
            return false;
        }
        var s = api.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant().TrimStart('0');
        if (s.StartsWith("0x", StringComparison.Ordinal))
        {
            s = s[2..].TrimStart('0');
        }
        return s == hex.TrimStart('0');
    }
}

/// <summary>Distinguished names as the API (Java's <c>X500Principal</c>: "CN=a, O=b, C=US") and as PcapTls writes them ("CN=a,O=b,C=US").</summary>
internal static class DistinguishedName
{
    public static bool Same(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return false;
        }
        var x = Parts(a);
        var y = Parts(b);
        return x.SequenceEqual(y, StringComparer.OrdinalIgnoreCase) || x.AsEnumerable().Reverse().SequenceEqual(y, StringComparer.OrdinalIgnoreCase);
    }

    private static List<string> Parts(string dn)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i <= dn.Length; i++)
        {
            if (i == dn.Length || (dn[i] == ',' && (i == 0 || dn[i - 1] != '\\')))
            {
                var part = dn[start..i].Trim();
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                parts.Add(eq < 0 ? part : part[..eq].Trim().ToUpperInvariant() + "=" + part[(eq + 1)..].Trim());
                start = i + 1;
            }
        }
        return parts;
    }
}
