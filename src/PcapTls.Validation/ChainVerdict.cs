using System.Text;

namespace PcapTls.Validation;

/// <summary>What to validate: the certificates as the server sent them (leaf first), against a truststore, at a time.</summary>
public sealed record ValidationRequest(
    IReadOnlyList<byte[]> Chain,
    TrustStore TrustStore,
    string? HostName,
    DateTimeOffset At,
    ClientProfile Profile = ClientProfile.Java,
    KeyPurpose Purpose = KeyPurpose.ServerAuth)
{
    /// <summary>The negotiated TLS version (wire value, 0x0303 = TLS 1.2, 0x0304 = TLS 1.3); the alert Java sends depends on it. Null = TLS 1.2.</summary>
    public ushort? TlsVersion { get; init; }

    /// <summary>Java profile: which JDK release's messages and alerts to predict (they changed within JDK 17).</summary>
    public JavaRelease Java { get; init; } = JavaRelease.Default;

    /// <summary>Java profile: the security properties (JDK 17 defaults, or an override file's) the checks apply.</summary>
    public JavaSecurity JavaSecurity { get; init; } = JavaSecurity.Jdk17;

    /// <summary>OpenSSL profile only: accept a trusted certificate that is not self-signed as the anchor (X509_V_FLAG_PARTIAL_CHAIN).</summary>
    public bool AllowPartialChain { get; init; }
}

/// <summary>One reason the chain is not trusted, in the product's cause codes.</summary>
public sealed record Finding(CauseCode Code, string Summary, string Evidence, string Fix, Certainty Certainty);

/// <summary>Why a candidate issuer was not used.</summary>
public enum IssuerRejection
{
    /// <summary>Used: it is on the path.</summary>
    None,
    /// <summary>Its public key does not verify the signature (same name, different key: an impostor or a re-keyed CA).</summary>
    SignatureMismatch,
    NotCa,
    PathLengthExceeded,
    KeyUsageNoCertSign,
    Expired,
    NotYetValid,
    AlgorithmDisabled,
    /// <summary>It was already on the path below (a loop in cross-signed chains).</summary>
    Loop,
    /// <summary>Usable itself, but no path goes on from it to a trust anchor.</summary>
    NoPathAbove,
    /// <summary>OpenSSL profile: a trusted certificate that is not self-signed is not an anchor without partial-chain.</summary>
    AnchorNotSelfSigned,
    /// <summary>The search stopped (path too long or too many candidates).</summary>
    SearchLimit,
}

/// <summary>One candidate issuer tried for a certificate, and what happened.</summary>
public sealed record IssuerAttempt(CertificateInfo Candidate, string Origin, bool Trusted, IssuerRejection Rejection, string Reason, PathNode? Continuation)
{
    public bool Accepted => Rejection == IssuerRejection.None;
}

/// <summary>A certificate in the explanation tree, with the issuers tried for it.</summary>
public sealed class PathNode
{
    internal PathNode(CertificateInfo certificate, string origin)
    {
        Certificate = certificate;
        Origin = origin;
    }

    public CertificateInfo Certificate { get; }
    /// <summary>"sent #2", "truststore 'alias'".</summary>
    public string Origin { get; }
    /// <summary>The path ends here: this certificate is trusted.</summary>
    public bool IsAnchor { get; internal set; }
    /// <summary>A problem of the certificate itself (expired, weak key), or why no issuer was found.</summary>
    public string? Problem { get; internal set; }
    public IssuerRejection ProblemKind { get; internal set; }
    /// <summary>No certificate with the issuer's name was found at all (sent or trusted).</summary>
    public bool IssuerNotFound { get; internal set; }
    public IReadOnlyList<IssuerAttempt> Attempts => AttemptList;
    public bool LeadsToAnchor { get; internal set; }
    internal List<IssuerAttempt> AttemptList { get; } = [];
}

/// <summary>The search tree: for each certificate, the issuers tried and why each was rejected.</summary>
public sealed class PathExplanation
{
    private readonly (string From, string To)? _retimed;

    internal PathExplanation(PathNode? root, IReadOnlyList<string> notes, (string From, string To)? retimed = null)
    {
        Root = root;
        Notes = notes;
        _retimed = retimed;
    }

    /// <summary>The same tree quoting another validation time (see <see cref="ChainVerdict.SeenAt"/>).</summary>
    internal PathExplanation Retimed(string from, string to) => new(Root, Notes, (from, to));

