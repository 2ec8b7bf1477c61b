using PcapTls.Tls;
using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>The rules for a TLS 1.3 handshake: with a key log the alerts and the Certificate are read; without one,
/// the pattern of encrypted record sizes and directions after the ServerHello is.</summary>
internal static class Tls13Rules
{
    /// <summary>
    /// The smallest encrypted TLS 1.3 record that can hold a Finished: 4-byte header + 32-byte verify_data
    /// (SHA-256) + content type + 8-byte tag (CCM_8). A shorter record from a side that has not finished is an
    /// alert: 19 bytes from OpenSSL (2 + 1 + 16), 35 from Java 17, which pads its alerts.
    /// </summary>
    internal const int MinimumEncryptedFinishedLength = 45;

    internal static bool IsAlertSized(int recordLength) => recordLength < MinimumEncryptedFinishedLength;

    public static Judgement Judge(HandshakeFacts f, ChainVerdict? verdict)
        => f.Observation.Decrypting ? WithKeys(f, verdict) : ByRecordSizes(f);

    /// <summary>Without keys: read the pattern of record sizes and directions.</summary>
    private static Judgement ByRecordSizes(HandshakeFacts f)
    {
        var o = f.Observation;
        var clientEncrypted = EncryptedAfterServerHello.Of(o, f.Client);
        var serverEncrypted = EncryptedAfterServerHello.Of(o, f.Server);
        if (o.EarlyDataRecords > 0 && clientEncrypted.Count >= 2 && IsAlertSized(clientEncrypted.First.Length) && !IsAlertSized(clientEncrypted.Second.Length))
        {
            // After accepted 0-RTT data the client's flight begins with EndOfEarlyData (21 bytes), not an alert.
            clientEncrypted = clientEncrypted with { Count = clientEncrypted.Count - 1, First = clientEncrypted.Second, Second = default };
        }
        var firstClient = clientEncrypted.First;
        var clientAbortedEncrypted = clientEncrypted.Count > 0 && IsAlertSized(firstClient.Length);
        if (f.ClientFatal is { } plaintextAlert)
        {
            return ClientAbortedAfterFlight(new CauseFact(CauseKind.ChainHidden, Alert: plaintextAlert, Hidden: HiddenChainEvent.ClientPlaintextAlertAfterFlight));
        }
        if (clientAbortedEncrypted)
        {
            return ClientAbortedAfterFlight(new CauseFact(CauseKind.ChainHidden, Record: firstClient, Hidden: HiddenChainEvent.ClientAlertSizedRecordAfterFlight));
        }
        if (clientEncrypted.Count == 0 && f.ClientTeardown is { } hangUp && serverEncrypted.Count > 0)
        {
            return ClientAbortedAfterFlight(new CauseFact(CauseKind.ChainHidden, Teardown: hangUp, Hidden: HiddenChainEvent.ClientTeardownAfterFlight));
        }
        if (f.ServerFatal is { } serverAlert)
        {
            return new(HandshakeOutcome.Failed, OutcomeReason.ServerAbortedEncrypted,
                [new CauseFact(CauseKind.ChainHidden, Alert: serverAlert, Hidden: HiddenChainEvent.ServerAlert)], Alert: serverAlert);
        }
        if (clientEncrypted.Count > 0)
        {
            if (EncryptedAfterServerHello.FirstAfter(o, f.Server, firstClient.Packet) is { } serverAfter && IsAlertSized(serverAfter.Length)
                && EncryptedAfterServerHello.LastOf(o, f.Server).Seq == serverAfter.Seq)
            {
                return new(HandshakeOutcome.Failed, OutcomeReason.ServerAbortedAfterClientFinished,
                    [new CauseFact(CauseKind.ChainHidden, Record: serverAfter, Hidden: HiddenChainEvent.ServerAlertAfterClientFinished)]);
            }
            if (ResumptionRules.IsPskResumption(o))
            {
                return new(HandshakeOutcome.Completed, OutcomeReason.SessionResumedPsk, []);
            }
            if (f.ClientTeardown is not null && clientEncrypted.Count == 2 && IsAlertSized(clientEncrypted.Second.Length))
            {
                // RFC 8446: the handshake is complete once the client's Finished is sent; closing at once is legal.
                return new(HandshakeOutcome.Completed, OutcomeReason.ClientClosedRightAfterHandshake,
                    [new CauseFact(CauseKind.ChainHidden, Hidden: HiddenChainEvent.ClientClosedAfterHandshake)]);
            }
            return new(HandshakeOutcome.Completed, OutcomeReason.CompletedByRecordSizes, []);
        }
        if (f.AnyGap)
        {
            return new(HandshakeOutcome.Incomplete, OutcomeReason.CaptureGap, [new CauseFact(CauseKind.HandshakeGapTls13, SnapLength: f.CutAt)]);
        }
        return new(HandshakeOutcome.Incomplete, OutcomeReason.CaptureEnded, [new CauseFact(CauseKind.CaptureEndsBeforeClientAnswer, SnapLength: f.CutAt)]);
    }

