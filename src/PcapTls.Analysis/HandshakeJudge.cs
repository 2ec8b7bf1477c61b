using System.Globalization;
using System.Runtime.CompilerServices;
using PcapTls.Capture;
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

    /// <summary>Client-CA names of CertificateRequests, each decoded once per analysis.</summary>
    public DistinguishedNames DistinguishedNames { get; } = new();

    /// <summary>Server endpoint texts ("10.0.0.1:443"), each made once per analysis: a busy proxy talks to a few
    /// backends, and each report names one.</summary>
    public EndpointTexts ServerEndpoints { get; } = new();
}

/// <summary>The text of each distinct endpoint (as <see cref="NetEndpoint.ToString"/> writes it), made once.</summary>
internal sealed class EndpointTexts
{
    /// <summary>Distinct endpoints kept; beyond it the table starts over (memory stays bounded on hostile input).</summary>
    internal const int MaxEntries = 4_096;

    private readonly Dictionary<NetEndpoint, string> texts = [];
    private readonly Lock gate = new();

    public string Text(NetEndpoint endpoint)
    {
        lock (gate)
        {
            if (texts.TryGetValue(endpoint, out var known))
            {
                return known;
            }
        }
        var text = endpoint.ToString();
        lock (gate)
        {
            if (texts.Count >= MaxEntries)
            {
                texts.Clear();
            }
            texts.TryAdd(endpoint, text);
        }
        return text;
    }
}

/// <summary>
/// The text of each distinct distinguished name (a CertificateRequest's client-CA list), decoded once: a server
/// asking 10,000 clients for a certificate sends the same list each time, and decoding it costs a crypto call.
/// </summary>
internal sealed class DistinguishedNames
{
    /// <summary>Distinct names kept; beyond it the table starts over (memory stays bounded on hostile input).</summary>
    internal const int MaxEntries = 1_000;

    /// <summary>Longer encodings are decoded each time, not kept.</summary>
    internal const int MaxLength = 1024;

    private readonly Dictionary<byte[], string> byDer = new(DerComparer.Instance);
    private readonly Lock gate = new();

    public string Text(byte[] der)
    {
        if (der.Length > MaxLength)
        {
            return HandshakeJudge.DistinguishedNameText(der);
        }
        lock (gate)
        {
            if (byDer.TryGetValue(der, out var known))
            {
                return known;
            }
        }
        var text = HandshakeJudge.DistinguishedNameText(der);
        lock (gate)
        {
            if (byDer.Count >= MaxEntries)
            {
                byDer.Clear();
            }
            byDer.TryAdd(der, text);
        }
        return text;
    }
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

        // Facts computed once per judgement and reused by every text that quotes them.
        o.ForgetTeardownText();
        var serverSeen = Seen(o.ServerCertificate, ctx);
        var clientSeen = Seen(o.ClientCertificate, ctx);
        var serverChain = Ders(serverSeen);
        var certificates = serverSeen;
        var clientCerts = clientSeen;

        var clientFatal = FirstFatal(o, c);
        var serverFatal = FirstFatal(o, s);
        var clientTeardown = FirstTeardown(o, c);
        var serverTeardown = FirstTeardown(o, s);
        var endedByCapture = o.EndReason is FlowEndReason.CaptureEnded or FlowEndReason.Evicted;