    public PathNode? Root { get; }
    /// <summary>What the search did not do (no AIA fetching, no revocation) and other remarks.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The tree as indented text (one certificate or attempt per line).</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        if (Root is not null)
        {
            RenderNode(sb, Root, 0);
        }
        foreach (var n in Notes)
        {
            sb.Append("note: ").Append(n).Append('\n');
        }
        if (_retimed is { } r)
        {
            sb.Replace(r.From, r.To);
        }
        return sb.ToString();
    }

    private static void RenderNode(StringBuilder sb, PathNode node, int depth)
    {
        var pad = new string(' ', depth * 2);
        sb.Append(pad).Append(node.Certificate.Subject).Append(" [").Append(node.Origin).Append(']');
        if (node.IsAnchor)
        {
            sb.Append(" <- trust anchor");
        }
        sb.Append('\n');
        if (node.Problem is not null)
        {
            sb.Append(pad).Append("  ! ").Append(node.Problem).Append('\n');
        }
        foreach (var a in node.Attempts)
        {
            sb.Append(pad).Append("  issuer candidate ").Append(a.Candidate.Subject).Append(" [").Append(a.Origin).Append("]: ")
              .Append(a.Accepted ? "ok" : "rejected, " + a.Reason).Append('\n');
            if (a.Continuation is { IsAnchor: false } next)
            {
                RenderNode(sb, next, depth + 2);
            }
        }
    }
}

/// <summary>Chain quality, in the SSL Labs sense.</summary>
public sealed record ChainQuality(
    bool Incomplete,
    IReadOnlyList<CertificateInfo> Extra,
    IReadOnlyList<CertificateInfo> Duplicates,
    bool WrongOrder,
    bool AnchorIncluded,
    IReadOnlyList<CertificateInfo> ExpiringSoon,
    IReadOnlyList<string> Weak)
{
    public const int ExpiringSoonDays = 30;

    /// <summary>One line per issue, empty when the chain is clean.</summary>
    public IReadOnlyList<string> Issues
    {
        get
        {
            var list = new List<string>();
            if (Incomplete)
            {
                list.Add("incomplete: the server does not send the intermediate certificate(s) needed");
            }
            list.AddRange(Extra.Select(c => $"extra certificate not on the path: {c.Subject}"));
            list.AddRange(Duplicates.Select(c => $"duplicate certificate: {c.Subject}"));
            if (WrongOrder)
            {
                list.Add("wrong order: the certificates are not sent leaf first, each followed by its issuer");
            }
            if (AnchorIncluded)
            {
                list.Add("anchor included: the server sends a self-signed or trusted root (harmless, wasted bytes)");
            }
            list.AddRange(ExpiringSoon.Select(c => $"expires soon: {c.Subject} on {c.NotAfter:yyyy-MM-dd HH:mm:ss}Z"));
            list.AddRange(Weak);
            return list;
        }
    }
}

public enum TrustStoreMatch
{
    /// <summary>The very certificate is in the truststore (same SHA-256).</summary>
    SameCertificate,
    /// <summary>A different certificate with the same subject and key (a re-issued CA certificate): Java treats it as trusted.</summary>
    SameSubjectAndKey,
    /// <summary>Same public key, different subject.</summary>
    SameKey,
    /// <summary>Same subject, different key: looks identical by name, but does not verify anything this certificate verifies.</summary>
    SameSubjectDifferentKey,
    /// <summary>Not in the truststore, but its issuer is, and the issuer's key verifies it.</summary>
    IssuerTrusted,
    /// <summary>A truststore entry has the issuer's name but its key does not verify this certificate.</summary>
    IssuerNameOnly,
    None,
}

/// <summary>One sent certificate against the truststore, matched by SHA-256, by public key (SPKI) and by subject.</summary>
public sealed record TrustStoreComparisonRow(
    int Index,
    CertificateInfo Sent,
    TrustStoreMatch Match,
    TrustStoreEntry? BySha256,
    TrustStoreEntry? BySpki,
    IReadOnlyList<TrustStoreEntry> BySubject,
    IReadOnlyList<TrustStoreEntry> IssuerByName,
    TrustStoreEntry? VerifyingIssuer);

public sealed record TrustStoreComparison(string TrustStoreSource, int EntryCount, int JavaVisibleCount, IReadOnlyList<TrustStoreComparisonRow> Rows);

/// <summary>The host name check: what was compared and why it matched or not.</summary>
public sealed record HostNameCheck(
    string? Host,
    bool Checked,
    bool Matched,
    string Method,
    IReadOnlyList<string> Presented,
    string? MatchedName,
    string Explanation)
{
    /// <summary>The client's message when the name does not match (Java's CertificateException text or OpenSSL's verify error).</summary>
    public string? ClientMessage { get; init; }
}

