namespace PcapTls.Analysis;

/// <summary>The rules for a connection without a ServerHello: plaintext, a capture that missed the hellos, a server
/// that refused, closed or never answered the ClientHello.</summary>
internal static class HelloRules
{
    /// <summary>Plaintext from a side, and no ServerHello: not TLS.</summary>
    public static Judgement Plaintext(HandshakeFacts f)
    {
        var side = f.PlaintextSide;
        return f.Observation.ClientHello is not null
            ? new(HandshakeOutcome.NotTls, OutcomeReason.PlaintextAnswerToHello, [new CauseFact(CauseKind.PlaintextServer, Side: side)])
            : new(HandshakeOutcome.NotTls, OutcomeReason.PlaintextPeer, [new CauseFact(CauseKind.PlaintextConnection, Side: side)]);
    }

    /// <summary>A proxy refused the tunnel, or the server the upgrade, before any hello.</summary>
    public static Judgement Refused(PreambleRefusal refusal)
        => refusal.IsProxy
            ? new(HandshakeOutcome.Refused, OutcomeReason.ProxyRefusedTunnel, [new CauseFact(CauseKind.ProxyRefused, Side: refusal.Side)])
            : new(HandshakeOutcome.Refused, OutcomeReason.ServerRefusedUpgrade, [new CauseFact(CauseKind.UpgradeRefused, Side: refusal.Side)]);

    /// <summary>Neither hello in the capture.</summary>
    public static Judgement NoHello(HandshakeFacts f)
    {
        var reason = f.AnyTruncated ? OutcomeReason.SnapLengthCutHandshake
            : f.AnyGap ? OutcomeReason.CaptureLostStart : OutcomeReason.CaptureStartsAfterHandshake;
        return new(HandshakeOutcome.Incomplete, reason, [new CauseFact(CauseKind.NoClientHello, SnapLength: f.CutAt)]);
    }

    /// <summary>A ClientHello and no ServerHello.</summary>
    public static Judgement NoServerHello(HandshakeFacts f)
    {
        var o = f.Observation;
        var server = f.Server;
        if (f.ServerFatal is { } refusal)
        {
            return new(HandshakeOutcome.Failed, OutcomeReason.ServerRefusedHello,
                [new CauseFact(CauseKind.ServerRejectedHello, Alert: refusal)], Alert: refusal);
        }
        if (o.GapSeen[server] || f.Truncated(server))
        {
            return new(HandshakeOutcome.Incomplete, OutcomeReason.ServerReplyNotCaptured,
                [new CauseFact(CauseKind.ServerReplyMissing, SnapLength: f.CutAt)]);
        }
        if (o.PayloadBytes[server] == 0)
        {
            var outcome = f.ServerTeardown is null && f.ClientTeardown is null && f.EndedByCapture ? HandshakeOutcome.Incomplete : HandshakeOutcome.Failed;
            return new(outcome, f.ServerTeardown is not null ? OutcomeReason.ServerClosedWithoutHello : OutcomeReason.ServerNeverAnswered,
                [new CauseFact(CauseKind.NoServerAnswer)], Teardown: f.ServerTeardown);
        }
        return new(HandshakeOutcome.Incomplete, OutcomeReason.ServerReplyUndecodable,
            [new CauseFact(CauseKind.ServerReplyUndecodable, SnapLength: f.CutAt)]);
    }
}
