namespace PcapTls.Validation;

/// <summary>
/// Turns the client's decision and the search tree into cause codes with evidence and a fix, and works out which
/// certificates the truststore needs. The first finding is the one the client's message is about.
/// </summary>
internal sealed class FindingBuilder
{
    private readonly ValidationRequest _request;
    private readonly IReadOnlyList<CertificateInfo> _sent;
    private readonly TrustStore _store;
    private readonly IReadOnlyList<CertificateInfo> _anchors;
    private readonly PathNode _tree;
    private readonly HostNameCheck _host;
    private readonly ClientFailure _failure;
    private readonly CertificateInfo? _failedAt;
    private readonly string? _message;
    private readonly List<CertificateInfo> _needed = [];

    public FindingBuilder(ValidationRequest request, IReadOnlyList<CertificateInfo> sent, TrustStore store, IReadOnlyList<CertificateInfo> anchors,
        PathNode tree, HostNameCheck host, ClientFailure failure, CertificateInfo? failedAt, string? message)
    {
        _request = request;
        _sent = sent;
        _store = store;
        _anchors = anchors;
        _tree = tree;
        _host = host;
        _failure = failure;
        _failedAt = failedAt;
        _message = message;
    }

    public IReadOnlyList<CertificateInfo> Needed => _needed;

    /// <summary>The Java reason after "PKIX path validation failed: ...: " (a condition of an override file has no AlgorithmPolicy wording).</summary>
    private string? RefusedReason() => _message is { } m && m.LastIndexOf("CertPathValidatorException: ", StringComparison.Ordinal) is var i and >= 0
        ? m[(i + "CertPathValidatorException: ".Length)..] : _message;

    private string ClientSays => _message is null ? "" : $"; the {_request.Profile switch { ClientProfile.Java => "Java", ClientProfile.Curl => "curl", _ => "OpenSSL" }} client would say: \"{_message}\"";

    private string Index(CertificateInfo c)
    {
        var i = _sent.ToList().FindIndex(s => s.Sha256Hex == c.Sha256Hex);
        return i >= 0 ? $"sent #{i + 1}" : "from the truststore";
    }

