using PcapTls.Analysis;
using PcapTls.Flows;
using PcapTls.Tls;
using PcapTls.Validation;
using static PcapTls.Analysis.Tests.Judging.JudgeScenario;

namespace PcapTls.Analysis.Tests.Judging;

/// <summary>
/// The judge's rules, one row each: the facts of a connection in, the judgement out (outcome, the rule that decided
/// it, and each cause's kind). Together the rows cover every <see cref="HandshakeOutcome"/>, <see cref="OutcomeReason"/>,
/// <see cref="CauseKind"/> and <see cref="HiddenChainEvent"/> (checked below), and each row's judgement is worded
/// by the catalogue, so a value without wording fails here.
/// </summary>
[TestClass]
public sealed class JudgeRuleTests
{
    private const ushort Tls12 = 0x0303;
    private const ushort Tls13 = 0x0304;

    /// <param name="Hidden">For a <see cref="CauseKind.ChainHidden"/> cause: what the connection showed instead.</param>
    private sealed record Row(string Name, Func<JudgeScenario> Scenario, Func<ChainVerdict?> Verdict, HandshakeOutcome Outcome,
        OutcomeReason Reason, CauseKind[] Causes, HiddenChainEvent? Hidden = null, CauseCode? FirstCode = null);

    private static ChainVerdict LeafOnly() => JudgeScenario.Verdict(Host, "backend.pem");

    private static ChainVerdict FullChain() => JudgeScenario.Verdict(Host, "backend.pem", "intermediate.pem");

    private static ChainVerdict? None() => null;

    private static JudgeScenario Hello() => new JudgeScenario().Packet(1).ClientHello();

    private static JudgeScenario Tls12Flight(params string[] chain) => Hello().ServerHello(Tls12).ServerCertificate(chain.Length > 0 ? chain : ["backend.pem"]);

    private static JudgeScenario Tls13NoKeys() => Hello().ServerHello(Tls13).Encrypted(ServerSide, 2400, 6);

    private static JudgeScenario Tls13Keys() => Hello().Keys().ServerHello(Tls13).ServerCertificate("backend.pem").Encrypted(ServerSide, 2400, 6);