    private static Judgement ClientAbortedAfterFlight(CauseFact cause)
        => new(HandshakeOutcome.Failed, OutcomeReason.ClientAbortedAfterEncryptedFlight, [cause]);

    /// <summary>With keys: the alerts and the Certificate are readable.</summary>
    private static Judgement WithKeys(HandshakeFacts f, ChainVerdict? verdict)
    {
        var o = f.Observation;
        var clientFinished = f.HasMessage(f.Client, TlsHandshakeType.Finished);
        var clientEncrypted = EncryptedAfterServerHello.Of(o, f.Client);
        if (f.ClientFatal is { } clientAlert && !clientFinished)
        {
            return new(HandshakeOutcome.Failed, OutcomeReason.ClientAborted, RejectionRules.ClientRejection(f, verdict, clientAlert), Alert: clientAlert);
        }
        if (f.ServerFatal is { } serverAlert)
        {
            return new(HandshakeOutcome.Failed, OutcomeReason.ServerAborted, RejectionRules.ServerAbort(f, serverAlert), Alert: serverAlert);
        }
        if (clientFinished || clientEncrypted.Count > 1)
        {
            return RejectionRules.RejectedAfterHandshake(f, verdict)
                ? new(HandshakeOutcome.Failed, OutcomeReason.ClientRejectedAfterCompletedTls13, RejectionRules.VerdictCauses(verdict!, null))
                : new(HandshakeOutcome.Completed, ResumptionRules.IsPskResumption(o) ? OutcomeReason.SessionResumedPsk : OutcomeReason.ClientFinished,
                    UntrustedButCompleted.Causes(f, verdict, []));
        }
        if (o.ServerCertificate is not null && f.ClientTeardown is { } hangUp)
        {
            return new(HandshakeOutcome.Failed, OutcomeReason.ClientClosedAfterCertificateUnreadable, RejectionRules.ClientRejection(f, verdict, null), Teardown: hangUp);
        }
        if (clientEncrypted.Count == 1 && IsAlertSized(clientEncrypted.First.Length))
        {
            return new(HandshakeOutcome.Failed, OutcomeReason.ClientEncryptedAlertWithoutKey, RejectionRules.ClientRejection(f, verdict, null));
        }
        return new(HandshakeOutcome.Incomplete, f.EndedByCapture ? OutcomeReason.CaptureEnded : OutcomeReason.ConnectionEnded,
            [new CauseFact(CauseKind.CaptureEndsInHandshake, SnapLength: f.CutAt)]);
    }

    /// <summary>A side's TLS 1.3 encrypted records (application data type) from the ServerHello's packet on: how many,
    /// and the first two (what the size-pattern reading looks at), without copying the records.</summary>
    private readonly record struct EncryptedAfterServerHello(int Count, RecordSeen First, RecordSeen Second)
    {
        public static EncryptedAfterServerHello Of(HandshakeObservation o, int side)
        {
            var count = 0;
            RecordSeen first = default, second = default;
            foreach (var r in o.Records)
            {
                if (r.Packet >= o.ServerHelloPacket && r.Side == side && r.Type == TlsContentType.ApplicationData)
                {
                    if (count == 0)
                    {
                        first = r;
                    }
                    else if (count == 1)
                    {
                        second = r;
                    }
                    count++;
                }
            }
            return new EncryptedAfterServerHello(count, first, second);
        }

        /// <summary>The side's last such record (default when none).</summary>
        public static RecordSeen LastOf(HandshakeObservation o, int side)
        {
            RecordSeen last = default;
            foreach (var r in o.Records)
            {
                if (r.Packet >= o.ServerHelloPacket && r.Side == side && r.Type == TlsContentType.ApplicationData)
                {
                    last = r;
                }
            }
            return last;
        }

        /// <summary>The side's first such record in a packet after <paramref name="packet"/>.</summary>
        public static RecordSeen? FirstAfter(HandshakeObservation o, int side, long packet)
        {
            foreach (var r in o.Records)
            {
                if (r.Packet >= o.ServerHelloPacket && r.Side == side && r.Type == TlsContentType.ApplicationData && r.Packet > packet)
                {
                    return r;
                }
            }
            return null;
        }
    }
}