    public IReadOnlyList<Finding> Build()
    {
        var findings = new List<Finding>();
        switch (_failure)
        {
            case ClientFailure.None:
                break;
            case ClientFailure.EmptyAnchors:
                findings.Add(EmptyTrustStore());
                DeadEndFindings(); // only to learn which certificate the truststore needs
                break;
            case ClientFailure.HostName:
                break;
            case ClientFailure.ExtendedKeyUsage:
                findings.Add(new Finding(CauseCode.ClientRejectedCertificate,
                    $"The leaf's extended key usage does not allow {(_request.Purpose == KeyPurpose.ServerAuth ? "server" : "client")} authentication",
                    $"{_sent[0].Subject} EKU: {string.Join(", ", _sent[0].ExtendedKeyUsage ?? [])}{ClientSays}",
                    "Reissue the certificate with extendedKeyUsage serverAuth (1.3.6.1.5.5.7.3.1).", Certainty.High));
                break;
            case ClientFailure.Expired or ClientFailure.NotYetValid when _failedAt is not null:
                findings.Add(Validity(_failedAt, _failure == ClientFailure.Expired));
                break;
            case ClientFailure.Signature when _failedAt is not null && TreeFindings() is var tree && tree.Any(f => f.Code == CauseCode.TruststoreMissingAnchor):
                // The anchor with the issuer's name has another key: the truststore lacks the real one.
                findings.AddRange(tree);
                break;
            case ClientFailure.Signature when _failedAt is not null:
                findings.Add(new Finding(CauseCode.SignatureInvalid, $"The signature on {_failedAt.DisplayName} does not verify",
                    $"{_failedAt.Subject} ({Index(_failedAt)}) is not signed by the key of {_failedAt.Issuer}{ClientSays}",
                    "The server sends a certificate that its named issuer did not sign (corrupt or re-keyed CA): install the chain the CA issued.", Certainty.High));
                break;
            case ClientFailure.Algorithm when _failedAt is not null:
                findings.Add(Weak(_failedAt, AlgorithmPolicy.RefusedSignature(_failedAt, _request.Profile, true) ?? AlgorithmPolicy.RefusedKey(_failedAt, _request.Profile) ?? RefusedReason() ?? "algorithm refused"));
                break;
            case ClientFailure.NotCa or ClientFailure.PathLength or ClientFailure.KeyUsage when _failedAt is not null:
                findings.Add(new Finding(CauseCode.ClientRejectedCertificate, $"{_failedAt.DisplayName} cannot act as a CA here",
                    $"{_failedAt.Subject} ({Index(_failedAt)}): {(_failure == ClientFailure.NotCa ? "basic constraints do not make it a CA" : _failure == ClientFailure.PathLength ? $"path length constraint {_failedAt.PathLength} exceeded" : "key usage lacks keyCertSign")}{ClientSays}",
                    "Issue the intermediate with basicConstraints CA:TRUE, keyUsage keyCertSign and a path length that fits.", Certainty.High));
                break;
            case ClientFailure.EndEntityKeyUsage:
                findings.Add(new Finding(CauseCode.ClientRejectedCertificate, "The leaf's key usage does not allow digital signatures",
                    $"{_sent[0].Subject} keyUsage lacks digitalSignature, which every key exchange the client allows (ECDHE, DHE, TLS 1.3) needs{ClientSays}",
                    "Reissue the certificate with keyUsage digitalSignature (and keyEncipherment for RSA keys if old clients need it).", Certainty.High));
                break;
            case ClientFailure.NameConstraints when _failedAt is not null:
                findings.Add(new Finding(CauseCode.ClientRejectedCertificate, $"{_failedAt.DisplayName} is outside the name constraints of a CA above it",
                    $"{_failedAt.Subject} ({Index(_failedAt)}): names {string.Join(", ", _failedAt.DnsNames.Concat(_failedAt.IpAddresses).DefaultIfEmpty(_failedAt.CommonName ?? "-"))} are not within the permitted subtrees or are excluded{ClientSays}",
                    "Issue the certificate from a CA whose name constraints permit its names, or have the CA's constraints widened.", Certainty.High));
                break;
            case ClientFailure.CriticalExtension when _failedAt is not null:
                findings.Add(new Finding(CauseCode.ClientRejectedCertificate, $"{_failedAt.DisplayName} has a critical extension the client does not process",
                    $"{_failedAt.Subject} ({Index(_failedAt)}): critical extensions {string.Join(", ", _failedAt.CriticalExtensionOids)}{ClientSays}",
                    "Reissue the certificate without marking unknown extensions critical.", Certainty.High));
                break;
            case ClientFailure.ChainTooLong:
                findings.Add(new Finding(CauseCode.JavaHandshakeLimit, "The server sends more certificates than a Java client accepts",
                    $"{_sent.Count} certificates, jdk.tls.maxCertificateChainLength is {JavaRelease.DefaultMaxCertificateChainLength}{ClientSays}",
                    "Send only the leaf and the intermediates up to the root, or raise -Djdk.tls.maxCertificateChainLength on the client.", Certainty.High));
                break;
            default:
                findings.AddRange(TreeFindings());
                break;
        }
        if (_host.Checked && !_host.Matched)
        {
            findings.Add(new Finding(CauseCode.HostnameMismatch,
                $"The certificate is not valid for {_host.Host}",
                $"{_host.Explanation}" + (_failure == ClientFailure.HostName ? ClientSays : ""),
                _host.Method == "ip-san"
                    ? $"Call the server by a DNS name in its certificate ({string.Join(", ", _sent[0].DnsNames.DefaultIfEmpty(_sent[0].CommonName ?? "?"))}), or reissue it with an IP SAN for {_host.Host}."
                    : $"Call the server by a name in its certificate ({string.Join(", ", _host.Presented)}), or reissue the certificate with a SAN DNS entry for {_host.Host}.",
                Certainty.High));
        }
        if (findings.Count == 0 && _failure != ClientFailure.None)
        {
            findings.Add(new Finding(CauseCode.ClientRejectedCertificate, "The client rejects the chain",
                _message ?? "no valid path", "See the explanation tree.", Certainty.Medium));
        }
        return findings.DistinctBy(f => (f.Code, f.Summary)).ToList();
    }

