using System.Globalization;
using PcapTls.Flows;
using PcapTls.Tls;
using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>Validation settings shared by every handshake of one analysis run.</summary>
internal sealed record JudgeContext(
    TrustStore TrustStore,
    bool TrustStoreIsSystemRoots,
    AnalysisOptions Options,
    ValidationCache Cache,
    int? SnapLength,
    CaptureFacts Facts)
{
    /// <summary>Each distinct certificate parsed once per analysis, its summary and DER shared by the reports.</summary>
    public SeenCertificates Certificates { get; } = new();

    /// <summary>Repeated report texts shared by the reports (memory per kept report, not per sentence).</summary>
    public ReportTexts Texts { get; } = new();
}

/// <summary>What the pipeline has learned about the capture so far (read when a connection is judged).</summary>
internal sealed class CaptureFacts
{
    public long TruncatedPackets { get; set; }

    /// <summary>The longest captured length of a cut frame: the snapshot length when the file header does not say.</summary>
    public int ObservedSnapLength { get; set; }
}

/// <summary>
/// Turns the facts about one connection into an outcome and causes, each with its evidence and fix. The chain is
/// judged by the validation core; this class only reads what happened on the wire.
/// </summary>
internal static class HandshakeJudge
{
    /// <summary>
    /// The smallest encrypted TLS 1.3 record that can hold a Finished: 4-byte header + 32-byte verify_data
    /// (SHA-256) + content type + 8-byte tag (CCM_8). A shorter record from a side that has not finished is an
    /// alert: 19 bytes from OpenSSL (2 + 1 + 16), 35 from Java 17, which pads its alerts.
    /// </summary>
    internal const int MinimumEncryptedFinishedLength = 45;

    internal static bool IsAlertSized(int recordLength) => recordLength < MinimumEncryptedFinishedLength;

    /// <summary>The first byte of a TLS handshake record (content type 22).</summary>
    private const int TlsHandshakeRecordType = 22;

    private static readonly int[] TlsPorts = [443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 5061, 5223, 8443, 9443];

    /// <summary>TLS records, but the capture began after the handshake: no hello, and neither stream starts with a
    /// handshake record. Not a handshake to report; the pipeline lists it as an anomaly.</summary>
    public static bool IsMidstreamTls(HandshakeObservation o)
        => o.ClientHello is null && o.ServerHello is null && o.NotTlsPreview[0] is null && o.NotTlsPreview[1] is null
           && o.Records.Count > 0 && o.FirstByte[0] != TlsHandshakeRecordType && o.FirstByte[1] != TlsHandshakeRecordType;

