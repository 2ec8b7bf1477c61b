namespace PcapTls.Validation;

/// <summary>
/// Depth-first path building from the leaf to any trust anchor, recording every issuer tried and why it was rejected.
/// Intermediates come only from what the server sent (no AIA fetching); any trusted certificate is an anchor for the
/// Java profile, only self-signed ones for OpenSSL (unless partial chains are allowed). The first valid path wins.
/// </summary>
internal sealed class PathSearch
{
    /// <summary>Longest path tried (certificates below the anchor); Java's default maximum is much larger, real chains are 2-4.</summary>
    public const int MaxDepth = 10;
    /// <summary>Bound on the tree size, so a hostile chain of many same-named certificates cannot make the search explode.</summary>
    public const int MaxNodes = 2000;

    private readonly IReadOnlyList<(CertificateInfo Cert, string Origin)> _sent;
    private readonly IReadOnlyList<(CertificateInfo Cert, string Origin)> _trusted;
    private readonly Dictionary<string, string> _trustedBySha = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), string> _trustedBySubjectKey = [];
    private readonly ClientProfile _profile;
    private readonly bool _partialChain;
    private readonly DateTimeOffset _at;
    private readonly JavaContext _java;
    private readonly Dictionary<(string Child, string Issuer), bool> _signatures = [];
    private int _nodes;

    public PathSearch(IReadOnlyList<(CertificateInfo, string)> sent, IReadOnlyList<(CertificateInfo, string)> trusted, ClientProfile profile, bool partialChain, DateTimeOffset at,
        JavaContext? java = null)
    {
        _java = java ?? new JavaContext(JavaSecurity.Jdk17, 0x0303, KeyPurpose.ServerAuth);
        _sent = sent;
        _trusted = trusted;
        _profile = profile;
        _partialChain = partialChain || profile == ClientProfile.Curl;
        _at = at;
        foreach (var (c, origin) in trusted)
        {
            _trustedBySha.TryAdd(c.Sha256Hex, origin);
            _trustedBySubjectKey.TryAdd((NameKey(c.Subject), c.SpkiSha256Hex), origin);
        }
    }

    public bool LimitHit => _nodes > MaxNodes;

    internal static string NameKey(string dn) => dn.Trim().ToUpperInvariant();

    /// <summary>Java trusts a certificate that is in the truststore, or has the subject and key of one (a re-issued CA certificate).</summary>
    public string? TrustedOrigin(CertificateInfo c)
    {
        if (_trustedBySha.TryGetValue(c.Sha256Hex, out var o))
        {
            return o;
        }
        return _profile == ClientProfile.Java && _trustedBySubjectKey.TryGetValue((NameKey(c.Subject), c.SpkiSha256Hex), out o) ? o : null;
    }

    private bool IsAnchor(CertificateInfo c) => TrustedOrigin(c) is not null && (_profile == ClientProfile.Java || _partialChain || c.IsSelfSigned);

    public PathNode Search(CertificateInfo leaf, string origin)
    {
        _nodes = 0;
        return Visit(leaf, origin, [], isRoot: true);
    }

    /// <summary>The path along accepted attempts, leaf first, anchor last; null when the root does not lead to an anchor.</summary>
    public static List<CertificateInfo>? PathOf(PathNode root)
    {
        if (!root.LeadsToAnchor)
        {
            return null;
        }
        var path = new List<CertificateInfo>();
        var node = root;
        while (node is not null)
        {
            path.Add(node.Certificate);
            if (node.IsAnchor)
            {
                break;
            }
            node = node.Attempts.FirstOrDefault(a => a.Accepted)?.Continuation;
        }
        return path;
    }

    private PathNode Visit(CertificateInfo cert, string origin, List<CertificateInfo> stack, bool isRoot)
    {
        _nodes++;
        var node = new PathNode(cert, origin);
        if (IsAnchor(cert))
        {
            node.IsAnchor = true;
            node.LeadsToAnchor = true;
            if (_profile != ClientProfile.Java && !cert.IsValidAt(_at))
            {
                // OpenSSL checks the anchor's dates too; Java never does.
                (node.ProblemKind, node.Problem) = ValidityProblem(cert);
                node.LeadsToAnchor = false;
            }
            return node;
        }
        if (isRoot)
        {
            if (!cert.IsValidAt(_at))
            {
                (node.ProblemKind, node.Problem) = ValidityProblem(cert);
            }
            else if ((_profile == ClientProfile.Java ? JavaAlgorithmChecker.Check(cert, null, false, _at, _java) : AlgorithmPolicy.RefusedKey(cert, _profile)) is { } weak)
            {
                (node.ProblemKind, node.Problem) = (IssuerRejection.AlgorithmDisabled, weak);
            }
        }
        stack.Add(cert);
        var candidates = Candidates(cert);
        if (candidates.Count == 0)
        {
            node.IssuerNotFound = true;
            if (node.Problem is null)
            {
                node.Problem = cert.IsSelfSigned
                    ? "self-signed and not in the truststore"
                    : $"issuer {cert.Issuer} not found: the server did not send it and the truststore has no certificate with that name";
                node.ProblemKind = IssuerRejection.NoPathAbove;
            }
        }
        foreach (var (cand, candOrigin) in candidates)
        {
            var attempt = Try(cert, cand, candOrigin, stack);
            node.AttemptList.Add(attempt);
            if (attempt.Accepted && node.Problem is null)
            {
                node.LeadsToAnchor = true;
                break;
            }
        }
        stack.RemoveAt(stack.Count - 1);
        return node;
    }

    private List<(CertificateInfo, string)> Candidates(CertificateInfo cert)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { cert.Sha256Hex };
        var result = new List<(CertificateInfo Cert, string Origin, int Rank)>();
        foreach (var (c, o) in _trusted)
        {
            if (c.IsNamedAsIssuerOf(cert) && seen.Add(c.Sha256Hex))
            {
                result.Add((c, o, 0));
            }
        }
        foreach (var (c, o) in _sent)
        {
            if (c.IsNamedAsIssuerOf(cert) && seen.Add(c.Sha256Hex))
            {
                result.Add((c, o, 1));
            }
        }
        // Anchors first (as Java's ForwardBuilder), then a key id that matches the child's AKI.
        return result
            .OrderBy(r => r.Rank)
            .ThenBy(r => cert.AuthorityKeyId is not null && r.Cert.SubjectKeyId == cert.AuthorityKeyId ? 0 : 1)
            .Select(r => (r.Cert, r.Origin)).ToList();
    }

    private IssuerAttempt Try(CertificateInfo cert, CertificateInfo cand, string origin, List<CertificateInfo> stack)
    {
        var trusted = TrustedOrigin(cand) is not null;
        IssuerAttempt Reject(IssuerRejection r, string why, PathNode? next = null) => new(cand, origin, trusted, r, why, next);

        if (stack.Any(s => s.Sha256Hex == cand.Sha256Hex))
        {
            return Reject(IssuerRejection.Loop, "already on the path below (loop)");
        }
        if (stack.Count >= MaxDepth || _nodes > MaxNodes)
        {
            return Reject(IssuerRejection.SearchLimit, $"search stopped (more than {MaxDepth} certificates or {MaxNodes} candidates)");
        }
        if (!SignedBy(cert, cand))
        {
            var keyIds = cert.AuthorityKeyId is not null && cand.SubjectKeyId is not null
                ? cert.AuthorityKeyId == cand.SubjectKeyId
                    ? $"; its key id {cand.SubjectKeyId} matches the AKI, so the signature itself is corrupt"
                    : $"; the certificate's AKI {cert.AuthorityKeyId} is not its key id {cand.SubjectKeyId}"
                : "";
            return Reject(IssuerRejection.SignatureMismatch,
                $"same name, but its public key (SPKI SHA-256 {cand.SpkiSha256Hex[..16]}…) does not verify the signature of {cert.DisplayName}{keyIds}");
        }
        var anchor = IsAnchor(cand);
        if (_profile == ClientProfile.Java)
        {
            // SunCertPathBuilder runs the AlgorithmChecker on each certificate with its issuer's key; whether the
            // anchor is a JDK CA (jdkCA) is known once the path reaches it, so every certificate below is checked again then.
            if (JavaAlgorithmChecker.Check(cert, cand, anchor && IsJdkCa(cand), _at, _java) is { } refused)
            {
                return Reject(IssuerRejection.AlgorithmDisabled, $"{cert.DisplayName}: {refused}");
            }
            if (anchor && IsJdkCa(cand))
            {
                for (var k = 1; k < stack.Count; k++)
                {
                    if (JavaAlgorithmChecker.Check(stack[k - 1], stack[k], true, _at, _java) is { } refusedBelow)
                    {
                        return Reject(IssuerRejection.AlgorithmDisabled, $"{stack[k - 1].DisplayName}: {refusedBelow}");
                    }
                }
            }
        }
        else if (AlgorithmPolicy.RefusedSignature(cert, _profile, false) is { } sigWeak)
        {
            return Reject(IssuerRejection.AlgorithmDisabled, $"{cert.DisplayName}: {sigWeak}");
        }
        if (anchor)
        {
            var anchorNode = Visit(cand, origin, stack, isRoot: false);
            return anchorNode.LeadsToAnchor
                ? new IssuerAttempt(cand, origin, true, IssuerRejection.None, "trust anchor", anchorNode)
                : Reject(anchorNode.ProblemKind, $"trust anchor, but {anchorNode.Problem}", anchorNode);
        }
        if (trusted && _profile != ClientProfile.Java && !_partialChain)
        {
            // OpenSSL keeps looking for the issuer of a trusted intermediate; it is not an anchor by itself.
            origin += " (not self-signed: not an anchor for OpenSSL)";
        }
        if (cand.IsCa != true)
        {
            return Reject(IssuerRejection.NotCa, cand.IsCa is null ? "not a CA: it has no basic constraints extension" : "not a CA: basic constraints cA=false");
        }
        if (!cand.AllowsCertificateSigning)
        {
            return Reject(IssuerRejection.KeyUsageNoCertSign, "its key usage does not include keyCertSign");
        }
        var below = stack.Skip(1).Count(s => !s.IsSelfIssued);
        if (cand.PathLength is { } max && below > max)
        {
            return Reject(IssuerRejection.PathLengthExceeded, $"path length constraint {max} exceeded ({below} CA certificate(s) below it)");
        }
        if (!cand.IsValidAt(_at))
        {
            var (kind, why) = ValidityProblem(cand);
            return Reject(kind, why);
        }
        if (_profile != ClientProfile.Java && AlgorithmPolicy.RefusedKey(cand, _profile) is { } keyWeak)
        {
            return Reject(IssuerRejection.AlgorithmDisabled, keyWeak);
        }
        var child = Visit(cand, origin, stack, isRoot: false);
        return child.LeadsToAnchor
            ? new IssuerAttempt(cand, origin, trusted, IssuerRejection.None, "issuer", child)
            : Reject(IssuerRejection.NoPathAbove, "no path to a trust anchor above it", child);
    }

    /// <summary>Signature checks are the search's main cost; cross-signed and repeated certificates ask the same question many times.</summary>
    private bool SignedBy(CertificateInfo child, CertificateInfo issuer)
    {
        var key = (child.Sha256Hex, issuer.Sha256Hex);
        if (!_signatures.TryGetValue(key, out var ok))
        {
            ok = child.IsSignedBy(issuer);
            _signatures[key] = ok;
        }
        return ok;
    }

    private (IssuerRejection, string) ValidityProblem(CertificateInfo c) => _at > c.NotAfter
        ? (IssuerRejection.Expired, $"expired at the validation time: NotAfter {Stamp(c.NotAfter)} is before {Stamp(_at)}")
        : (IssuerRejection.NotYetValid, $"not yet valid at the validation time: NotBefore {Stamp(c.NotBefore)} is after {Stamp(_at)}");

    internal static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + "Z";

    /// <summary>jdkCA: the anchor is one of the JDK's own cacerts (Debian builds them from the system CA bundle).</summary>
    internal static bool IsJdkCa(CertificateInfo anchor) => JdkCas.Value.Contains(anchor.Sha256Hex);

    private static readonly Lazy<HashSet<string>> JdkCas = new(() =>
        TrustStore.SystemRootsOrNull is { } roots ? roots.Entries.Select(e => e.Certificate.Sha256Hex).ToHashSet(StringComparer.Ordinal) : []);
}
