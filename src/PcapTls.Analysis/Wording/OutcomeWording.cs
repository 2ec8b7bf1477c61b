namespace PcapTls.Analysis;

/// <summary>The sentence that says what happened to a handshake (the report's outcome detail), one per
/// <see cref="OutcomeReason"/>.</summary>
internal static class OutcomeWording
{
    public static string Detail(Judgement judgement, HandshakeFacts facts)
    {
        var o = facts.Observation;
        return judgement.Reason switch
        {
            OutcomeReason.ProxyRefusedTunnel or OutcomeReason.ServerRefusedUpgrade => PreambleWording.RefusedDetail(o.Refusal!, o.EndpointOf(o.ServerSide).ToString()),
            OutcomeReason.PlaintextAnswerToHello => $"the client sent a ClientHello but the server answered in plaintext: \"{o.NotTlsPreview[facts.PlaintextSide]}\"",
            OutcomeReason.PlaintextPeer => $"the {o.PeerOf(facts.PlaintextSide).ToCode()} spoke plaintext: \"{o.NotTlsPreview[facts.PlaintextSide]}\"",
            OutcomeReason.SnapLengthCutHandshake => "the snapshot length cut the handshake's packets: no TLS message could be read",
            OutcomeReason.CaptureLostStart => "the capture lost the start of this connection",
            OutcomeReason.CaptureStartsAfterHandshake => "the capture starts after the handshake",
            OutcomeReason.ServerRefusedHello => $"the server refused the ClientHello with alert {EvidenceText.AlertText(judgement.Alert!.Value.Alert)}",
            OutcomeReason.ServerReplyNotCaptured => "the server's reply was not captured completely",
            OutcomeReason.ServerClosedWithoutHello => $"the server sent no ServerHello and closed ({EvidenceText.KindText(judgement.Teardown!.Value.Kind)})",
            OutcomeReason.ServerNeverAnswered => "the server never answered the ClientHello",
            OutcomeReason.ServerReplyUndecodable => "the server's reply could not be decoded as TLS",
            OutcomeReason.ClientAborted => $"the client aborted the handshake with alert {EvidenceText.AlertText(judgement.Alert!.Value.Alert)}",
            OutcomeReason.ServerAborted => $"the server aborted the handshake with alert {EvidenceText.AlertText(judgement.Alert!.Value.Alert)}",
            OutcomeReason.CaptureGap => "the capture has a gap in the handshake",
            OutcomeReason.CaptureEnded => "the capture ends before the handshake finishes",
            OutcomeReason.ConnectionEnded => "the connection ended before the handshake finished",
            OutcomeReason.SessionResumed => "session resumed (abbreviated handshake: no Certificate is sent)",
            OutcomeReason.SessionResumedPsk => "session resumed (the ServerHello accepted a pre-shared key: no Certificate is sent)",
            OutcomeReason.ClientAbortedOversizeCertificate => $"the client aborted the handshake with alert {EvidenceText.AlertText(judgement.Alert!.Value.Alert)} while the server's {facts.Observation.ServerCertificateLength}-byte Certificate was still arriving",
            OutcomeReason.ClientRejectedAfterCompletedTls12 => "the handshake completed, but the client closed first without sending data (it rejected the certificate after the handshake, as curl does on a name mismatch)",
            OutcomeReason.BothFinished => "both sides sent ChangeCipherSpec and Finished",
            OutcomeReason.ClientClosedAfterCertificate => $"the client closed the connection ({EvidenceText.KindText(judgement.Teardown!.Value.Kind)}) after the server's Certificate without an alert",
            OutcomeReason.ServerClosedMidHandshake => "the server closed the connection before the handshake finished",
            OutcomeReason.ClientAbortedAfterEncryptedFlight => "the client aborted after the server's (encrypted) Certificate",
            OutcomeReason.ServerAbortedEncrypted => $"the server aborted with alert {EvidenceText.AlertText(judgement.Alert!.Value.Alert)}",
            OutcomeReason.ServerAbortedAfterClientFinished => "the server aborted after the client's Finished (encrypted alert)",
            OutcomeReason.ClientClosedRightAfterHandshake => "the handshake completed; the client closed without sending data (its Finished, then close_notify and FIN)",
            OutcomeReason.CompletedByRecordSizes => "the client sent its Finished and application data followed (seen from record sizes; the handshake is encrypted)",
            OutcomeReason.ClientRejectedAfterCompletedTls13 => "the handshake completed, but the client closed first without sending data (it rejected the certificate after the handshake)",
            OutcomeReason.ClientFinished => "the client sent its Finished",
            OutcomeReason.ClientClosedAfterCertificateUnreadable => "the client closed the connection after the server's Certificate without a readable alert",
            OutcomeReason.ClientEncryptedAlertWithoutKey => "the client aborted with an encrypted alert (the key log has no key for it)",
            _ => throw new ArgumentOutOfRangeException(nameof(judgement), judgement.Reason, "no wording for this outcome reason"),
        };
    }
}