    private static readonly Row[] Rows =
    [
        // Before any TLS.
        new("proxy refuses the tunnel", () => new JudgeScenario().Refused("HTTP CONNECT", "HTTP/1.1 407 Proxy Authentication Required", 5), None,
            HandshakeOutcome.Refused, OutcomeReason.ProxyRefusedTunnel, [CauseKind.ProxyRefused], FirstCode: CauseCode.ProxyRefused),
        new("server refuses STARTTLS", () => new JudgeScenario().Refused("SMTP", "454 4.7.0 TLS not available", 5), None,
            HandshakeOutcome.Refused, OutcomeReason.ServerRefusedUpgrade, [CauseKind.UpgradeRefused], FirstCode: CauseCode.UpgradeRefused),

        // Before a ServerHello.
        new("plaintext answer to a ClientHello", () => Hello().Plaintext(ServerSide, "HTTP/1.1 400 Bad Request", 6), None,
            HandshakeOutcome.NotTls, OutcomeReason.PlaintextAnswerToHello, [CauseKind.PlaintextServer]),
        new("plaintext on a TLS port", () => new JudgeScenario().Plaintext(ClientSide, "GET / HTTP/1.1", 4), None,
            HandshakeOutcome.NotTls, OutcomeReason.PlaintextPeer, [CauseKind.PlaintextConnection]),
        new("snapshot length cut every packet", () => new JudgeScenario().SnapLength(96).Gap(ClientSide, 4), None,
            HandshakeOutcome.Incomplete, OutcomeReason.SnapLengthCutHandshake, [CauseKind.NoClientHello]),
        new("capture lost the connection's start", () => new JudgeScenario().Gap(ClientSide, 4), None,
            HandshakeOutcome.Incomplete, OutcomeReason.CaptureLostStart, [CauseKind.NoClientHello]),
        new("capture starts after the handshake", () => new JudgeScenario().Packet(1).Fin(ClientSide, 9), None,
            HandshakeOutcome.Incomplete, OutcomeReason.CaptureStartsAfterHandshake, [CauseKind.NoClientHello]),
        new("server refuses the ClientHello", () => Hello().Alert(ServerSide, 40, 6).Fin(ServerSide, 7), None,
            HandshakeOutcome.Failed, OutcomeReason.ServerRefusedHello, [CauseKind.ServerRejectedHello]),
        new("server reply lost", () => Hello().Gap(ServerSide, 6), None,
            HandshakeOutcome.Incomplete, OutcomeReason.ServerReplyNotCaptured, [CauseKind.ServerReplyMissing]),
        new("server closes without a ServerHello", () => Hello().Fin(ServerSide, 6).Ended(FlowEndReason.Closed), None,
            HandshakeOutcome.Failed, OutcomeReason.ServerClosedWithoutHello, [CauseKind.NoServerAnswer]),
        new("server silent until the capture ends", () => Hello().Ended(FlowEndReason.CaptureEnded), None,
            HandshakeOutcome.Incomplete, OutcomeReason.ServerNeverAnswered, [CauseKind.NoServerAnswer]),
        new("server silent, client gives up", () => Hello().Fin(ClientSide, 9).Ended(FlowEndReason.Closed), None,
            HandshakeOutcome.Failed, OutcomeReason.ServerNeverAnswered, [CauseKind.NoServerAnswer]),
        new("server reply not TLS-decodable", () => Hello().ServerPayload(120), None,
            HandshakeOutcome.Incomplete, OutcomeReason.ServerReplyUndecodable, [CauseKind.ServerReplyUndecodable]),

        // TLS 1.2.
        new("TLS 1.2: client alert on a leaf-only chain", () => Tls12Flight().Alert(ClientSide, 46, 8).Fin(ServerSide, 9), LeafOnly,
            HandshakeOutcome.Failed, OutcomeReason.ClientAborted, [CauseKind.ChainFinding], FirstCode: CauseCode.IncompleteChain),
        new("TLS 1.2: client alert on a chain trusted here", () => Tls12Flight("backend.pem", "intermediate.pem").Alert(ClientSide, 46, 8), FullChain,
            HandshakeOutcome.Failed, OutcomeReason.ClientAborted, [CauseKind.ChainTrustedHere], FirstCode: CauseCode.ClientRejectedCertificate),
        new("TLS 1.2: client alert, verdict without findings", () => Tls12Flight().Alert(ClientSide, 46, 8), UnexplainedRejection,
            HandshakeOutcome.Failed, OutcomeReason.ClientAborted, [CauseKind.ChainRejectedUnexplained]),
        new("TLS 1.2: client alert before any certificate", () => Hello().ServerHello(Tls12).Alert(ClientSide, 70, 7), None,
            HandshakeOutcome.Failed, OutcomeReason.ClientAborted, [CauseKind.ClientAbortedBeforeCertificate]),
        new("TLS 1.2: server alert", () => Tls12Flight().Alert(ServerSide, 40, 8), LeafOnly,
            HandshakeOutcome.Failed, OutcomeReason.ServerAborted, [CauseKind.ServerAborted], FirstCode: CauseCode.ServerRejectedHello),
        new("TLS 1.2: server asks for a client certificate, gets none", () => Tls12Flight().CertificateRequest().Alert(ServerSide, 40, 8), LeafOnly,
            HandshakeOutcome.Failed, OutcomeReason.ServerAborted, [CauseKind.ClientCertificateMissing]),
        new("TLS 1.2: server rejects the client certificate", () => Tls12Flight().CertificateRequest().ClientCertificate("client.pem").Alert(ServerSide, 48, 9), LeafOnly,
            HandshakeOutcome.Failed, OutcomeReason.ServerAborted, [CauseKind.ClientCertificateRejected]),
        new("TLS 1.2: client alert while a Certificate over Java's size limit arrives", () => Hello().ServerHello(Tls12).CertificateArriving(320767).Alert(ClientSide, 10, 20), None,
            HandshakeOutcome.Failed, OutcomeReason.ClientAbortedOversizeCertificate, [CauseKind.JavaHandshakeLimit]),
        new("TLS 1.2: session resumed", () => Hello().ServerHello(Tls12).ChangeCipherSpec(ServerSide, 6).ChangeCipherSpec(ClientSide, 7), None,
            HandshakeOutcome.Completed, OutcomeReason.SessionResumed, []),
        new("TLS 1.2: completed, then the client closes first (curl on a name mismatch)",
            () => Tls12Flight().ChangeCipherSpec(ClientSide, 8).ChangeCipherSpec(ServerSide, 9).Alert(ClientSide, 0, 10, TlsAlertLevel.Warning).Fin(ClientSide, 11).Fin(ServerSide, 12),
            LeafOnly, HandshakeOutcome.Failed, OutcomeReason.ClientRejectedAfterCompletedTls12, [CauseKind.ChainFinding]),
        new("TLS 1.2: both finished", () => Tls12Flight("backend.pem", "intermediate.pem").ChangeCipherSpec(ClientSide, 8).ChangeCipherSpec(ServerSide, 9), FullChain,
            HandshakeOutcome.Completed, OutcomeReason.BothFinished, []),
        new("TLS 1.2: client hangs up after the Certificate", () => Tls12Flight().Fin(ClientSide, 8), LeafOnly,
            HandshakeOutcome.Failed, OutcomeReason.ClientClosedAfterCertificate, [CauseKind.ChainFinding]),
        new("TLS 1.2: gap in the handshake", () => Tls12Flight().Gap(ClientSide, 8), LeafOnly,
            HandshakeOutcome.Incomplete, OutcomeReason.CaptureGap, [CauseKind.HandshakeGap]),
        new("TLS 1.2: server closes mid-handshake", () => Tls12Flight().Fin(ServerSide, 8), LeafOnly,
            HandshakeOutcome.Failed, OutcomeReason.ServerClosedMidHandshake, [CauseKind.ServerClosedMidHandshake]),
        new("TLS 1.2: capture ends mid-handshake", () => Tls12Flight().Ended(FlowEndReason.CaptureEnded), LeafOnly,
            HandshakeOutcome.Incomplete, OutcomeReason.CaptureEnded, [CauseKind.CaptureEndsInHandshake]),
        new("TLS 1.2: connection evicted mid-handshake", () => Tls12Flight().Ended(FlowEndReason.Closed), LeafOnly,
            HandshakeOutcome.Incomplete, OutcomeReason.ConnectionEnded, [CauseKind.CaptureEndsInHandshake]),

        // TLS 1.3 without keys.
        new("TLS 1.3, no keys: client plaintext alert after the flight", () => Tls13NoKeys().Alert(ClientSide, 42, 8), None,
            HandshakeOutcome.Failed, OutcomeReason.ClientAbortedAfterEncryptedFlight, [CauseKind.ChainHidden], HiddenChainEvent.ClientPlaintextAlertAfterFlight),
        new("TLS 1.3, no keys: client alert-sized record after the flight", () => Tls13NoKeys().Encrypted(ClientSide, 35, 8).Fin(ClientSide, 9), None,
            HandshakeOutcome.Failed, OutcomeReason.ClientAbortedAfterEncryptedFlight, [CauseKind.ChainHidden], HiddenChainEvent.ClientAlertSizedRecordAfterFlight),
        new("TLS 1.3, no keys: client FIN after the flight", () => Tls13NoKeys().Fin(ClientSide, 8), None,
            HandshakeOutcome.Failed, OutcomeReason.ClientAbortedAfterEncryptedFlight, [CauseKind.ChainHidden], HiddenChainEvent.ClientTeardownAfterFlight),
        new("TLS 1.3, no keys: server alert", () => Tls13NoKeys().Alert(ServerSide, 40, 7), None,
            HandshakeOutcome.Failed, OutcomeReason.ServerAbortedEncrypted, [CauseKind.ChainHidden], HiddenChainEvent.ServerAlert),
        new("TLS 1.3, no keys: server alert-sized record after the client's Finished", () => Tls13NoKeys().Encrypted(ClientSide, 53, 8).Encrypted(ServerSide, 24, 9), None,
            HandshakeOutcome.Failed, OutcomeReason.ServerAbortedAfterClientFinished, [CauseKind.ChainHidden], HiddenChainEvent.ServerAlertAfterClientFinished),
        new("TLS 1.3, no keys: client closes right after finishing", () => Tls13NoKeys().Encrypted(ClientSide, 53, 8).Encrypted(ServerSide, 500, 9).Encrypted(ClientSide, 24, 10).Fin(ClientSide, 11), None,
            HandshakeOutcome.Completed, OutcomeReason.ClientClosedRightAfterHandshake, [CauseKind.ChainHidden], HiddenChainEvent.ClientClosedAfterHandshake),
        new("TLS 1.3, no keys: resumed with a pre-shared key", () => Hello().PskServerHello().Encrypted(ServerSide, 90, 6).Encrypted(ClientSide, 53, 8).Encrypted(ClientSide, 300, 9), None,
            HandshakeOutcome.Completed, OutcomeReason.SessionResumedPsk, []),
        new("TLS 1.3, no keys: Finished and data by record sizes", () => Tls13NoKeys().Encrypted(ClientSide, 53, 8).Encrypted(ServerSide, 500, 9).Encrypted(ClientSide, 300, 10), None,
            HandshakeOutcome.Completed, OutcomeReason.CompletedByRecordSizes, []),
        new("TLS 1.3, no keys: gap", () => Tls13NoKeys().Gap(ServerSide, 7), None,
            HandshakeOutcome.Incomplete, OutcomeReason.CaptureGap, [CauseKind.HandshakeGapTls13]),
        new("TLS 1.3, no keys: capture ends before the client answers", () => Tls13NoKeys().Ended(FlowEndReason.CaptureEnded), None,
            HandshakeOutcome.Incomplete, OutcomeReason.CaptureEnded, [CauseKind.CaptureEndsBeforeClientAnswer]),

        // TLS 1.3 with keys.
        new("TLS 1.3, keys: client alert on a leaf-only chain", () => Tls13Keys().Alert(ClientSide, 46, 8), LeafOnly,
            HandshakeOutcome.Failed, OutcomeReason.ClientAborted, [CauseKind.ChainFinding], FirstCode: CauseCode.IncompleteChain),
        new("TLS 1.3, keys: client alert, Certificate not decrypted", () => Hello().Keys().ServerHello(Tls13).Alert(ClientSide, 46, 8), None,
            HandshakeOutcome.Failed, OutcomeReason.ClientAborted, [CauseKind.ChainHidden], HiddenChainEvent.ClientAlert),
        new("TLS 1.3, keys: server alert", () => Tls13Keys().Alert(ServerSide, 116, 9), LeafOnly,
            HandshakeOutcome.Failed, OutcomeReason.ServerAborted, [CauseKind.ClientCertificateMissing]),
        new("TLS 1.3, keys: completed, then the client closes first",
            () => Tls13Keys().Message(ClientSide, TlsHandshakeType.Finished, 8).Encrypted(ClientSide, 53, 8).Alert(ClientSide, 0, 9, TlsAlertLevel.Warning).Fin(ClientSide, 10).Fin(ServerSide, 11),
            LeafOnly, HandshakeOutcome.Failed, OutcomeReason.ClientRejectedAfterCompletedTls13, [CauseKind.ChainFinding]),
        new("TLS 1.3, keys: client Finished", () => Tls13Keys().Message(ClientSide, TlsHandshakeType.Finished, 8).Encrypted(ClientSide, 53, 8), FullChain,
            HandshakeOutcome.Completed, OutcomeReason.ClientFinished, []),
        new("TLS 1.3, keys: client hangs up after the Certificate", () => Tls13Keys().Fin(ClientSide, 8), LeafOnly,
            HandshakeOutcome.Failed, OutcomeReason.ClientClosedAfterCertificateUnreadable, [CauseKind.ChainFinding]),
        new("TLS 1.3, keys: client alert the key log cannot open", () => Hello().Keys().ServerHello(Tls13).Encrypted(ServerSide, 2400, 6).Encrypted(ClientSide, 35, 8), None,
            HandshakeOutcome.Failed, OutcomeReason.ClientEncryptedAlertWithoutKey, [CauseKind.ChainHidden], HiddenChainEvent.ClientAborted),
        new("TLS 1.3, keys: capture ends mid-handshake", () => Tls13Keys().Ended(FlowEndReason.Evicted), LeafOnly,
            HandshakeOutcome.Incomplete, OutcomeReason.CaptureEnded, [CauseKind.CaptureEndsInHandshake]),
        new("TLS 1.3, keys: connection ends mid-handshake", () => Tls13Keys().Ended(FlowEndReason.Closed), LeafOnly,
            HandshakeOutcome.Incomplete, OutcomeReason.ConnectionEnded, [CauseKind.CaptureEndsInHandshake]),
    ];