    /// <summary>Returns null for a connection that is not worth reporting (no TLS at all, not on a TLS port).</summary>
    public static HandshakeReport? Judge(HandshakeObservation o, JudgeContext ctx)
    {
        if (ctx.Facts.TruncatedPackets > 0 && (o.GapSeen[0] || o.GapSeen[1]))
        {
            // With a small snapshot length every data packet is cut: the gaps are the snaplen, not packet loss.
            o.TruncatedPayload[0] = o.GapSeen[0];
            o.TruncatedPayload[1] = o.GapSeen[1];
        }
        var sawTls = o.ClientHello is not null || o.ServerHello is not null || o.Records.Count > 0
            || o.FirstByte[0] == TlsHandshakeRecordType || o.FirstByte[1] == TlsHandshakeRecordType;
        var notTlsSide = o.NotTlsPreview[0] is not null ? 0 : o.NotTlsPreview[1] is not null ? 1 : -1;
        if (IsMidstreamTls(o))
        {
            return null;
        }
        if (!sawTls)
        {
            var port = o.Connection.Responder.Port;
            if (notTlsSide < 0 || !TlsPorts.Contains(port))
            {
                return null;
            }
        }

        var c = o.ClientSide;
        var s = o.ServerSide;
        var causes = new List<Cause>();
        var outcome = HandshakeOutcome.Incomplete;
        string detail;
        ChainVerdict? verdict = null;
        string? host = null;
        string? hostSource = null;
        DateTimeOffset? validatedAt = null;

        var serverSeen = (o.ServerCertificate?.Certificates ?? []).Select(ctx.Certificates.Get).ToList();
        var clientSeen = (o.ClientCertificate?.Certificates ?? []).Select(ctx.Certificates.Get).ToList();
        IReadOnlyList<byte[]> serverChain = serverSeen.Select(x => x.Der).ToList();
        var certificates = serverSeen.Select(x => x.Info).ToList();
        var clientCerts = clientSeen.Select(x => x.Info).ToList();

        var clientFatal = FirstFatal(o, c);
        var serverFatal = FirstFatal(o, s);
        var clientTeardown = FirstTeardown(o, c);
        var serverTeardown = FirstTeardown(o, s);
        var endedByCapture = o.EndReason is FlowEndReason.CaptureEnded or FlowEndReason.Evicted;

        if (serverChain.Count > 0)
        {
            (host, hostSource) = ChooseHost(o, ctx);
            validatedAt = ctx.Options.At ?? FromNanos(o.ServerCertificateTime);
            verdict = ctx.Cache.GetOrValidate(new ValidationRequest(
                serverChain, ctx.TrustStore, host, validatedAt.Value, ctx.Options.Profile, KeyPurpose.ServerAuth)
            {
                TlsVersion = o.ServerHello is { IsHelloRetryRequest: false } sh ? sh.NegotiatedVersion : null,
                AllowPartialChain = ctx.Options.AllowPartialChain,
            });
        }

        var ch = Packet(o.ClientHelloPacket);
        if (notTlsSide >= 0 && (o.ServerHello is null))
        {
            outcome = HandshakeOutcome.NotTls;
            var who = o.PeerOf(notTlsSide);
            detail = o.ClientHello is not null
                ? $"the client sent a ClientHello but the server answered in plaintext: \"{o.NotTlsPreview[notTlsSide]}\""
                : $"the {who.ToCode()} spoke plaintext: \"{o.NotTlsPreview[notTlsSide]}\"";
            causes.Add(new Cause(CauseCode.NotTls,
                o.ClientHello is not null ? "The server does not speak TLS on this port" : "This connection is not TLS",
                $"{(o.ClientHello is not null ? $"ClientHello {ch}; " : "")}{who.ToCode()} plaintext {Packet(o.NotTlsPacket[notTlsSide])}: \"{o.NotTlsPreview[notTlsSide]}\"",
                "Point the client at the server's TLS port (or enable TLS on the server); for Apigee, check the scheme and port in the TargetEndpoint <URL>."));
        }
        else if (o.ClientHello is null && o.ServerHello is null)
        {
            detail = o.TruncatedPayload.Any(t => t) ? "the snapshot length cut the handshake's packets: no TLS message could be read"
                : o.GapSeen.Any(g => g) ? "the capture lost the start of this connection" : "the capture starts after the handshake";
            causes.Add(CaptureIncomplete(o, ctx, "No ClientHello in the capture for this connection", "Capture from before the connection opens."));
        }
        else if (o.ServerHello is null)
        {
            if (serverFatal is { } sa)
            {
                outcome = HandshakeOutcome.Failed;
                detail = $"the server refused the ClientHello with alert {AlertText(sa.Alert)}";
                causes.Add(new Cause(CauseCode.ServerRejectedHello,
                    $"The server rejected the ClientHello ({AlertText(sa.Alert)})",
                    $"ClientHello {ch} offered {OfferedVersions(o.ClientHello!)}, {o.ClientHello!.CipherSuites.Count} cipher suites; server alert {AlertText(sa.Alert)} {Packet(sa.Packet)}{TeardownText(o)}",
                    "Make the client and server share a protocol version and a cipher suite (compare the ClientHello with the server's configuration; Java: jdk.tls.client.protocols / https.protocols, Apigee: <SSLInfo><Protocols>/<Ciphers>)."));
            }
            else if (o.GapSeen[s] || (o.TruncatedPayload[s]))
            {
                detail = "the server's reply was not captured completely";
                causes.Add(CaptureIncomplete(o, ctx, "The server's reply is missing from the capture", "Capture again with tcpdump -s 0 on the right interface."));
            }
            else if (o.PayloadBytes[s] == 0)
            {
                outcome = serverTeardown is null && clientTeardown is null && endedByCapture ? HandshakeOutcome.Incomplete : HandshakeOutcome.Failed;
                detail = serverTeardown is { } st ? $"the server sent no ServerHello and closed ({st.Kind.ToString().ToUpperInvariant()})" : "the server never answered the ClientHello";
                causes.Add(new Cause(CauseCode.NoServerResponse,
                    "The server did not answer the ClientHello",
                    $"ClientHello {ch}{TeardownText(o)}",
                    "Check that the backend is up and listening for TLS on this port, and that no firewall or load balancer drops the handshake."));
            }
            else
            {
                detail = "the server's reply could not be decoded as TLS";
                causes.Add(CaptureIncomplete(o, ctx, "The server's reply could not be decoded", "See the anomalies."));
            }
        }
        else if (!o.IsTls13)
        {
            (outcome, detail) = JudgeTls12(o, ctx, verdict, certificates, clientCerts, causes, clientFatal, serverFatal, clientTeardown, serverTeardown, endedByCapture);
        }
        else
        {
            (outcome, detail) = JudgeTls13(o, ctx, verdict, certificates, clientCerts, causes, clientFatal, serverFatal, clientTeardown, endedByCapture);
        }

        var hello = o.ServerHello;
        var version = hello is not null && !hello.IsHelloRetryRequest ? TlsNames.Version(hello.NegotiatedVersion)
            : o.ClientHello is not null ? TlsNames.Version(o.ClientHello.MaxVersion) : null;
        return new HandshakeReport(
            Client: o.EndpointOf(c).ToString(),
            Server: o.EndpointOf(s).ToString(),
            StartPacket: o.ClientHelloPacket != 0 ? o.ClientHelloPacket : o.FirstPacket,
            StartTime: FromNanos(o.ClientHelloPacket != 0 ? o.ClientHelloTime : o.FirstTime),
            Sni: ctx.Texts.Intern(o.ClientHello?.ServerName),
            Version: ctx.Texts.Intern(version),
            Cipher: ctx.Texts.Intern(hello is not null && !hello.IsSslv2 ? TlsNames.CipherSuite(hello.CipherSuite) : null),
            Outcome: outcome,
            OutcomeDetail: ctx.Texts.Intern(detail),
            ServerCertificates: serverSeen.Select(x => x.Summary).ToList(),
            ClientCertificates: clientSeen.Select(x => x.Summary).ToList(),
            CertificateRequested: o.CertificateRequest is not null,
            CertificateEncrypted: o.IsTls13 && o.ServerCertificate is null,
            ServerCertificateMessage: o.ServerCertificate is not null,
            ClientCertificateMessage: o.ClientCertificate is not null,
            Alerts: o.Alerts.Select(a => ToAlertEvent(o, a)).ToList(),
            Teardown: o.Controls.Where(x => x.Kind is TcpControlKind.Fin or TcpControlKind.Rst)
                .Select(x => new TeardownEvent(o.PeerOf(x.Side), x.Kind == TcpControlKind.Fin ? "fin" : "rst", x.Packet, FromNanos(x.TimeNanos))).ToList(),
            Causes: causes.Select(x => x with { Summary = ctx.Texts.Intern(x.Summary), Fix = ctx.Texts.Intern(x.Fix) }).ToList(),
            Ladder: Ladder.Build(o).Select(x => x with { What = ctx.Texts.Intern(x.What) }).ToList(),
            HostChecked: ctx.Texts.Intern(host),
            HostSource: ctx.Texts.Intern(hostSource),
            ValidatedAt: validatedAt,
            KeyLog: ctx.Texts.Intern(o.KeyLogNote),
            Verdict: verdict,
            ServerChainDer: serverChain,
            LastPacket: o.LastPacket);
    }

