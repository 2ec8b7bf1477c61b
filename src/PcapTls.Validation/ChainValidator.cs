namespace PcapTls.Validation;

/// <summary>
/// Decides whether a client would trust a chain, and explains it: builds the path itself (see <see cref="PathSearch"/>),
/// predicts the client's exact message and alert, and turns the result into cause codes with evidence and a fix.
/// No AIA fetching and no revocation checking: the verdict says so in its notes.
/// </summary>
public static class ChainValidator
{
    private const string NoNetworkNote = "intermediates come only from the certificates the server sent: no AIA fetching, and no revocation (CRL/OCSP) check";

    public static ChainVerdict Validate(ValidationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var sent = request.Chain.Select(CertificateInfo.Parse).ToList();
        var store = request.TrustStore;
        var profile = request.Profile;
        var tls = request.TlsVersion ?? 0x0303;
        var comparison = Compare(sent, store);
        var notes = new List<string> { NoNetworkNote };
        notes.AddRange(store.Warnings);
        if (profile == ClientProfile.Java && request.JavaSecurity.Source is { } securityFile)
        {
            notes.Add($"Java security properties from {Path.GetFileName(securityFile)} over the JDK 17 defaults"
                + (request.JavaSecurity.NotModelled.Count > 0 ? $"; not modelled: {string.Join(", ", request.JavaSecurity.NotModelled)}" : ""));
        }

        if (sent.Count == 0 || !sent[0].IsParsed)
        {
            var failure = sent.Count == 0 ? ClientFailure.EmptyChain : ClientFailure.Unparsable;
            var what = sent.Count == 0 ? "The server sent an empty certificate chain" : "The server's certificate does not parse";
            return new ChainVerdict
            {
                Trusted = false,
                Profile = profile,
                At = request.At,
                Sent = sent,
                Comparison = comparison,
                Failure = failure,
                Explanation = new PathExplanation(null, notes),
                ClientMessage = profile == ClientProfile.Java
                    ? ClientMessages.JavaMessage(sent.Count == 0 ? "Empty server certificate chain" : "Failed to parse server certificates", ClientMessages.Alert(profile, failure, tls, null, request.Java), failure, request.Java)
                    : sent.Count == 0 ? "Empty server certificate chain" : "Failed to parse server certificates",
                PredictedAlert = ClientMessages.Alert(profile, failure, tls, null, request.Java),
                Findings = [new Finding(CauseCode.ClientRejectedCertificate, what, sent.Count == 0 ? "Certificate message with no certificate" : $"certificate #1: {sent[0].ParseError}",
                    "Fix the server's certificate configuration.", Certainty.High)],
            };
        }

        var sentDistinct = new List<(CertificateInfo, string)>();
        var duplicates = new List<CertificateInfo>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < sent.Count; i++)
        {
            if (!sent[i].IsParsed)
            {
                notes.Add($"certificate #{i + 1} does not parse ({sent[i].ParseError}); ignored");
                continue;
            }
            if (!seen.Add(sent[i].Sha256Hex))
            {
                duplicates.Add(sent[i]);
                continue;
            }
            sentDistinct.Add((sent[i], $"sent #{i + 1}"));
        }
        var parsedChain = sent.Where(c => c.IsParsed).ToList();
        var anchorEntries = store.Entries.Where(e => e.Certificate.IsParsed && (profile != ClientProfile.Java || e.VisibleToJava)).ToList();
        var trusted = anchorEntries.Select(e => (e.Certificate, $"truststore '{e.Alias}'")).ToList();
        var anchors = anchorEntries.Select(e => e.Certificate).ToList();

        var java = new JavaContext(request.JavaSecurity, tls, request.Purpose);
        var search = new PathSearch(sentDistinct, trusted, profile, request.AllowPartialChain, request.At, java);
        var tree = search.Search(sent[0], "sent #1");
        if (search.LimitHit)
        {
            notes.Add($"the search stopped after {PathSearch.MaxNodes} candidates; the explanation is partial");
        }
        var host = HostNameMatcher.Check(sent[0], request.HostName, profile);