    public static IEnumerable<object[]> RowNames => Rows.Select(r => new object[] { r.Name });

    [TestMethod]
    [DynamicData(nameof(RowNames))]
    public void Rule_decides_and_the_catalogue_words_it(string name)
    {
        var row = Rows.Single(r => r.Name == name);
        var scenario = row.Scenario();
        var facts = scenario.Facts();
        var verdict = row.Verdict();

        var judgement = HandshakeJudge.Decide(facts, verdict);

        Assert.AreEqual(row.Outcome, judgement.Outcome, name);
        Assert.AreEqual(row.Reason, judgement.Reason, name);
        CollectionAssert.AreEqual(row.Causes, judgement.Causes.Select(c => c.Kind).ToArray(), name);
        if (row.Hidden is { } hidden)
        {
            Assert.AreEqual(hidden, judgement.Causes[0].Hidden, name);
        }
        if (row.FirstCode is { } code)
        {
            Assert.AreEqual(code, judgement.Causes[0].Code, name);
        }

        var detail = OutcomeWording.Detail(judgement, facts);
        var causes = CauseWording.Causes(judgement, facts, verdict, new DistinguishedNames());
        Assert.IsFalse(string.IsNullOrWhiteSpace(detail), name);
        Assert.HasCount(judgement.Causes.Count, causes, name);
        for (var i = 0; i < causes.Count; i++)
        {
            Assert.AreEqual(judgement.Causes[i].Code, causes[i].Code, name);
            Assert.IsFalse(string.IsNullOrWhiteSpace(causes[i].Summary) || string.IsNullOrWhiteSpace(causes[i].Evidence) || string.IsNullOrWhiteSpace(causes[i].Fix), name);
        }
    }

