namespace PcapTls.Validation;

/// <summary>
/// Which route JSSE's PKIXValidator takes and which exception it throws (OpenJDK 17, sun.security.validator.PKIXValidator
/// .engineValidate): a chain sent in order whose top is issued by (or is) a trusted certificate goes to the
/// CertPathValidator ("PKIX path validation failed: ..." with a specific reason); anything else goes to the
/// SunCertPathBuilder, which only ever says "unable to find valid certification path to requested target".
/// </summary>
internal static class JavaPkix
{
    public sealed record Decision(ClientFailure Failure, string? Message, IReadOnlyList<CertificateInfo>? Path, CertificateInfo? FailedAt);

    public static Decision Decide(IReadOnlyList<CertificateInfo> chain, IReadOnlyList<CertificateInfo> anchors, PathSearch search, PathNode tree, DateTimeOffset at, JavaContext context)
    {
        var purpose = context.Purpose;
        var decision = DecidePath(chain, anchors, search, tree, at, context);
        if (decision.Failure != ClientFailure.None)
        {
            return decision;
        }
        // Validator.validate runs the EndEntityChecker after the path is accepted. checkTLSServer: the key usage
        // first; with Java's default jdk.tls.disabledAlgorithms (TLS_RSA_*, ECDH) every key exchange left is signed
        // (DHE/ECDHE, or "UNKNOWN" in TLS 1.3), so digitalSignature is the bit it needs.
        if (purpose == KeyPurpose.ServerAuth && !chain[0].AllowsDigitalSignature)
        {
            return new Decision(ClientFailure.EndEntityKeyUsage, "KeyUsage does not allow digital signatures", null, chain[0]);
        }
        if (!chain[0].AllowsPurpose(purpose))
        {
            var what = purpose == KeyPurpose.ServerAuth ? "TLS server" : "TLS client";
            return new Decision(ClientFailure.ExtendedKeyUsage, $"Extended key usage does not permit use for {what} authentication", null, chain[0]);
        }
        return decision;
    }

    private static Decision DecidePath(IReadOnlyList<CertificateInfo> chain, IReadOnlyList<CertificateInfo> anchors, PathSearch search, PathNode tree, DateTimeOffset at, JavaContext context)
    {
        CertificateInfo? previous = null;
        for (var i = 0; i < chain.Count; i++)
        {
            var cert = chain[i];
            if (previous is not null && !cert.IsNamedAsIssuerOf(previous))
            {
                return Build(search, tree);
            }
            if (search.TrustedOrigin(cert) is not null)
            {
                if (i == 0)
                {
                    // A trusted leaf is accepted as is: no date or signature check at all.
                    return new Decision(ClientFailure.None, null, [cert], null);
                }
                return Validate(chain.Take(i).ToList(), anchors, at, context);
            }
            previous = cert;
        }
        // "Apparently issued by a trust anchor": JSSE compares only the name here (it checks the signature only when
        // running as a browser plug-in), so a same-named anchor with another key goes to the validator, not the builder.
        var last = chain[^1];
        if (anchors.Any(a => a.IsNamedAsIssuerOf(last)))
        {
            return Validate(chain, anchors, at, context);
        }
        return Build(search, tree);
    }

    private static Decision Build(PathSearch search, PathNode tree)
    {
        var path = PathSearch.PathOf(tree);
        return path is not null
            ? new Decision(ClientFailure.None, null, path, null)
            : new Decision(ClientFailure.NoPath, ClientMessages.JavaNoPath, null, null);
    }

    /// <summary>PKIXCertPathValidator over the chain as sent: checkers run from the anchor down, in Java's order.</summary>
    private static Decision Validate(IReadOnlyList<CertificateInfo> chain, IReadOnlyList<CertificateInfo> anchors, DateTimeOffset at, JavaContext context)
    {
        // PKIXCertPathValidator tries only anchors its selector accepts: the top certificate's issuer name, and its
        // AKI key id equal to the anchor's SKI when both are present. The last failure wins; none tried at all is
        // "Path does not chain with any of the trust anchors".
        var top = chain[^1];
        Decision? last = null;
        foreach (var anchor in anchors.Where(a => a.IsNamedAsIssuerOf(top)
            && (top.AuthorityKeyId is null || a.SubjectKeyId is null || top.AuthorityKeyId == a.SubjectKeyId)))
        {
            last = ValidateWith(chain, anchor, at, context);
            if (last.Failure == ClientFailure.None)
            {
                return last;
            }
        }
        return last ?? new Decision(ClientFailure.NoPath, ClientMessages.JavaValidationPrefix + ClientMessages.JavaNoTrustAnchor, null, null);
    }