    private Finding EmptyTrustStore()
    {
        var hidden = _store.Entries.Count(e => !e.VisibleToJava);
        if (_request.Profile == ClientProfile.Java && hidden > 0)
        {
            return new Finding(CauseCode.TruststoreEmpty,
                "Java sees no trusted certificate in the truststore",
                $"{_store.Source} holds {hidden} certificate(s) in PKCS12 bags without Java's trusted-certificate attribute (an OpenSSL-made PKCS12), so Java loads 0 entries{ClientSays}",
                $"Rebuild the truststore with keytool: keytool -importcert -alias root -file root.pem -keystore truststore.p12 -storetype PKCS12 (or openssl pkcs12 -export -nokeys -jdktrust anyExtendedKeyUsage on OpenSSL 3.2+).",
                Certainty.High);
        }
        return new Finding(CauseCode.TruststoreEmpty, "The truststore is empty",
            $"{_store.Source} has no certificate entry{ClientSays}",
            "Import the CA certificate that issued the server's chain (keytool -importcert), or point the client at the right truststore.", Certainty.High);
    }

    private Finding Validity(CertificateInfo c, bool expired)
    {
        var at = PathSearch.Stamp(_request.At);
        var leaf = c.Sha256Hex == _sent[0].Sha256Hex;
        return expired
            ? new Finding(CauseCode.CertificateExpired, $"{(leaf ? "The server's certificate" : c.DisplayName)} has expired",
                $"{c.Subject} ({Index(c)}) NotAfter {PathSearch.Stamp(c.NotAfter)} is before the validation time {at}{ClientSays}",
                leaf ? "Renew the server's certificate and install it with its chain." : $"Replace the expired CA certificate {c.DisplayName} with its current version (on the server if it sends it, in the truststore if it is there).",
                Certainty.High)
            : new Finding(CauseCode.CertificateNotYetValid, $"{(leaf ? "The server's certificate" : c.DisplayName)} is not valid yet",
                $"{c.Subject} ({Index(c)}) NotBefore {PathSearch.Stamp(c.NotBefore)} is after the validation time {at}{ClientSays}",
                "Check the clocks of the client and of the machine that issued the certificate, or install a certificate valid now.",
                Certainty.High);
    }

    private Finding Weak(CertificateInfo c, string why) => new(CauseCode.WeakAlgorithm, $"{c.DisplayName} uses an algorithm the client refuses",
        $"{c.Subject} ({Index(c)}): {why}{ClientSays}",
        "Reissue the certificate with SHA-256 and an RSA key of at least 2048 bits (or EC P-256).", Certainty.High);

    /// <summary>Findings from the search tree when no path exists: the certificate's own problems, near misses, then dead ends.</summary>
    private List<Finding> TreeFindings()
    {
        var findings = new List<Finding>();
        if (_tree.Problem is not null && _tree.ProblemKind is IssuerRejection.Expired or IssuerRejection.NotYetValid)
        {
            findings.Add(Validity(_tree.Certificate, _tree.ProblemKind == IssuerRejection.Expired));
        }
        else if (_tree.ProblemKind == IssuerRejection.AlgorithmDisabled && _tree.Problem is not null)
        {
            findings.Add(Weak(_tree.Certificate, _tree.Problem));
        }
        foreach (var (node, attempt) in NearMisses())
        {
            switch (attempt.Rejection)
            {
                case IssuerRejection.Expired or IssuerRejection.NotYetValid:
                    findings.Add(Validity(attempt.Candidate, attempt.Rejection == IssuerRejection.Expired));
                    break;
                case IssuerRejection.AlgorithmDisabled:
                    findings.Add(Weak(attempt.Candidate, attempt.Reason));
                    break;
                case IssuerRejection.NotCa or IssuerRejection.PathLengthExceeded or IssuerRejection.KeyUsageNoCertSign:
                    findings.Add(new Finding(CauseCode.ClientRejectedCertificate, $"{attempt.Candidate.DisplayName} cannot act as a CA for {node.Certificate.DisplayName}",
                        $"{attempt.Candidate.Subject} [{attempt.Origin}]: {attempt.Reason}{ClientSays}",
                        "Issue the intermediate with basicConstraints CA:TRUE, keyUsage keyCertSign and a path length that fits.", Certainty.High));
                    break;
                case IssuerRejection.AnchorNotSelfSigned:
                    break;
            }
        }
        findings.AddRange(DeadEndFindings());
        return findings;
    }