    [TestMethod]
    public void Judging_a_connection_leaves_its_facts_unchanged()
    {
        var scenario = new JudgeScenario().SnapLength(96).Gap(ClientSide, 4);
        HandshakeJudge.Decide(scenario.Facts(), null);
        Assert.IsFalse(scenario.Observation.TruncatedPayload[0], "the judge must not write the snapshot-length reading back into the observation");
        Assert.IsTrue(scenario.Facts().TruncatedOriginator);
    }

    [TestMethod]
    public void Rows_cover_every_outcome_reason_cause_kind_and_hidden_chain_event()
    {
        CollectionAssert.AreEquivalent(Enum.GetValues<HandshakeOutcome>(), Rows.Select(r => r.Outcome).Distinct().ToArray());
        CollectionAssert.AreEquivalent(Enum.GetValues<OutcomeReason>(), Rows.Select(r => r.Reason).Distinct().ToArray());
        CollectionAssert.AreEquivalent(Enum.GetValues<CauseKind>(), Rows.SelectMany(r => r.Causes).Distinct().ToArray());
        CollectionAssert.AreEquivalent(Enum.GetValues<HiddenChainEvent>(), Rows.Where(r => r.Hidden is not null).Select(r => r.Hidden!.Value).Distinct().ToArray());
    }
}