    /// <summary>The extensions the PKIX checkers resolve: KeyChecker (key usage, EKU, SAN), ConstraintsChecker (basic
    /// and name constraints), PolicyChecker (policies, mappings, policy constraints, inhibitAnyPolicy).</summary>
    private static readonly HashSet<string> ProcessedCriticalExtensions = new(StringComparer.Ordinal)
    {
        "2.5.29.15", "2.5.29.37", "2.5.29.17", "2.5.29.19", "2.5.29.30", "2.5.29.32", "2.5.29.33", "2.5.29.36", "2.5.29.54",
    };

    private static Decision ValidateWith(IReadOnlyList<CertificateInfo> chain, CertificateInfo anchor, DateTimeOffset at, JavaContext context)
    {
        var jdkCa = PathSearch.IsJdkCa(anchor);
        var maxPathLength = chain.Count;
        // ConstraintsChecker.prevNC: the name constraints of the CAs above; the anchor's own are not used (JSSE
        // makes its TrustAnchor without name constraints).
        var nameConstraints = new List<NameConstraintSet>();
        var issuer = anchor;
        for (var k = chain.Count - 1; k >= 0; k--)
        {
            var cert = chain[k];
            var isTarget = k == 0;
            Decision Fail(ClientFailure f, string text) => new(f, ClientMessages.JavaValidationPrefix + text, null, cert);

            if (JavaAlgorithmChecker.Check(cert, issuer, jdkCa, at, context) is { } refused)
            {
                return Fail(ClientFailure.Algorithm, refused);
            }
            if (!isTarget)
            {
                // KeyChecker
                if (!cert.AllowsCertificateSigning)
                {
                    return Fail(ClientFailure.KeyUsage, "CA key usage check failed: keyCertSign bit is not set");
                }
                // ConstraintsChecker
                if (cert.IsCa != true)
                {
                    return Fail(ClientFailure.NotCa, "basic constraints check failed: this is not a CA certificate");
                }
                if (!cert.IsSelfIssued)
                {
                    if (maxPathLength <= 0)
                    {
                        return Fail(ClientFailure.PathLength, "basic constraints check failed: pathLenConstraint violated - this cert must be the last cert in the certification path");
                    }
                    maxPathLength--;
                }
                if (cert.PathLength is { } p && p < maxPathLength)
                {
                    maxPathLength = p;
                }
            }
            // ConstraintsChecker.verifyNameConstraints: every certificate below a constraining CA, except a
            // self-issued intermediate.
            if ((isTarget || !cert.IsSelfIssued) && nameConstraints.Any(nc => !JavaNameConstraints.Allows(nc, cert)))
            {
                return Fail(ClientFailure.NameConstraints, "name constraints check failed");
            }
            if (cert.NameConstraints is { } own)
            {
                nameConstraints.Add(own);
            }
            // BasicChecker: signature, validity, name chaining
            if (!cert.IsSignedBy(issuer))
            {
                return Fail(ClientFailure.Signature, "signature check failed");
            }
            if (!cert.IsValidAt(at))
            {
                return Fail(at > cert.NotAfter ? ClientFailure.Expired : ClientFailure.NotYetValid, "validity check failed");
            }
            if (!issuer.IsNamedAsIssuerOf(cert))
            {
                return Fail(ClientFailure.NoPath, "subject/issuer name chaining check failed");
            }
            // PKIXMasterCertPathValidator: after every checker has removed the extensions it processes.
            if (cert.CriticalExtensionOids.Any(oid => !ProcessedCriticalExtensions.Contains(oid)))
            {
                return Fail(ClientFailure.CriticalExtension, "unrecognized critical extension(s)");
            }
            issuer = cert;
        }
        return new Decision(ClientFailure.None, null, [.. chain, anchor], null);
    }
}

/// <summary>
/// OpenSSL 3's X509_verify_cert as s_client -verify_return_error stops at the first error: build the chain greedily
/// (trusted store first), then check extensions, security level, the host name, and last signatures and dates from
/// the top down.
/// </summary>
internal static class OpenSslVerify
{
    public sealed record Decision(int? Error, CertificateInfo? FailedAt, IReadOnlyList<CertificateInfo> Chain, bool ChainTrusted);