        ClientFailure failure1;
        string? message;
        IReadOnlyList<CertificateInfo>? path;
        int? opensslError = null;
        CertificateInfo? failedAt = null;
        if (anchors.Count == 0)
        {
            failure1 = ClientFailure.EmptyAnchors;
            message = profile == ClientProfile.Java ? ClientMessages.JavaEmptyAnchors : OpenSslVerifyError.Text(OpenSslVerifyError.UnableToGetIssuerCertLocally);
            opensslError = profile != ClientProfile.Java ? OpenSslVerifyError.UnableToGetIssuerCertLocally : null;
            message = profile == ClientProfile.Curl ? CurlMessages.VerifyFailed(message) : message;
            path = null;
        }
        else if (profile == ClientProfile.Java && sent.Count > JavaRelease.DefaultMaxCertificateChainLength)
        {
            // CertificateMessage: the Certificate message is refused while it is parsed, before any validation.
            failure1 = ClientFailure.ChainTooLong;
            message = ClientMessages.JavaChainTooLong(JavaRelease.DefaultMaxCertificateChainLength + 1, JavaRelease.DefaultMaxCertificateChainLength);
            path = null;
        }
        else if (profile == ClientProfile.Java)
        {
            var d = JavaPkix.Decide(parsedChain, anchors, search, tree, request.At, java);
            (failure1, message, path, failedAt) = (d.Failure, d.Message, d.Path, d.FailedAt);
            if (failure1 == ClientFailure.None && host.Checked && !host.Matched)
            {
                failure1 = ClientFailure.HostName;
                message = host.ClientMessage;
            }
        }
        else
        {
            var curl = profile == ClientProfile.Curl;
            // curl gives OpenSSL no host name: it checks the name itself once the handshake is done.
            var noHostCheck = new HostNameCheck(null, false, true, "none", [], null, "checked by curl after the handshake");
            var d = OpenSslVerify.Decide(parsedChain, anchors, request.AllowPartialChain || curl, request.At, request.Purpose, curl ? noHostCheck : host);
            opensslError = d.Error;
            failedAt = d.FailedAt;
            failure1 = d.Error switch
            {
                null => ClientFailure.None,
                OpenSslVerifyError.HostnameMismatch or OpenSslVerifyError.IpAddressMismatch => ClientFailure.HostName,
                OpenSslVerifyError.CertHasExpired => ClientFailure.Expired,
                OpenSslVerifyError.CertNotYetValid => ClientFailure.NotYetValid,
                OpenSslVerifyError.CertSignatureFailure => ClientFailure.Signature,
                OpenSslVerifyError.InvalidCa => ClientFailure.NotCa,
                OpenSslVerifyError.PathLengthExceeded => ClientFailure.PathLength,
                OpenSslVerifyError.InvalidPurpose => ClientFailure.ExtendedKeyUsage,
                OpenSslVerifyError.EeKeyTooSmall or OpenSslVerifyError.CaKeyTooSmall or OpenSslVerifyError.CaMdTooWeak => ClientFailure.Algorithm,
                _ => ClientFailure.NoPath,
            };
            message = d.Error is { } e ? OpenSslVerifyError.Text(e) : null;
            if (curl)
            {
                message = message is null ? null : CurlMessages.VerifyFailed(message);
                if (d.Error is null && host.Checked && !host.Matched)
                {
                    failure1 = ClientFailure.HostName;
                    message = CurlMessages.HostMismatch(sent[0], host);
                }
            }
            path = d.Error is null ? d.Chain : d.ChainTrusted ? d.Chain : null;
            if (failure1 != ClientFailure.None && failure1 != ClientFailure.HostName)
            {
                path = failure1 is ClientFailure.NoPath ? null : path;
            }
        }
        var trustedResult = failure1 == ClientFailure.None;
        var alert = ClientMessages.Alert(profile, failure1, tls, opensslError, request.Java, message);
        IReadOnlyList<string> javaChain = [];
        if (profile == ClientProfile.Java && message is not null && !trustedResult)
        {
            var thrown = message;
            message = ClientMessages.JavaMessage(message, alert, failure1, request.Java);
            javaChain = JavaExceptionChain.Predict(failure1, message!, thrown, failedAt);
        }
        var validPath = trustedResult || failure1 == ClientFailure.HostName ? path : null;

        var analysis = new FindingBuilder(request, sent, store, anchors, tree, host, failure1, failedAt, message);
        var findings = trustedResult ? [] : analysis.Build();
        var quality = Quality(sent, sentDistinct.Select(s => s.Item1).ToList(), duplicates, validPath, anchors, request.At, findings, search);