/// <summary>The decision on one chain, with everything needed to explain it.</summary>
public sealed class ChainVerdict
{
    internal ChainVerdict() { }

    /// <summary>The whole decision: a valid path to an anchor AND the host name (when one was given) matches.</summary>
    public bool Trusted { get; internal init; }
    /// <summary>Java profile, not trusted: the exception and each "Caused by:" under it, "class: message", outermost first.</summary>
    public IReadOnlyList<string> JavaCauseChain { get; internal init; } = [];

    public ClientProfile Profile { get; internal init; }
    public DateTimeOffset At { get; internal init; }
    /// <summary>Causes, most important first (the first one is what the client's message is about).</summary>
    public IReadOnlyList<Finding> Findings { get; internal init; } = [];
    /// <summary>The exact text the Java client (or OpenSSL's verify) would print; null when trusted.</summary>
    public string? ClientMessage { get; internal init; }
    /// <summary>The TLS alert the client would send for the request's TLS version; null when trusted.</summary>
    public byte? PredictedAlert { get; internal init; }
    public IReadOnlyList<CertificateInfo> Sent { get; internal init; } = [];
    /// <summary>The valid path found, leaf first, anchor last; null when none.</summary>
    public IReadOnlyList<CertificateInfo>? Path { get; internal init; }
    public PathExplanation Explanation { get; internal init; } = new(null, []);
    public ChainQuality Quality { get; internal init; } = new(false, [], [], false, false, [], []);
    public TrustStoreComparison Comparison { get; internal init; } = new("", 0, 0, []);
    /// <summary>Exactly the certificates to import into the truststore to fix it (empty when none or unknown).</summary>
    public IReadOnlyList<CertificateInfo> NeededInTrustStore { get; internal init; } = [];
    public HostNameCheck HostName { get; internal init; } = new(null, false, true, "none", [], null, "no host name given");
    /// <summary>OpenSSL's verify error number (X509_V_ERR_*), OpenSSL profile only.</summary>
    public int? OpenSslErrorNumber { get; internal init; }

    internal ClientFailure Failure { get; init; } = ClientFailure.None;

    /// <summary>The alert the client would send in the given TLS version (0x0303, 0x0304): Java picks by reason only in TLS 1.2.</summary>
    public byte? PredictAlert(ushort tlsVersion) => ClientMessages.Alert(Profile, Failure, tlsVersion, OpenSslErrorNumber, JavaRelease, ClientMessage);

    /// <summary>The JDK release whose messages and alerts were predicted (Java profile).</summary>
    public JavaRelease JavaRelease { get; internal init; } = JavaRelease.Default;

    /// <summary>
    /// The same decision seen at another instant of its validity window. <see cref="ValidationCache"/> keeps one verdict
    /// per window, but its texts quote the time it was made ("NotAfter ... is before the validation time ..."): each
    /// handshake must quote its own time, whichever handshake happened to be validated first (with several pipelines,
    /// which one that is depends on the threads).
    /// </summary>
    internal ChainVerdict SeenAt(DateTimeOffset at)
    {
        var from = PathSearch.Stamp(At);
        var to = PathSearch.Stamp(at);
        if (from == to)
        {
            return this;
        }
        var findings = new Finding[Findings.Count];
        for (var i = 0; i < findings.Length; i++)
        {
            var f = Findings[i];
            findings[i] = f with { Summary = f.Summary.Replace(from, to, StringComparison.Ordinal), Evidence = f.Evidence.Replace(from, to, StringComparison.Ordinal) };
        }
        return new ChainVerdict
        {
            Trusted = Trusted,
            Profile = Profile,
            At = at,
            Findings = findings,
            ClientMessage = ClientMessage?.Replace(from, to, StringComparison.Ordinal),
            PredictedAlert = PredictedAlert,
            JavaCauseChain = Retime(JavaCauseChain, from, to),
            JavaRelease = JavaRelease,
            Sent = Sent,
            Path = Path,
            Explanation = Explanation.Retimed(from, to),
            Quality = Quality,
            Comparison = Comparison,
            NeededInTrustStore = NeededInTrustStore,
            HostName = HostName,
            OpenSslErrorNumber = OpenSslErrorNumber,
            Failure = Failure,
        };
    }

    private static string[] Retime(IReadOnlyList<string> texts, string from, string to)
    {
        var retimed = new string[texts.Count];
        for (var i = 0; i < retimed.Length; i++)
        {
            retimed[i] = texts[i].Replace(from, to, StringComparison.Ordinal);
        }
        return retimed;
    }
}