        if (serverChain.Length > 0)
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
            detail = o.TruncatedPayload[0] || o.TruncatedPayload[1] ? "the snapshot length cut the handshake's packets: no TLS message could be read"
                : o.GapSeen[0] || o.GapSeen[1] ? "the capture lost the start of this connection" : "the capture starts after the handshake";
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
                detail = serverTeardown is { } st ? $"the server sent no ServerHello and closed ({KindText(st.Kind)})" : "the server never answered the ClientHello";
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
            Server: ctx.ServerEndpoints.Text(o.EndpointOf(s)),
            StartPacket: o.ClientHelloPacket != 0 ? o.ClientHelloPacket : o.FirstPacket,
            StartTime: FromNanos(o.ClientHelloPacket != 0 ? o.ClientHelloTime : o.FirstTime),
            Sni: ctx.Texts.Intern(o.ClientHello?.ServerName),
            Version: ctx.Texts.Intern(version),
            Cipher: ctx.Texts.Intern(hello is not null && !hello.IsSslv2 ? TlsNames.CipherSuite(hello.CipherSuite) : null),
            Outcome: outcome,
            OutcomeDetail: ctx.Texts.Intern(detail),
            ServerCertificates: Summaries(serverSeen),
            ClientCertificates: Summaries(clientSeen),
            CertificateRequested: o.CertificateRequest is not null,
            CertificateEncrypted: o.IsTls13 && o.ServerCertificate is null,
            ServerCertificateMessage: o.ServerCertificate is not null,
            ClientCertificateMessage: o.ClientCertificate is not null,
            Alerts: AlertEvents(o),
            Teardown: TeardownEvents(o),
            Causes: InternTexts(causes, ctx.Texts),
            Ladder: Ladder.Build(o, ctx.Texts),
            HostChecked: ctx.Texts.Intern(host),
            HostSource: ctx.Texts.Intern(hostSource),
            ValidatedAt: validatedAt,
            KeyLog: ctx.Texts.Intern(o.KeyLogNote),
            Verdict: verdict,
            ServerChainDer: serverChain,
            LastPacket: o.LastPacket);
    }

    private static (HandshakeOutcome, string) JudgeTls12(HandshakeObservation o, JudgeContext ctx, ChainVerdict? verdict,
        SeenCertificates.Seen[] certificates, SeenCertificates.Seen[] clientCerts, List<Cause> causes,
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
            ExplainServerAbort(o, ctx, clientCerts, causes, sa);
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
            return (HandshakeOutcome.Failed, $"the client closed the connection ({KindText(ct.Kind)}) after the server's Certificate without an alert");
        }
        if (o.GapSeen[0] || o.GapSeen[1] || o.ServerCertificate is null && o.PayloadBytes[s] > 0 && !HasMessage(o, -1, TlsHandshakeType.ServerHelloDone))
        {
            causes.Add(CaptureIncomplete(o, ctx, "The capture is missing part of the handshake", "Capture again with tcpdump -s 0, from before the connection opens, until it closes."));
            return (HandshakeOutcome.Incomplete, "the capture has a gap in the handshake");
        }
        if (serverTeardown is { } st)
        {
            causes.Add(new Cause(CauseCode.NoServerResponse, "The server closed the connection in the middle of the handshake",
                $"ServerHello {Packet(o.ServerHelloPacket)}; server {KindText(st.Kind)} {Packet(st.Packet)}",
                "Look at the server's logs for the reason it closed the connection."));
            return (HandshakeOutcome.Failed, "the server closed the connection before the handshake finished");
        }
        causes.Add(CaptureIncomplete(o, ctx, "The capture ends before the handshake finishes", "Capture for longer, until the connection closes."));
        return (HandshakeOutcome.Incomplete, endedByCapture ? "the capture ends before the handshake finishes" : "the connection ended before the handshake finished");
    }

    private static (HandshakeOutcome, string) JudgeTls13(HandshakeObservation o, JudgeContext ctx, ChainVerdict? verdict,
        SeenCertificates.Seen[] certificates, SeenCertificates.Seen[] clientCerts, List<Cause> causes,
        AlertSeen? clientFatal, AlertSeen? serverFatal, ControlSeen? clientTeardown, bool endedByCapture)
    {
        var c = o.ClientSide;
        var s = o.ServerSide;
        var clientFinished = HasMessage(o, c, TlsHandshakeType.Finished);
        var visible = o.ServerCertificate is not null;
        var clientEncrypted = EncryptedAfterServerHello.Of(o, c);
        var serverEncrypted = EncryptedAfterServerHello.Of(o, s);

        if (!o.Decrypting)
        {
            // Without keys: read the pattern of record sizes and directions.
            var firstClient = clientEncrypted.First;
            var clientAbortedEncrypted = clientEncrypted.Count > 0 && IsAlertSized(firstClient.Length);
            if (clientFatal is { } pa || clientAbortedEncrypted || (clientEncrypted.Count == 0 && clientTeardown is not null && serverEncrypted.Count > 0))
            {
                var how = clientFatal is { } a
                    ? $"a plaintext alert {AlertText(a.Alert)} {Packet(a.Packet)} (OpenSSL-style)"
                    : clientAbortedEncrypted
                        ? $"an encrypted record of {firstClient.Length} bytes {Packet(firstClient.Packet)}, too short for a Finished: an alert (Java-style)"
                        : $"no Finished, only {KindText(clientTeardown!.Value.Kind)} {Packet(clientTeardown!.Value.Packet)}";
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
                if (EncryptedAfterServerHello.FirstAfter(o, s, firstClient.Packet) is { } serverAfter && IsAlertSized(serverAfter.Length))
                {
                    causes.Add(NotVisible(o, $"The server sent an alert-sized encrypted record {Packet(serverAfter.Packet)} right after the client's Finished{TeardownText(o)}: it rejected the client's flight (typically a missing or untrusted client certificate)"));
                    return (HandshakeOutcome.Failed, "the server aborted after the client's Finished (encrypted alert)");
                }
                if (RejectedAfterHandshakeTls13(o, clientEncrypted, clientTeardown))
                {
                    causes.Add(NotVisible(o, "The handshake completed but the client closed at once without sending data (it may have rejected the certificate after the handshake)"));
                    return (HandshakeOutcome.Failed, "the client closed right after the handshake without sending data");
                }
                return (HandshakeOutcome.Completed, "the client sent its Finished and application data followed (seen from record sizes; the handshake is encrypted)");
            }
            if (o.GapSeen[0] || o.GapSeen[1])
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
            ExplainServerAbort(o, ctx, clientCerts, causes, sa);
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
        if (clientEncrypted.Count == 1 && IsAlertSized(clientEncrypted.First.Length))
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
        var believable = !ctx.TrustStoreIsSystemRoots || OnlyHostnameMismatch(verdict);
        return believable && FirstCloseSeq(o, o.ClientSide) < FirstCloseSeq(o, o.ServerSide);
    }

    private static bool OnlyHostnameMismatch(ChainVerdict verdict)
    {
        foreach (var f in verdict.Findings)
        {
            if (f.Code != CauseCode.HostnameMismatch)
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

    private static bool RejectedAfterHandshakeTls13(HandshakeObservation o, EncryptedAfterServerHello clientEncrypted, ControlSeen? clientTeardown)
        => clientTeardown is not null && clientEncrypted.Count == 2 && IsAlertSized(clientEncrypted.Second.Length);

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

    private static void ExplainClientRejection(HandshakeObservation o, JudgeContext ctx, ChainVerdict? verdict, SeenCertificates.Seen[] certificates,
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

    private static void AddVerdictCauses(HandshakeObservation o, ChainVerdict verdict, SeenCertificates.Seen[] certificates, List<Cause> causes, AlertSeen? alert, ControlSeen? teardown)
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

    private static void ExplainServerAbort(HandshakeObservation o, JudgeContext ctx, SeenCertificates.Seen[] clientCerts, List<Cause> causes, AlertSeen alert)
    {
        var evidence = $"server alert {AlertText(alert.Alert)} {Packet(alert.Packet)}{TeardownText(o)}";
        if (o.CertificateRequest is not null || alert.Alert.Description is 116)
        {
            var requested = o.CertificateRequest is not null ? $"CertificateRequest {Packet(o.CertificateRequestPacket)}" : "the server requires a client certificate";
            var cas = o.CertificateRequest is { CertificateAuthorities.Count: > 0 } req ? AcceptedIssuers(req, ctx) : "";
            if (clientCerts.Length == 0)
            {
                causes.Add(new Cause(CauseCode.ClientCertificateMissing,
                    ClientAuthenticationTexts.MissingSummary,
                    $"{requested}{cas}; the client's Certificate message {(o.ClientCertificate is null ? "is absent" : $"{Packet(o.ClientCertificatePacket)} is empty")}; {evidence}",
                    ClientAuthenticationTexts.MissingFix));
            }
            else
            {
                causes.Add(new Cause(CauseCode.ClientCertificateRejected,
                    ClientAuthenticationTexts.RejectedSummary,
                    $"{requested}{cas}; client Certificate {Packet(o.ClientCertificatePacket)}: {clientCerts[0].Info.Subject} (issuer {clientCerts[0].Info.Issuer}, sha256 {Short(clientCerts[0].Info.Sha256Hex.AsSpan())}); {evidence}",
                    ClientAuthenticationTexts.RejectedFix));
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
        var gaps = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture);
        var any = false;
        for (var i = 0; i < 2; i++)
        {
            if (o.GapSeen[i])
            {
                if (any)
                {
                    gaps.AppendLiteral(", ");
                }
                gaps.AppendFormatted(o.PeerOf(i).ToCode());
                gaps.AppendLiteral(" data missing before #");
                gaps.AppendFormatted(o.GapPacket[i]);
                any = true;
            }
        }
        var gapText = gaps.ToStringAndClear();
        return new Cause(CauseCode.CaptureIncomplete, summary,
            gapText.Length > 0 ? gapText : $"last packet of the connection {Packet(o.LastPacket)}", fix);
    }

    private static string WireEvidence(HandshakeObservation o, SeenCertificates.Seen[] certificates, AlertSeen? alert)
    {
        // The parts, joined with "; ", written straight into one pooled buffer.
        var text = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture);
        var parts = 0;
        if (o.ClientHelloPacket != 0)
        {
            text.AppendLiteral("ClientHello #");
            text.AppendFormatted(o.ClientHelloPacket);
            if (o.ClientHello?.ServerName is { } sni)
            {
                text.AppendLiteral(" (SNI ");
                text.AppendFormatted(sni);
                text.AppendLiteral(")");
            }
            parts++;
        }
        if (o.ServerCertificate is not null)
        {
            Separate(ref text, ref parts);
            text.AppendLiteral("Certificate #");
            text.AppendFormatted(o.ServerCertificatePacket);
            if (o.ServerCertificateDecrypted)
            {
                text.AppendLiteral(" (decrypted)");
            }
            text.AppendLiteral(": ");
            text.AppendFormatted(certificates.Length);
            text.AppendLiteral(" certificate(s): ");
            for (var i = 0; i < certificates.Length; i++)
            {
                var x = certificates[i].Info;
                if (i > 0)
                {
                    text.AppendLiteral(" | ");
                }
                text.AppendLiteral("[");
                text.AppendFormatted(i);
                text.AppendLiteral("] ");
                text.AppendFormatted(x.IsParsed ? x.Subject : "(unparsable)");
                text.AppendLiteral(" sha256 ");
                text.AppendFormatted(Short(x.Sha256Hex.AsSpan()));
            }
        }
        if (alert is { } a)
        {
            Separate(ref text, ref parts);
            text.AppendFormatted(o.PeerOf(a.Side).ToCode());
            text.AppendLiteral(" alert ");
            text.AppendFormatted(AlertText(a.Alert));
            if (a.Alert.Encrypted)
            {
                text.AppendLiteral(" (encrypted)");
            }
            text.AppendLiteral(" #");
            text.AppendFormatted(a.Packet);
        }
        var td = TeardownText(o).AsSpan().TrimStart("; ");
        if (td.Length > 0)
        {
            Separate(ref text, ref parts);
            text.AppendFormatted(td);
        }
        return text.ToStringAndClear();
    }

    private static void Separate(ref DefaultInterpolatedStringHandler text, ref int parts)
    {
        if (parts++ > 0)
        {
            text.AppendLiteral("; ");
        }
    }

    /// <summary>"; client FIN #12, server RST #13" (the first four FIN/RST), or empty; made once per judgement.</summary>
    private static string TeardownText(HandshakeObservation o) => o.TeardownTextMemo ??= MakeTeardownText(o);

    private static string MakeTeardownText(HandshakeObservation o)
    {
        var text = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture);
        var items = 0;
        foreach (var x in o.Controls)
        {
            if (x.Kind is not (TcpControlKind.Fin or TcpControlKind.Rst))
            {
                continue;
            }
            if (items == 4)
            {
                break;
            }
            text.AppendLiteral(items++ == 0 ? "; " : ", ");
            text.AppendFormatted(o.PeerOf(x.Side).ToCode());
            text.AppendLiteral(x.Kind == TcpControlKind.Fin ? " FIN #" : " RST #");
            text.AppendFormatted(x.Packet);
        }
        return items == 0 ? "" : text.ToStringAndClear();
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

    private static SeenCertificates.Seen[] Seen(CertificateMessage? message, JudgeContext ctx)
    {
        if (message is null || message.Certificates.Count == 0)
        {
            return [];
        }
        var seen = new SeenCertificates.Seen[message.Certificates.Count];
        for (var i = 0; i < seen.Length; i++)
        {
            seen[i] = ctx.Certificates.Get(message.Certificates[i]);
        }
        return seen;
    }

    private static byte[][] Ders(SeenCertificates.Seen[] seen)
    {
        if (seen.Length == 0)
        {
            return [];
        }
        var ders = new byte[seen.Length][];
        for (var i = 0; i < ders.Length; i++)
        {
            ders[i] = seen[i].Der;
        }
        return ders;
    }

    private static CertificateSummary[] Summaries(SeenCertificates.Seen[] seen)
    {
        if (seen.Length == 0)
        {
            return [];
        }
        var summaries = new CertificateSummary[seen.Length];
        for (var i = 0; i < summaries.Length; i++)
        {
            summaries[i] = seen[i].Summary;
        }
        return summaries;
    }

    private static AlertEvent[] AlertEvents(HandshakeObservation o)
    {
        if (o.Alerts.Count == 0)
        {
            return [];
        }
        var events = new AlertEvent[o.Alerts.Count];
        for (var i = 0; i < events.Length; i++)
        {
            events[i] = ToAlertEvent(o, o.Alerts[i]);
        }
        return events;
    }

    private static TeardownEvent[] TeardownEvents(HandshakeObservation o)
    {
        var count = 0;
        foreach (var x in o.Controls)
        {
            if (x.Kind is TcpControlKind.Fin or TcpControlKind.Rst)
            {
                count++;
            }
        }
        if (count == 0)
        {
            return [];
        }
        var events = new TeardownEvent[count];
        var n = 0;
        foreach (var x in o.Controls)
        {
            if (x.Kind is TcpControlKind.Fin or TcpControlKind.Rst)
            {
                events[n++] = new TeardownEvent(o.PeerOf(x.Side), x.Kind == TcpControlKind.Fin ? "fin" : "rst", x.Packet, FromNanos(x.TimeNanos));
            }
        }
        return events;
    }

    /// <summary>The causes with their summaries and fixes shared through <paramref name="texts"/> (a cause is copied
    /// only when a text of it is not already the shared copy).</summary>
    private static List<Cause> InternTexts(List<Cause> causes, ReportTexts texts)
    {
        for (var i = 0; i < causes.Count; i++)
        {
            var x = causes[i];
            var summary = texts.Intern(x.Summary);
            var fix = texts.Intern(x.Fix);
            if (!ReferenceEquals(summary, x.Summary) || !ReferenceEquals(fix, x.Fix))
            {
                causes[i] = x with { Summary = summary, Fix = fix };
            }
        }
        return causes;
    }

    /// <summary>Whether a message of this type was seen, from <paramref name="side"/> (-1: from either side).</summary>
    private static bool HasMessage(HandshakeObservation o, int side, TlsHandshakeType type)
    {
        foreach (var m in o.Messages)
        {
            if (m.Type == type && (side < 0 || m.Side == side))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>"FIN", "RST" (the kind's name in capitals).</summary>
    private static string KindText(TcpControlKind kind) => kind switch
    {
        TcpControlKind.Fin => "FIN",
        TcpControlKind.Rst => "RST",
        _ => kind.ToString().ToUpperInvariant(),
    };

    private static long FirstCcsPacket(HandshakeObservation o, int side) => o.ChangeCipherSpecCount[side] > 0 ? o.FirstChangeCipherSpecPacket[side] : long.MaxValue;

    private static AlertEvent ToAlertEvent(HandshakeObservation o, AlertSeen a) => new(
        o.PeerOf(a.Side),
        a.Alert.Level switch { TlsAlertLevel.Fatal => "fatal", TlsAlertLevel.Warning => "warning", null => "unknown", var l => ((byte)l).ToString(CultureInfo.InvariantCulture) },
        a.Alert.Description is { } d ? TlsNames.AlertDescription(d) : "encrypted",
        a.Alert.Description,
        a.Packet,
        FromNanos(a.TimeNanos),
        a.Alert.Encrypted);

    /// <summary>"handshake_failure (40)", "warning close_notify (0)", or "(encrypted)".</summary>
    internal static string AlertText(TlsAlert a)
    {
        if (a.Description is not { } d)
        {
            return "(encrypted)";
        }
        // Made once per level and description; racing threads may each make it, the texts are equal.
        var warning = a.Level == TlsAlertLevel.Warning;
        return AlertTexts[(warning ? 256 : 0) + d] ??= $"{(warning ? "warning " : "")}{TlsNames.AlertDescription(d)} ({d})";
    }

    private static readonly string?[] AlertTexts = new string?[2 * 256];

    private static string OfferedVersions(ClientHelloInfo h)
    {
        if (h.SupportedVersions.Count == 0)
        {
            return TlsNames.Version(h.LegacyVersion);
        }
        var text = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture);
        var any = false;
        foreach (var v in h.SupportedVersions)
        {
            // GREASE values (0x?A?A) are not versions.
            if ((v & 0x0F0F) == 0x0A0A)
            {
                continue;
            }
            if (any)
            {
                text.AppendLiteral("/");
            }
            text.AppendFormatted(TlsNames.Version(v));
            any = true;
        }
        return text.ToStringAndClear();
    }

    /// <summary>" (it accepts certificates issued by: A; B)": each name decoded once per analysis.</summary>
    private static string AcceptedIssuers(CertificateRequestInfo request, JudgeContext ctx)
    {
        var text = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture);
        text.AppendLiteral(" (it accepts certificates issued by: ");
        var first = true;
        foreach (var der in request.CertificateAuthorities)
        {
            if (!first)
            {
                text.AppendLiteral("; ");
            }
            text.AppendFormatted(ctx.DistinguishedNames.Text(der));
            first = false;
        }
        text.AppendLiteral(")");
        return text.ToStringAndClear();
    }

    internal static string DistinguishedNameText(byte[] der)
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

    /// <summary>A packet as the texts quote it ("#12"), written straight into the text that quotes it.</summary>
    internal static PacketNumber Packet(long n) => new(n);

    private static ReadOnlySpan<char> Short(ReadOnlySpan<char> sha256) => sha256.Length > 16 ? sha256[..16] : sha256;

    internal static DateTimeOffset FromNanos(long nanos) => DateTimeOffset.UnixEpoch.AddTicks(nanos / 100);
}

/// <summary>"#12": a packet number as the report texts quote it, formatted without an intermediate string.</summary>
internal readonly struct PacketNumber(long number) : ISpanFormattable
{
    public override string ToString() => "#" + number.ToString(CultureInfo.InvariantCulture);

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (destination.Length > 1 && number.TryFormat(destination[1..], out var digits, default, CultureInfo.InvariantCulture))
        {
            destination[0] = '#';
            charsWritten = digits + 1;
            return true;
        }
        charsWritten = 0;
        return false;
    }
}
