using PcapTls.Flows;
using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>The rules both TLS versions share: why a client rejected the server's chain (read from the verdict),
/// why a server aborted (client authentication or not), and whether a completed handshake was a rejection.</summary>
internal static class RejectionRules
{
    /// <summary>The client aborted (an alert, or a FIN/RST right after the server's Certificate).</summary>
    public static IReadOnlyList<CauseFact> ClientRejection(HandshakeFacts f, ChainVerdict? verdict, AlertSeen? alert)
    {
        if (f.Observation.ServerCertificate is null)
        {
            return f.Observation.IsTls13
                ? [new CauseFact(CauseKind.ChainHidden, Alert: alert, Hidden: alert is null ? HiddenChainEvent.ClientAborted : HiddenChainEvent.ClientAlert)]
                : [new CauseFact(CauseKind.ClientAbortedBeforeCertificate, Alert: alert)];
        }
        return VerdictCauses(verdict!, alert);
    }

    /// <summary>The verdict's findings, each a cause; a trusted chain or one without findings is a cause itself.</summary>
    public static IReadOnlyList<CauseFact> VerdictCauses(ChainVerdict verdict, AlertSeen? alert)
    {
        if (verdict.Trusted)
        {
            return [new CauseFact(CauseKind.ChainTrustedHere, Alert: alert)];
        }
        if (verdict.Findings.Count == 0)
        {
            return [new CauseFact(CauseKind.ChainRejectedUnexplained, Alert: alert)];
        }
        var causes = new CauseFact[verdict.Findings.Count];
        for (var i = 0; i < causes.Length; i++)
        {
            causes[i] = new CauseFact(CauseKind.ChainFinding, Alert: alert, Finding: verdict.Findings[i]);
        }
        return causes;
    }

    /// <summary>The server aborted with a fatal alert: the client's certificate when one was asked for (or the
    /// alert says certificate_required, 116), else the hello.</summary>
    public static IReadOnlyList<CauseFact> ServerAbort(HandshakeFacts f, AlertSeen alert)
    {
        if (f.Observation.CertificateRequest is not null || alert.Alert.Description is 116)
        {
            return [new CauseFact(f.ClientCertificates.Length == 0 ? CauseKind.ClientCertificateMissing : CauseKind.ClientCertificateRejected, Alert: alert)];
        }
        return [new CauseFact(CauseKind.ServerAborted, Alert: alert)];
    }

    /// <summary>
    /// curl on a name mismatch completes the handshake, then closes first with close_notify, sending nothing. Only
    /// believed when the verdict is trustworthy: a truststore was given, or the failure is the host name alone.
    /// </summary>
    public static bool RejectedAfterHandshake(HandshakeFacts f, ChainVerdict? verdict)
    {
        var o = f.Observation;
        if (verdict is not { Trusted: false } || f.ClientTeardown is null || o.ApplicationDataRecords[f.Client] > 0 || (o.IsTls13 && !o.Decrypting))
        {
            return false;
        }
        var believable = !f.TrustStoreIsSystemRoots || OnlyHostnameMismatch(verdict);
        return believable && FirstCloseSeq(o, f.Client) < FirstCloseSeq(o, f.Server);
    }

    private static bool OnlyHostnameMismatch(ChainVerdict verdict)
    {
        foreach (var finding in verdict.Findings)
        {
            if (finding.Code != CauseCode.HostnameMismatch)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The first step a side took to close after the handshake: an alert (close_notify) or FIN/RST.</summary>
    private static int FirstCloseSeq(HandshakeObservation o, int side)
    {
        var first = int.MaxValue;
        foreach (var a in o.Alerts)
        {
            if (a.Side == side && a.Packet > o.ServerHelloPacket)
            {
                first = Math.Min(first, a.Seq);
            }
        }
        foreach (var x in o.Controls)
        {
            if (x.Side == side && x.Kind is TcpControlKind.Fin or TcpControlKind.Rst)
            {
                first = Math.Min(first, x.Seq);
            }
        }
        return first;
    }
}