    /// <summary>Issuers that verified the signature but were refused for a reason of their own.</summary>
    private IEnumerable<(PathNode, IssuerAttempt)> NearMisses()
    {
        foreach (var node in Explored(_tree))
        {
            foreach (var a in node.Attempts)
            {
                if (a.Rejection is IssuerRejection.Expired or IssuerRejection.NotYetValid or IssuerRejection.AlgorithmDisabled
                    or IssuerRejection.NotCa or IssuerRejection.PathLengthExceeded or IssuerRejection.KeyUsageNoCertSign)
                {
                    yield return (node, a);
                }
            }
        }
    }

    /// <summary>The nodes reached along issuers that were themselves fine (NoPathAbove), root first.</summary>
    private static IEnumerable<PathNode> Explored(PathNode root)
    {
        yield return root;
        foreach (var a in root.Attempts.Where(a => a.Rejection == IssuerRejection.NoPathAbove && a.Continuation is not null))
        {
            foreach (var n in Explored(a.Continuation!))
            {
                yield return n;
            }
        }
    }

    /// <summary>A certificate with no usable issuer at all: none by name, or only same-named ones with other keys.</summary>
    private List<Finding> DeadEndFindings()
    {
        var findings = new List<Finding>();
        var deadEnds = Explored(_tree)
            .Where(n => !n.IsAnchor && (n.Problem is null || n.ProblemKind == IssuerRejection.NoPathAbove || n == _tree)
                && n.Attempts.All(a => a.Rejection == IssuerRejection.SignatureMismatch))
            .ToList();
        foreach (var node in deadEnds.OrderByDescending(Depth))
        {
            findings.Add(MissingIssuer(node));
        }
        return findings;
    }

    /// <summary>Dead ends higher up the chain first: the position in what the server sent (later = closer to the root).</summary>
    private int Depth(PathNode n)
    {
        var i = _sent.ToList().FindIndex(s => s.Sha256Hex == n.Certificate.Sha256Hex);
        return i < 0 ? _sent.Count : i;
    }