    private static (HandshakeOutcome, string) JudgeTls12(HandshakeObservation o, JudgeContext ctx, ChainVerdict? verdict,
        List<CertificateInfo> certificates, List<CertificateInfo> clientCerts, List<Cause> causes,
        AlertSeen? clientFatal, AlertSeen? serverFatal, ControlSeen? clientTeardown, ControlSeen? serverTeardown, bool endedByCapture)
    {
        var c = o.ClientSide;
        var s = o.ServerSide;
        var resumed = o.ServerCertificate is null && o.ChangeCipherSpecCount[s] > 0 && !o.ServerHello!.IsSslv2;
        var bothFinished = o.ChangeCipherSpecCount[c] > 0 && o.ChangeCipherSpecCount[s] > 0;
        if (o.ServerHello!.IsSslv2)
        {
            bothFinished = o.EncryptedRecords[c] > 0 && o.EncryptedRecords[s] > 0;
        }

        if (clientFatal is { } ca && (!bothFinished || ca.Packet < FirstCcsPacket(o, c)))
        {
            ExplainClientRejection(o, ctx, verdict, certificates, causes, ca, clientTeardown);
            return (HandshakeOutcome.Failed, $"the client aborted the handshake with alert {AlertText(ca.Alert)}");
        }
        if (serverFatal is { } sa && !bothFinished)
        {
            ExplainServerAbort(o, clientCerts, causes, sa);
            return (HandshakeOutcome.Failed, $"the server aborted the handshake with alert {AlertText(sa.Alert)}");
        }
        if (bothFinished)
        {
            if (resumed)
            {
                return (HandshakeOutcome.Completed, "session resumed (abbreviated handshake: no Certificate is sent)");
            }
            if (RejectedAfterHandshake(o, ctx, verdict, clientTeardown, serverTeardown))
            {
                AddVerdictCauses(o, verdict!, certificates, causes, null, clientTeardown);
                return (HandshakeOutcome.Failed, "the handshake completed, but the client closed first without sending data (it rejected the certificate after the handshake, as curl does on a name mismatch)");
            }
            return (HandshakeOutcome.Completed, "both sides sent ChangeCipherSpec and Finished");
        }
        if (o.ServerCertificate is not null && clientTeardown is { } ct && o.ChangeCipherSpecCount[c] == 0)
        {
            // No alert, but the client hung up right after the server's Certificate.
            ExplainClientRejection(o, ctx, verdict, certificates, causes, null, ct);
            return (HandshakeOutcome.Failed, $"the client closed the connection ({ct.Kind.ToString().ToUpperInvariant()}) after the server's Certificate without an alert");
        }
        if (o.GapSeen.Any(g => g) || o.ServerCertificate is null && o.PayloadBytes[s] > 0 && o.Messages.All(m => m.Type != TlsHandshakeType.ServerHelloDone))
        {
            causes.Add(CaptureIncomplete(o, ctx, "The capture is missing part of the handshake", "Capture again with tcpdump -s 0, from before the connection opens, until it closes."));
            return (HandshakeOutcome.Incomplete, "the capture has a gap in the handshake");
        }
        if (serverTeardown is { } st)
        {
            causes.Add(new Cause(CauseCode.NoServerResponse, "The server closed the connection in the middle of the handshake",
                $"ServerHello {Packet(o.ServerHelloPacket)}; server {st.Kind.ToString().ToUpperInvariant()} {Packet(st.Packet)}",
                "Look at the server's logs for the reason it closed the connection."));
            return (HandshakeOutcome.Failed, "the server closed the connection before the handshake finished");
        }
        causes.Add(CaptureIncomplete(o, ctx, "The capture ends before the handshake finishes", "Capture for longer, until the connection closes."));
        return (HandshakeOutcome.Incomplete, endedByCapture ? "the capture ends before the handshake finishes" : "the connection ended before the handshake finished");
    }

