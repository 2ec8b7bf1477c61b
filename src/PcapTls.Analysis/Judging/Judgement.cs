using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>
/// What the judge decided about one handshake, as typed facts: the outcome, the rule that decided it, and the causes
/// with the observations they rest on. It holds no English: <see cref="OutcomeWording"/> and <see cref="CauseWording"/>
/// turn it into the report's sentences.
/// </summary>
/// <param name="Alert">The alert the outcome quotes (an abort), if any.</param>
/// <param name="Teardown">The FIN/RST the outcome quotes, if any.</param>
internal sealed record Judgement(
    HandshakeOutcome Outcome,
    OutcomeReason Reason,
    IReadOnlyList<CauseFact> Causes,
    AlertSeen? Alert = null,
    ControlSeen? Teardown = null);

/// <summary>The rule that decided a handshake's outcome (one sentence of <see cref="OutcomeWording"/> each).</summary>
internal enum OutcomeReason
{
    // Before any TLS.
    ProxyRefusedTunnel,
    ServerRefusedUpgrade,

    // Before a ServerHello.
    PlaintextAnswerToHello,
    PlaintextPeer,
    SnapLengthCutHandshake,
    CaptureLostStart,
    CaptureStartsAfterHandshake,
    ServerRefusedHello,
    ServerReplyNotCaptured,
    ServerClosedWithoutHello,
    ServerNeverAnswered,
    ServerReplyUndecodable,

    // Either version.
    ClientAborted,
    ServerAborted,
    CaptureGap,
    CaptureEnded,
    ConnectionEnded,

    // TLS 1.2 (and older).
    SessionResumed,
    SessionResumedPsk,
    ClientAbortedOversizeCertificate,
    ClientRejectedAfterCompletedTls12,
    BothFinished,
    ClientClosedAfterCertificate,
    ServerClosedMidHandshake,

    // TLS 1.3 without keys (record sizes and directions only).
    ClientAbortedAfterEncryptedFlight,
    ServerAbortedEncrypted,
    ServerAbortedAfterClientFinished,
    ClientClosedRightAfterHandshake,
    CompletedByRecordSizes,

    // TLS 1.3 with keys.
    ClientRejectedAfterCompletedTls13,
    ClientFinished,
    ClientClosedAfterCertificateUnreadable,
    ClientEncryptedAlertWithoutKey,
}

/// <summary>The kind of a cause: which facts it rests on and which sentences <see cref="CauseWording"/> says.</summary>
internal enum CauseKind
{
    /// <summary>An HTTP CONNECT or SOCKS proxy refused the tunnel (<see cref="HandshakeObservation.Refusal"/>).</summary>
    ProxyRefused,
    /// <summary>The server refused the switch to TLS (<see cref="HandshakeObservation.Refusal"/>).</summary>
    UpgradeRefused,
    /// <summary>A ClientHello answered in plaintext.</summary>
    PlaintextServer,
    /// <summary>Plaintext and no ClientHello, on a TLS port.</summary>
    PlaintextConnection,
    /// <summary>No hello from either side in the capture.</summary>
    NoClientHello,
    ServerReplyMissing,
    ServerReplyUndecodable,
    /// <summary>A gap in a TLS 1.2 handshake.</summary>
    HandshakeGap,
    /// <summary>A gap in a TLS 1.3 handshake.</summary>
    HandshakeGapTls13,
    CaptureEndsInHandshake,
    CaptureEndsBeforeClientAnswer,
    /// <summary>A fatal server alert and no ServerHello.</summary>
    ServerRejectedHello,
    /// <summary>A fatal server alert after the ServerHello, no client authentication involved.</summary>
    ServerAborted,
    NoServerAnswer,
    ServerClosedMidHandshake,
    /// <summary>TLS 1.3 without a key log: the chain is hidden; <see cref="HiddenChainEvent"/> says what was seen.</summary>
    ChainHidden,
    ClientAbortedBeforeCertificate,
    /// <summary>The client rejected a chain that validates here.</summary>
    ChainTrustedHere,
    /// <summary>The client rejected the chain; the verdict has no finding to explain it.</summary>
    ChainRejectedUnexplained,
    /// <summary>One finding of the chain's verdict.</summary>
    ChainFinding,
    ClientCertificateMissing,
    ClientCertificateRejected,
    JavaHandshakeLimit,
}

/// <summary>What a TLS 1.3 connection without keys showed, in place of the hidden chain.</summary>
internal enum HiddenChainEvent
{
    ClientPlaintextAlertAfterFlight,
    ClientAlertSizedRecordAfterFlight,
    ClientTeardownAfterFlight,
    ServerAlert,
    ServerAlertAfterClientFinished,
    ClientClosedAfterHandshake,
    ClientAlert,
    ClientAborted,
}

/// <summary>One cause, as facts: its kind and the observations it quotes (which are set depends on the kind).</summary>
/// <param name="Alert">The alert quoted (the client's or the server's, per kind).</param>
/// <param name="Teardown">The FIN/RST quoted.</param>
/// <param name="Record">The encrypted record quoted (TLS 1.3 without keys).</param>
/// <param name="Finding">The verdict's finding (<see cref="CauseKind.ChainFinding"/>).</param>
/// <param name="SnapLength">The snapshot length that cut the packets, when the capture was cut.</param>
/// <param name="Side">The connection side quoted (plaintext causes).</param>
internal sealed record CauseFact(
    CauseKind Kind,
    AlertSeen? Alert = null,
    ControlSeen? Teardown = null,
    RecordSeen? Record = null,
    HiddenChainEvent Hidden = default,
    Finding? Finding = null,
    int? SnapLength = null,
    int Side = -1,
    bool AfterCompletion = false)
{
    /// <summary>The report's cause code for this kind.</summary>
    public CauseCode Code => Kind switch
    {
        CauseKind.PlaintextServer or CauseKind.PlaintextConnection => CauseCode.NotTls,
        CauseKind.ProxyRefused => CauseCode.ProxyRefused,
        CauseKind.UpgradeRefused => CauseCode.UpgradeRefused,
        CauseKind.NoClientHello or CauseKind.ServerReplyMissing or CauseKind.ServerReplyUndecodable or CauseKind.HandshakeGap
            or CauseKind.HandshakeGapTls13 or CauseKind.CaptureEndsInHandshake or CauseKind.CaptureEndsBeforeClientAnswer => CauseCode.CaptureIncomplete,
        CauseKind.ServerRejectedHello or CauseKind.ServerAborted => CauseCode.ServerRejectedHello,
        CauseKind.NoServerAnswer or CauseKind.ServerClosedMidHandshake => CauseCode.NoServerResponse,
        CauseKind.ChainHidden => CauseCode.CertificateNotVisible,
        CauseKind.ClientAbortedBeforeCertificate or CauseKind.ChainTrustedHere or CauseKind.ChainRejectedUnexplained => CauseCode.ClientRejectedCertificate,
        CauseKind.ChainFinding => Finding!.Code,
        CauseKind.ClientCertificateMissing => CauseCode.ClientCertificateMissing,
        CauseKind.ClientCertificateRejected => CauseCode.ClientCertificateRejected,
        CauseKind.JavaHandshakeLimit => CauseCode.JavaHandshakeLimit,
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "no cause code for this kind"),
    };
}