    public static Decision Decide(IReadOnlyList<CertificateInfo> sent, IReadOnlyList<CertificateInfo> trusted, bool partialChain, DateTimeOffset at, KeyPurpose purpose, HostNameCheck host)
    {
        var chain = new List<CertificateInfo> { sent[0] };
        var fromStore = new List<bool> { false };
        var trustedShas = trusted.Select(t => t.Sha256Hex).ToHashSet(StringComparer.Ordinal);
        var chainTrusted = false;
        var cur = sent[0];
        while (chain.Count <= PathSearch.MaxDepth)
        {
            if (trustedShas.Contains(cur.Sha256Hex) && (cur.IsSelfSigned || partialChain))
            {
                chainTrusted = true;
                break;
            }
            var issuer = FindIssuer(cur, trusted, chain, at);
            if (issuer is not null)
            {
                chain.Add(issuer);
                fromStore.Add(true);
                cur = issuer;
                continue;
            }
            if (cur.IsSelfSigned || fromStore[^1])
            {
                break;
            }
            issuer = FindIssuer(cur, sent.Skip(1).ToList(), chain, at);
            if (issuer is null)
            {
                break;
            }
            chain.Add(issuer);
            fromStore.Add(false);
            cur = issuer;
        }
        var n = chain.Count;
        var top = chain[^1];
        if (!chainTrusted)
        {
            var error = top.IsSelfSigned
                ? n == 1 ? OpenSslVerifyError.DepthZeroSelfSigned : OpenSslVerifyError.SelfSignedInChain
                : fromStore[^1] ? OpenSslVerifyError.UnableToGetIssuerCert : OpenSslVerifyError.UnableToGetIssuerCertLocally;
            return new Decision(error, top, chain, false);
        }
        // check_extensions
        for (var i = 1; i < n; i++)
        {
            var c = chain[i];
            if (c.IsCa != true && !(c.Version == 1 && c.IsSelfSigned))
            {
                return new Decision(OpenSslVerifyError.InvalidCa, c, chain, true);
            }
            var below = chain.Skip(1).Take(i - 1).Count(x => !x.IsSelfIssued);
            if (c.PathLength is { } p && below > p)
            {
                return new Decision(OpenSslVerifyError.PathLengthExceeded, c, chain, true);
            }
        }
        if (!chain[0].AllowsPurpose(purpose))
        {
            return new Decision(OpenSslVerifyError.InvalidPurpose, chain[0], chain, true);
        }
        // check_auth_level (security level 2)
        for (var i = 0; i < n; i++)
        {
            if (AlgorithmPolicy.RefusedKey(chain[i], ClientProfile.OpenSsl) is not null)
            {
                return new Decision(i == 0 ? OpenSslVerifyError.EeKeyTooSmall : OpenSslVerifyError.CaKeyTooSmall, chain[i], chain, true);
            }
            if ((i < n - 1 || !chain[i].IsSelfSigned) && AlgorithmPolicy.RefusedSignature(chain[i], ClientProfile.OpenSsl, false) is not null)
            {
                return new Decision(OpenSslVerifyError.CaMdTooWeak, chain[i], chain, true);
            }
        }
        // check_id
        if (host.Checked && !host.Matched)
        {
            return new Decision(host.Method == "ip-san" ? OpenSslVerifyError.IpAddressMismatch : OpenSslVerifyError.HostnameMismatch, chain[0], chain, true);
        }
        // internal_verify, from the top down
        for (var i = n - 1; i >= 0; i--)
        {
            var c = chain[i];
            if (i < n - 1 && !c.IsSignedBy(chain[i + 1]))
            {
                return new Decision(OpenSslVerifyError.CertSignatureFailure, c, chain, true);
            }
            if (at < c.NotBefore)
            {
                return new Decision(OpenSslVerifyError.CertNotYetValid, c, chain, true);
            }
            if (at > c.NotAfter)
            {
                return new Decision(OpenSslVerifyError.CertHasExpired, c, chain, true);
            }
        }
        return new Decision(null, null, chain, true);
    }

    /// <summary>X509_check_issued: the name and, when both are present, AKI = SKI; prefers a candidate valid at the time.</summary>
    private static CertificateInfo? FindIssuer(CertificateInfo cert, IReadOnlyList<CertificateInfo> pool, List<CertificateInfo> chain, DateTimeOffset at)
    {
        CertificateInfo? found = null;
        foreach (var c in pool)
        {
            if (!c.IsNamedAsIssuerOf(cert) || chain.Any(x => x.Sha256Hex == c.Sha256Hex))
            {
                continue;
            }
            if (cert.AuthorityKeyId is not null && c.SubjectKeyId is not null && cert.AuthorityKeyId != c.SubjectKeyId)
            {
                continue;
            }
            if (c.IsValidAt(at))
            {
                return c;
            }
            found ??= c;
        }
        return found;
    }
}
