using PcapTls.Tls;
using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>The rules for a TLS 1.2 (or older, or SSLv2) handshake: everything is plaintext up to the ChangeCipherSpecs,
/// so alerts, the Certificate and the Finished order are read directly.</summary>
internal static class Tls12Rules
{
    public static Judgement Judge(HandshakeFacts f, ChainVerdict? verdict)
    {
        var o = f.Observation;
        var sslv2 = o.ServerHello!.IsSslv2;
        var resumed = o.ServerCertificate is null && o.ChangeCipherSpecCount[f.Server] > 0 && !sslv2 && ResumptionRules.ServerHelloProvesResumption(o);
        var bothFinished = sslv2
            ? o.EncryptedRecords[f.Client] > 0 && o.EncryptedRecords[f.Server] > 0
            : o.ChangeCipherSpecCount[f.Client] > 0 && o.ChangeCipherSpecCount[f.Server] > 0;

        var clientFatal = f.ClientFatal;
        if (clientFatal is { Alert: { Encrypted: true, Level: null } } && o.ApplicationDataRecords[f.Client] > 0)
        {
            // An encrypted alert after the client's own application data (False Start) is its close_notify.
            clientFatal = null;
        }
        if (clientFatal is { } oversize && o.ServerCertificate is null && JavaLimits.Check(o) is not null)
        {
            return new(HandshakeOutcome.Failed, OutcomeReason.ClientAbortedOversizeCertificate, [new CauseFact(CauseKind.JavaHandshakeLimit)], Alert: oversize);
        }
        if (clientFatal is { } clientAlert && (!bothFinished || clientAlert.Packet < f.FirstCcsPacket(f.Client)))
        {
            return new(HandshakeOutcome.Failed, OutcomeReason.ClientAborted, RejectionRules.ClientRejection(f, verdict, clientAlert), Alert: clientAlert);
        }
        if (f.ServerFatal is { } serverAlert && !bothFinished)
        {
            return new(HandshakeOutcome.Failed, OutcomeReason.ServerAborted, RejectionRules.ServerAbort(f, serverAlert), Alert: serverAlert);
        }
        if (bothFinished)
        {
            return Finished(f, verdict, resumed);
        }
        if (o.ServerCertificate is not null && f.ClientTeardown is { } hangUp && o.ChangeCipherSpecCount[f.Client] == 0)
        {
            // No alert, but the client hung up right after the server's Certificate.
            return new(HandshakeOutcome.Failed, OutcomeReason.ClientClosedAfterCertificate, RejectionRules.ClientRejection(f, verdict, null), Teardown: hangUp);
        }
        if (f.AnyGap || (o.ServerCertificate is null && o.PayloadBytes[f.Server] > 0 && !f.HasMessage(-1, TlsHandshakeType.ServerHelloDone)))
        {
            return new(HandshakeOutcome.Incomplete, OutcomeReason.CaptureGap, [new CauseFact(CauseKind.HandshakeGap, SnapLength: f.CutAt)]);
        }
        if (f.ServerTeardown is { } serverClose)
        {
            return new(HandshakeOutcome.Failed, OutcomeReason.ServerClosedMidHandshake,
                [new CauseFact(CauseKind.ServerClosedMidHandshake, Teardown: serverClose)]);
        }
        return new(HandshakeOutcome.Incomplete, f.EndedByCapture ? OutcomeReason.CaptureEnded : OutcomeReason.ConnectionEnded,
            [new CauseFact(CauseKind.CaptureEndsInHandshake, SnapLength: f.CutAt)]);
    }

    /// <summary>Both sides finished: resumed, completed, or completed and then rejected (curl on a name mismatch).</summary>
    private static Judgement Finished(HandshakeFacts f, ChainVerdict? verdict, bool resumed)
    {
        if (resumed)
        {
            return new(HandshakeOutcome.Completed, OutcomeReason.SessionResumed, []);
        }
        if (RejectionRules.RejectedAfterHandshake(f, verdict))
        {
            return new(HandshakeOutcome.Failed, OutcomeReason.ClientRejectedAfterCompletedTls12, RejectionRules.VerdictCauses(verdict!, null));
        }
        return new(HandshakeOutcome.Completed, OutcomeReason.BothFinished, UntrustedButCompleted.Causes(f, verdict, []));
    }
}