    private static (HandshakeOutcome, string) JudgeTls13(HandshakeObservation o, JudgeContext ctx, ChainVerdict? verdict,
        List<CertificateInfo> certificates, List<CertificateInfo> clientCerts, List<Cause> causes,
        AlertSeen? clientFatal, AlertSeen? serverFatal, ControlSeen? clientTeardown, bool endedByCapture)
    {
        var c = o.ClientSide;
        var s = o.ServerSide;
        var clientFinished = o.Messages.Any(m => m.Side == c && m.Type == TlsHandshakeType.Finished);
        var visible = o.ServerCertificate is not null;
        var afterServerHello = o.Records.Where(r => r.Packet >= o.ServerHelloPacket).ToList();
        var clientEncrypted = afterServerHello.Where(r => r.Side == c && r.Type == TlsContentType.ApplicationData).ToList();
        var serverEncrypted = afterServerHello.Where(r => r.Side == s && r.Type == TlsContentType.ApplicationData).ToList();

        if (!o.Decrypting)
        {
            // Without keys: read the pattern of record sizes and directions.
            var firstClient = clientEncrypted.FirstOrDefault();
            var clientAbortedEncrypted = clientEncrypted.Count > 0 && IsAlertSized(firstClient.Length);
            if (clientFatal is { } pa || clientAbortedEncrypted || (clientEncrypted.Count == 0 && clientTeardown is not null && serverEncrypted.Count > 0))
            {
                var how = clientFatal is { } a
                    ? $"a plaintext alert {AlertText(a.Alert)} {Packet(a.Packet)} (OpenSSL-style)"
                    : clientAbortedEncrypted
                        ? $"an encrypted record of {firstClient.Length} bytes {Packet(firstClient.Packet)}, too short for a Finished: an alert (Java-style)"
                        : $"no Finished, only {clientTeardown!.Value.Kind.ToString().ToUpperInvariant()} {Packet(clientTeardown!.Value.Packet)}";
                causes.Add(NotVisible(o, $"The client aborted right after the server's encrypted flight: {how}{TeardownText(o)}; in TLS 1.3 that is how a client rejects the server's certificate"));
                return (HandshakeOutcome.Failed, "the client aborted after the server's (encrypted) Certificate");
            }
            if (serverFatal is { } sf)
            {
                causes.Add(NotVisible(o, $"The server aborted with alert {AlertText(sf.Alert)} {Packet(sf.Packet)}"));
                return (HandshakeOutcome.Failed, $"the server aborted with alert {AlertText(sf.Alert)}");
            }
            if (clientEncrypted.Count > 0)
            {
                var serverAfter = serverEncrypted.Where(r => r.Packet > firstClient.Packet).ToList();
                if (serverAfter.Count > 0 && IsAlertSized(serverAfter[0].Length))
                {
                    causes.Add(NotVisible(o, $"The server sent an alert-sized encrypted record {Packet(serverAfter[0].Packet)} right after the client's Finished{TeardownText(o)}: it rejected the client's flight (typically a missing or untrusted client certificate)"));
                    return (HandshakeOutcome.Failed, "the server aborted after the client's Finished (encrypted alert)");
                }
                if (RejectedAfterHandshakeTls13(o, clientEncrypted, clientTeardown))
                {
                    causes.Add(NotVisible(o, "The handshake completed but the client closed at once without sending data (it may have rejected the certificate after the handshake)"));
                    return (HandshakeOutcome.Failed, "the client closed right after the handshake without sending data");
                }
                return (HandshakeOutcome.Completed, "the client sent its Finished and application data followed (seen from record sizes; the handshake is encrypted)");
            }
            if (o.GapSeen.Any(g => g))
            {
                causes.Add(CaptureIncomplete(o, ctx, "The capture is missing part of the handshake", "Capture again with tcpdump -s 0."));
                return (HandshakeOutcome.Incomplete, "the capture has a gap in the handshake");
            }
            causes.Add(CaptureIncomplete(o, ctx, "The capture ends before the client answered the server's flight", "Capture for longer, until the connection closes."));
            return (HandshakeOutcome.Incomplete, "the capture ends before the handshake finishes");
        }

        // With keys: the alerts and the Certificate are readable.
        if (clientFatal is { } ca && !clientFinished)
        {
            ExplainClientRejection(o, ctx, verdict, certificates, causes, ca, clientTeardown);
            return (HandshakeOutcome.Failed, $"the client aborted the handshake with alert {AlertText(ca.Alert)}");
        }
        if (serverFatal is { } sa)
        {
            ExplainServerAbort(o, clientCerts, causes, sa);
            return (HandshakeOutcome.Failed, $"the server aborted the handshake with alert {AlertText(sa.Alert)}");
        }
        if (clientFinished || clientEncrypted.Count > 1)
        {
            if (RejectedAfterHandshake(o, ctx, verdict, clientTeardown, FirstTeardown(o, s)))
            {
                AddVerdictCauses(o, verdict!, certificates, causes, null, clientTeardown);
                return (HandshakeOutcome.Failed, "the handshake completed, but the client closed first without sending data (it rejected the certificate after the handshake)");
            }
            return (HandshakeOutcome.Completed, "the client sent its Finished");
        }
        if (visible && clientTeardown is { } ct)
        {
            ExplainClientRejection(o, ctx, verdict, certificates, causes, null, ct);
            return (HandshakeOutcome.Failed, "the client closed the connection after the server's Certificate without a readable alert");
        }
        if (clientEncrypted.Count == 1 && IsAlertSized(clientEncrypted[0].Length))
        {
            ExplainClientRejection(o, ctx, verdict, certificates, causes, null, clientTeardown);
            return (HandshakeOutcome.Failed, "the client aborted with an encrypted alert (the key log has no key for it)");
        }
        causes.Add(CaptureIncomplete(o, ctx, "The capture ends before the handshake finishes", "Capture for longer, until the connection closes."));
        return (HandshakeOutcome.Incomplete, endedByCapture ? "the capture ends before the handshake finishes" : "the connection ended before the handshake finished");
    }