    /// <summary>Cause 1 (the truststore lacks the root) versus cause 3 (the server did not send an intermediate).</summary>
    private Finding MissingIssuer(PathNode node)
    {
        var top = node.Certificate;
        var impostors = node.Attempts.Where(a => a.Trusted && a.Rejection == IssuerRejection.SignatureMismatch).ToList();
        var wrongSent = node.Attempts.Where(a => !a.Trusted && a.Rejection == IssuerRejection.SignatureMismatch).ToList();
        var impostorText = impostors.Count > 0
            ? $"; the truststore entry {impostors[0].Origin["truststore ".Length..]} has the issuer's exact name {top.Issuer} but a different key (SPKI SHA-256 {impostors[0].Candidate.SpkiSha256Hex[..16]}…): it did not sign {top.DisplayName}, so it is not the right certificate"
            : "";
        var wrongSentText = wrongSent.Count > 0
            ? $"; the server sent {wrongSent[0].Candidate.Subject} [{wrongSent[0].Origin}] with the issuer's name, but its key did not sign {top.DisplayName}"
            : "";
        var topText = $"{top.Subject} ({Index(top)})";
        var javaAnchorHint = _request.Profile == ClientProfile.Java ? $" Java also accepts {top.DisplayName} itself as an anchor." : "";

        if (top.IsSelfSigned)
        {
            AddNeeded(top);
            return new Finding(CauseCode.TruststoreMissingAnchor, $"The truststore lacks the root CA {top.DisplayName}",
                $"the server sent the self-signed root {topText}, which is not in the truststore {_store.Source} ({_anchors.Count} usable entr{(_anchors.Count == 1 ? "y" : "ies")}){impostorText}{ClientSays}",
                $"Import {top.DisplayName} (SHA-256 {top.Sha256Hex}) into the truststore, after checking with its owner that it is the right root.",
                Certainty.High);
        }
        var systemRoot = TrustStore.SystemRootsOrNull?.Entries.Select(e => e.Certificate).FirstOrDefault(r => r.IsNamedAsIssuerOf(top) && top.IsSignedBy(r));
        if (systemRoot is not null)
        {
            AddNeeded(systemRoot);
            return new Finding(CauseCode.TruststoreMissingAnchor, $"The truststore lacks the root CA {systemRoot.DisplayName}",
                $"{topText} is issued by {systemRoot.Subject}, a root of the system CA bundle ({TrustStore.SystemRootsOrNull!.Source}) that the truststore {_store.Source} does not contain{impostorText}{ClientSays}",
                $"Import {systemRoot.DisplayName} (SHA-256 {systemRoot.Sha256Hex}) into the truststore.{javaAnchorHint}",
                Certainty.High);
        }
        var leaf = top.Sha256Hex == _sent[0].Sha256Hex;
        if (impostors.Count > 0)
        {
            return new Finding(CauseCode.TruststoreMissingAnchor,
                $"The truststore has a certificate named like {(leaf ? "the issuer" : "the root")} {Cn(top.Issuer)}, but with a different key",
                $"{topText} is issued by {top.Issuer}{impostorText}{wrongSentText}{ClientSays}",
                $"Replace the truststore entry {impostors[0].Origin["truststore ".Length..]} with the real {Cn(top.Issuer)} certificate (compare SHA-256 fingerprints with the server's CA, not names).{(leaf ? "" : javaAnchorHint)}",
                Certainty.High);
        }
        if (!leaf && top.IsCa == true)
        {
            var aia = top.CaIssuersUrls.Count > 0 ? $" (if {Cn(top.Issuer)} is itself an intermediate, the server must send it too; it can be downloaded from {top.CaIssuersUrls[0]})" : "";
            return new Finding(CauseCode.TruststoreMissingAnchor, $"The truststore lacks the root CA {Cn(top.Issuer)}",
                $"the last certificate the server sent, the CA {topText}, is issued by {top.Issuer}, which is neither sent nor in the truststore {_store.Source}; servers normally stop below the root, so the root is what the truststore lacks{wrongSentText}{ClientSays}",
                $"Import the root CA {Cn(top.Issuer)} into the truststore (get it from the server's operator or the CA){aia}.{javaAnchorHint}",
                Certainty.Medium);
        }
        if (top.CaIssuersUrls.Count > 0)
        {
            return new Finding(CauseCode.IncompleteChain, "The server does not send its intermediate certificate",
                $"the server sent only {(leaf ? "its leaf" : "part of the chain")} {topText}; its issuer {top.Issuer} is named in its AIA caIssuers ({top.CaIssuersUrls[0]}), so it is an intermediate the server should send{wrongSentText}{ClientSays}",
                $"Configure the server to send the full chain (leaf, then {Cn(top.Issuer)}); browsers fetch it from AIA but Java and OpenSSL do not.",
                Certainty.High);
        }
        if (Cn(top.Issuer).Contains("root", StringComparison.OrdinalIgnoreCase))
        {
            return new Finding(CauseCode.TruststoreMissingAnchor, $"The truststore lacks the root CA {Cn(top.Issuer)}",
                $"{topText} is issued by {top.Issuer}, which is neither sent nor in the truststore; its name suggests a root{wrongSentText}{ClientSays}",
                $"Import {Cn(top.Issuer)} into the truststore.{javaAnchorHint}",
                Certainty.Low);
        }
        return new Finding(CauseCode.IncompleteChain, "The server does not send its intermediate certificate",
            $"the server sent {(leaf ? "only its leaf" : "a chain ending at")} {topText}; its issuer {top.Issuer} is not sent, not in the truststore, and not a known root (not in the system CA bundle), so it is most likely an intermediate the server omits{wrongSentText}{ClientSays}",
            $"Configure the server to send its full chain (leaf, then {Cn(top.Issuer)}); alternatively, import {Cn(top.Issuer)} into the truststore.",
            Certainty.Medium);
    }

    private void AddNeeded(CertificateInfo c)
    {
        if (!_needed.Any(n => n.Sha256Hex == c.Sha256Hex))
        {
            _needed.Add(c);
        }
    }

    private static string Cn(string dn)
    {
        foreach (var part in dn.Split(','))
        {
            var p = part.Trim();
            if (p.StartsWith("CN=", StringComparison.OrdinalIgnoreCase))
            {
                return p[3..];
            }
        }
        return dn;
    }
}