        return new ChainVerdict
        {
            Trusted = trustedResult,
            Profile = profile,
            At = request.At,
            Findings = findings,
            ClientMessage = trustedResult ? null : message,
            PredictedAlert = alert,
            JavaCauseChain = javaChain,
            JavaRelease = request.Java,
            OpenSslErrorNumber = opensslError,
            Failure = failure1,
            Sent = sent,
            Path = validPath,
            Explanation = new PathExplanation(tree, notes),
            Quality = quality,
            Comparison = comparison,
            NeededInTrustStore = analysis.Needed,
            HostName = host,
        };
    }

    private static ChainQuality Quality(IReadOnlyList<CertificateInfo> sent, List<CertificateInfo> distinct, List<CertificateInfo> duplicates,
        IReadOnlyList<CertificateInfo>? path, IReadOnlyList<CertificateInfo> anchors, DateTimeOffset at, IReadOnlyList<Finding> findings, PathSearch search)
    {
        // The certificates the server should send: the leaf and, following issuer names and signatures among what it sent, its issuers.
        var ordered = new List<CertificateInfo> { distinct[0] };
        while (true)
        {
            var cur = ordered[^1];
            if (cur.IsSelfSigned)
            {
                break;
            }
            var next = (path is not null && path.Count > ordered.Count && distinct.Any(d => d.Sha256Hex == path[ordered.Count].Sha256Hex)
                    ? path[ordered.Count]
                    : null)
                ?? distinct.FirstOrDefault(d => !ordered.Contains(d) && d.IsNamedAsIssuerOf(cur) && cur.IsSignedBy(d));
            if (next is null || ordered.Any(o => o.Sha256Hex == next.Sha256Hex))
            {
                break;
            }
            ordered.Add(next);
        }
        var extra = distinct.Where(d => !ordered.Any(o => o.Sha256Hex == d.Sha256Hex)).ToList();
        // In order = the path's certificates come first, each followed by its issuer (extras may only trail).
        var wrongOrder = !distinct.Take(ordered.Count).Select(c => c.Sha256Hex).SequenceEqual(ordered.Select(c => c.Sha256Hex));
        var anchorShas = anchors.Select(a => a.Sha256Hex).ToHashSet(StringComparer.Ordinal);
        var anchorIncluded = distinct.Skip(1).Any(d => d.IsSelfSigned || anchorShas.Contains(d.Sha256Hex) && path is not null && path[^1].Sha256Hex == d.Sha256Hex);
        var soon = distinct.Concat(path is { Count: > 0 } ? [path[^1]] : Array.Empty<CertificateInfo>())
            .DistinctBy(c => c.Sha256Hex)
            .Where(c => c.IsValidAt(at) && c.NotAfter - at <= TimeSpan.FromDays(ChainQuality.ExpiringSoonDays)).ToList();
        var weak = distinct.Select(AlgorithmPolicy.Weakness).OfType<string>().ToList();
        var incomplete = findings.Any(f => f.Code == CauseCode.IncompleteChain);
        _ = sent;
        _ = search;
        return new ChainQuality(incomplete, extra, duplicates, wrongOrder, anchorIncluded, soon, weak);
    }

    private static TrustStoreComparison Compare(IReadOnlyList<CertificateInfo> sent, TrustStore store)
    {
        var rows = new List<TrustStoreComparisonRow>();
        for (var i = 0; i < sent.Count; i++)
        {
            var c = sent[i];
            if (!c.IsParsed)
            {
                rows.Add(new TrustStoreComparisonRow(i, c, TrustStoreMatch.None, null, null, [], [], null));
                continue;
            }
            var bySha = store.Entries.FirstOrDefault(e => e.Certificate.Sha256Hex == c.Sha256Hex);
            var bySpki = store.Entries.FirstOrDefault(e => e.Certificate.SpkiSha256Hex == c.SpkiSha256Hex);
            var bySubject = store.Entries.Where(e => e.Certificate.HasSameSubject(c)).ToList();
            var issuerByName = store.Entries.Where(e => e.Certificate.IsNamedAsIssuerOf(c) && e.Certificate.Sha256Hex != c.Sha256Hex).ToList();
            var verifying = issuerByName.FirstOrDefault(e => c.IsSignedBy(e.Certificate));
            var match = bySha is not null ? TrustStoreMatch.SameCertificate
                : bySpki is not null && bySubject.Any(e => e.Certificate.SpkiSha256Hex == c.SpkiSha256Hex) ? TrustStoreMatch.SameSubjectAndKey
                : bySpki is not null ? TrustStoreMatch.SameKey
                : bySubject.Count > 0 ? TrustStoreMatch.SameSubjectDifferentKey
                : verifying is not null ? TrustStoreMatch.IssuerTrusted
                : issuerByName.Count > 0 ? TrustStoreMatch.IssuerNameOnly
                : TrustStoreMatch.None;
            rows.Add(new TrustStoreComparisonRow(i, c, match, bySha, bySpki, bySubject, issuerByName, verifying));
        }
        return new TrustStoreComparison(store.Source, store.Entries.Count, store.JavaVisibleCount, rows);
    }
}