    /// <summary>
    /// curl on a name mismatch completes the handshake, then closes first with close_notify, sending nothing. Only
    /// believed when the verdict is trustworthy: a truststore was given, or the failure is the host name alone.
    /// </summary>
    private static bool RejectedAfterHandshake(HandshakeObservation o, JudgeContext ctx, ChainVerdict? verdict, ControlSeen? clientTeardown, ControlSeen? serverTeardown)
    {
        if (verdict is not { Trusted: false } || clientTeardown is null || o.ApplicationDataRecords[o.ClientSide] > 0 || (o.IsTls13 && !o.Decrypting))
        {
            return false;
        }
        var believable = !ctx.TrustStoreIsSystemRoots || verdict.Findings.All(f => f.Code == CauseCode.HostnameMismatch);
        return believable && FirstCloseSeq(o, o.ClientSide) < FirstCloseSeq(o, o.ServerSide);
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

    private static bool RejectedAfterHandshakeTls13(HandshakeObservation o, List<RecordSeen> clientEncrypted, ControlSeen? clientTeardown)
        => clientTeardown is not null && clientEncrypted.Count == 2 && IsAlertSized(clientEncrypted[1].Length);

    private static void ExplainClientRejection(HandshakeObservation o, JudgeContext ctx, ChainVerdict? verdict, List<CertificateInfo> certificates,
        List<Cause> causes, AlertSeen? alert, ControlSeen? teardown)
    {
        if (o.ServerCertificate is null)
        {
            if (o.IsTls13)
            {
                causes.Add(NotVisible(o, alert is { } a ? $"The client aborted with alert {AlertText(a.Alert)} {Packet(a.Packet)}" : "The client aborted the handshake"));
            }
            else
            {
                causes.Add(new Cause(CauseCode.ClientRejectedCertificate, "The client aborted the handshake before any certificate was sent",
                    (alert is { } a ? $"client alert {AlertText(a.Alert)} {Packet(a.Packet)}" : "no alert") + TeardownText(o),
                    "See the client's log for the reason."));
            }
            return;
        }
        AddVerdictCauses(o, verdict!, certificates, causes, alert, teardown);
    }

    private static void AddVerdictCauses(HandshakeObservation o, ChainVerdict verdict, List<CertificateInfo> certificates, List<Cause> causes, AlertSeen? alert, ControlSeen? teardown)
    {
        var wire = WireEvidence(o, certificates, alert);
        if (verdict.Trusted)
        {
            causes.Add(new Cause(CauseCode.ClientRejectedCertificate,
                "The client rejected the server's chain, but it validates against the truststore given here",
                $"{wire}; with the truststore given, the chain builds to an anchor and the host name matches"
                + (alert is { } a && verdict.PredictedAlert is { } p && a.Alert.Description != p ? $"; the client's alert {AlertText(a.Alert)} is not what this profile predicts ({p})" : ""),
                "Check that the truststore given here is the one the client really uses (for Apigee: the <TrustStore> reference of the TargetEndpoint), and the client's log for its exact error."));
            return;
        }
        foreach (var f in verdict.Findings)
        {
            causes.Add(new Cause(f.Code, f.Summary, $"{wire}; {f.Evidence}", f.Fix));
        }
        if (causes.Count == 0)
        {
            causes.Add(new Cause(CauseCode.ClientRejectedCertificate, "The client rejected the server's chain", wire, "See the client's log for the reason."));
        }
    }

    private static void ExplainServerAbort(HandshakeObservation o, List<CertificateInfo> clientCerts, List<Cause> causes, AlertSeen alert)
    {
        var evidence = $"server alert {AlertText(alert.Alert)} {Packet(alert.Packet)}{TeardownText(o)}";
        if (o.CertificateRequest is not null || alert.Alert.Description is 116)
        {
            var requested = o.CertificateRequest is not null ? $"CertificateRequest {Packet(o.CertificateRequestPacket)}" : "the server requires a client certificate";
            var cas = o.CertificateRequest is { CertificateAuthorities.Count: > 0 } req
                ? " (it accepts certificates issued by: " + string.Join("; ", req.CertificateAuthorities.Select(DistinguishedNameText)) + ")"
                : "";
            if (clientCerts.Count == 0)
            {
                causes.Add(new Cause(CauseCode.ClientCertificateMissing,
                    "The server requires a client certificate and the client sent none",
                    $"{requested}{cas}; the client's Certificate message {(o.ClientCertificate is null ? "is absent" : $"{Packet(o.ClientCertificatePacket)} is empty")}; {evidence}",
                    "Give the client a key and certificate issued by a CA the server trusts (Apigee: <SSLInfo><ClientAuthEnabled>true</ClientAuthEnabled> with <KeyStore> and <KeyAlias>)."));
            }
            else
            {
                causes.Add(new Cause(CauseCode.ClientCertificateRejected,
                    "The server rejected the client's certificate",
                    $"{requested}{cas}; client Certificate {Packet(o.ClientCertificatePacket)}: {clientCerts[0].Subject} (issuer {clientCerts[0].Issuer}, sha256 {Short(clientCerts[0].Sha256Hex)}); {evidence}",
                    "Present a client certificate issued by a CA in the server's client-CA list, or add the client certificate's issuer to the server's trusted client CAs."));
            }
            return;
        }
        causes.Add(new Cause(CauseCode.ServerRejectedHello,
            $"The server aborted the handshake ({AlertText(alert.Alert)})", evidence,
            "Look at the server's logs for the reason; compare the protocol versions and cipher suites both sides allow."));
    }

    private static Cause NotVisible(HandshakeObservation o, string what) => new(
        CauseCode.CertificateNotVisible,
        "TLS 1.3 encrypts the server's Certificate; without a key log the chain cannot be checked. " + what + ".",
        $"ClientHello {Packet(o.ClientHelloPacket)}{(o.ClientHello?.ServerName is { } sni ? $" (SNI {sni})" : "")}, ServerHello {Packet(o.ServerHelloPacket)} (TLS 1.3, {TlsNames.CipherSuite(o.ServerHello!.CipherSuite)}){TeardownText(o)}",
        "Get a key log (SSLKEYLOGFILE from the client, or -keylogfile / the backend's key log: a server-side log decrypts both directions) and run again with --keylog FILE, or run 'pcaptls probe HOST:PORT' from the same host to fetch the chain.");

    private static Cause CaptureIncomplete(HandshakeObservation o, JudgeContext ctx, string summary, string fix)
    {
        var truncated = o.TruncatedPayload[0] || o.TruncatedPayload[1];
        if (truncated && (ctx.SnapLength ?? (ctx.Facts.ObservedSnapLength > 0 ? ctx.Facts.ObservedSnapLength : null)) is { } snap)
        {
            return new Cause(CauseCode.CaptureIncomplete,
                $"The capture was taken with a snapshot length of {snap} bytes; certificates cannot be read",
                $"packets of this connection were cut at {snap} bytes (first {Packet(o.FirstPacket)})",
                "Capture again with tcpdump -s 0.");
        }
        var gaps = string.Join(", ", Enumerable.Range(0, 2).Where(i => o.GapSeen[i]).Select(i => $"{o.PeerOf(i).ToCode()} data missing before {Packet(o.GapPacket[i])}"));
        return new Cause(CauseCode.CaptureIncomplete, summary,
            gaps.Length > 0 ? gaps : $"last packet of the connection {Packet(o.LastPacket)}", fix);
    }

    private static string WireEvidence(HandshakeObservation o, List<CertificateInfo> certificates, AlertSeen? alert)
    {
        var parts = new List<string>();
        if (o.ClientHelloPacket != 0)
        {
            parts.Add($"ClientHello {Packet(o.ClientHelloPacket)}{(o.ClientHello?.ServerName is { } sni ? $" (SNI {sni})" : "")}");
        }
        if (o.ServerCertificate is not null)
        {
            var chain = string.Join(" | ", certificates.Select((x, i) => $"[{i}] {(x.IsParsed ? x.Subject : "(unparsable)")} sha256 {Short(x.Sha256Hex)}"));
            parts.Add($"Certificate {Packet(o.ServerCertificatePacket)}{(o.ServerCertificateDecrypted ? " (decrypted)" : "")}: {certificates.Count} certificate(s): {chain}");
        }
        if (alert is { } a)
        {
            parts.Add($"{o.PeerOf(a.Side).ToCode()} alert {AlertText(a.Alert)}{(a.Alert.Encrypted ? " (encrypted)" : "")} {Packet(a.Packet)}");
        }
        var td = TeardownText(o).TrimStart(';', ' ');
        if (td.Length > 0)
        {
            parts.Add(td);
        }
        return string.Join("; ", parts);
    }

    private static string TeardownText(HandshakeObservation o)
    {
        var items = o.Controls.Where(x => x.Kind is TcpControlKind.Fin or TcpControlKind.Rst).Take(4)
            .Select(x => $"{o.PeerOf(x.Side).ToCode()} {(x.Kind == TcpControlKind.Fin ? "FIN" : "RST")} {Packet(x.Packet)}").ToList();
        return items.Count == 0 ? "" : "; " + string.Join(", ", items);
    }

    private static (string? Host, string? Source) ChooseHost(HandshakeObservation o, JudgeContext ctx)
    {
        if (ctx.Options.Host is { Length: > 0 } h)
        {
            return (h, "--host");
        }
        if (ctx.Options.TargetEndpoint?.Host is { Length: > 0 } t)
        {
            return (t, "target endpoint URL");
        }
        if (o.ClientHello?.ServerName is { Length: > 0 } sni)
        {
            return (sni, "SNI");
        }
        return (null, null);
    }

    private static AlertSeen? FirstFatal(HandshakeObservation o, int side)
    {
        foreach (var a in o.Alerts)
        {
            if (a.Side == side && (a.Alert.Level == TlsAlertLevel.Fatal || (a.Alert.Level is null && a.Alert.Encrypted)))
            {
                return a;
            }
        }
        return null;
    }

    private static ControlSeen? FirstTeardown(HandshakeObservation o, int side)
    {
        foreach (var x in o.Controls)
        {
            if (x.Side == side && x.Kind is TcpControlKind.Fin or TcpControlKind.Rst)
            {
                return x;
            }
        }
        return null;
    }

    private static long FirstCcsPacket(HandshakeObservation o, int side) => o.ChangeCipherSpecCount[side] > 0 ? o.FirstChangeCipherSpecPacket[side] : long.MaxValue;

    private static AlertEvent ToAlertEvent(HandshakeObservation o, AlertSeen a) => new(
        o.PeerOf(a.Side),
        a.Alert.Level switch { TlsAlertLevel.Fatal => "fatal", TlsAlertLevel.Warning => "warning", null => "unknown", var l => ((byte)l).ToString(CultureInfo.InvariantCulture) },
        a.Alert.Description is { } d ? TlsNames.AlertDescription(d) : "encrypted",
        a.Alert.Description,
        a.Packet,
        FromNanos(a.TimeNanos),
        a.Alert.Encrypted);

    internal static string AlertText(TlsAlert a) => a.Description is { } d
        ? $"{(a.Level == TlsAlertLevel.Warning ? "warning " : "")}{TlsNames.AlertDescription(d)} ({d})"
        : "(encrypted)";

    private static string OfferedVersions(ClientHelloInfo h) => h.SupportedVersions.Count > 0
        ? string.Join("/", h.SupportedVersions.Where(v => (v & 0x0F0F) != 0x0A0A).Select(TlsNames.Version))
        : TlsNames.Version(h.LegacyVersion);

    private static string DistinguishedNameText(byte[] der)
    {
        try
        {
            return new System.Security.Cryptography.X509Certificates.X500DistinguishedName(der).Name;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return "(unparsable name)";
        }
    }

    internal static string Packet(long n) => "#" + n.ToString(CultureInfo.InvariantCulture);

    internal static string Short(string sha256) => sha256.Length > 16 ? sha256[..16] : sha256;

    internal static DateTimeOffset FromNanos(long nanos) => DateTimeOffset.UnixEpoch.AddTicks(nanos / 100);
}
