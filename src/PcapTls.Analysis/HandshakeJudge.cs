using System.Globalization;
using PcapTls.Flows;
using PcapTls.Tls;
using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>
/// Judges one connection: gathers its <see cref="HandshakeFacts"/>, has the validation core judge the server's chain,
/// applies the rules (<see cref="HelloRules"/>, <see cref="Tls12Rules"/>, <see cref="Tls13Rules"/>) and words the
/// resulting <see cref="Judgement"/> (<see cref="OutcomeWording"/>, <see cref="CauseWording"/>) into the report.
/// </summary>
internal static class HandshakeJudge
{
    private static readonly int[] TlsPorts = [443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 5061, 5223, 8443, 9443];

    /// <summary>TLS records, but the capture began after the handshake: no hello, and neither stream starts with a
    /// handshake record. Not a handshake to report; the pipeline lists it as an anomaly.</summary>
    public static bool IsMidstreamTls(HandshakeObservation o)
        => o.ClientHello is null && o.ServerHello is null && o.NotTlsPreview[0] is null && o.NotTlsPreview[1] is null
           && o.Records.Count > 0 && o.FirstByte[0] != HandshakeFacts.TlsHandshakeRecordType && o.FirstByte[1] != HandshakeFacts.TlsHandshakeRecordType;

    /// <summary>Returns null for a connection that is not worth reporting (no TLS at all, not on a TLS port).</summary>
    public static HandshakeReport? Judge(HandshakeObservation o, JudgeContext ctx)
    {
        var names = EvidenceText.Names;
        EvidenceText.Names = ctx.Options.PacketNames;
        try
        {
            return JudgeNamed(o, ctx);
        }
        finally
        {
            EvidenceText.Names = names;
        }
    }

    private static HandshakeReport? JudgeNamed(HandshakeObservation o, JudgeContext ctx)
    {
        if (IsMidstreamTls(o))
        {
            return null;
        }
        o.ForgetTeardownText();
        var facts = HandshakeFacts.Of(o, Seen(o.ServerCertificate, ctx), Seen(o.ClientCertificate, ctx), ctx.Facts.TruncatedPackets,
            ctx.SnapLength ?? (ctx.Facts.ObservedSnapLength > 0 ? ctx.Facts.ObservedSnapLength : null), ctx.TrustStoreIsSystemRoots);
        if (!facts.SawTls && o.Refusal is null && (facts.PlaintextSide < 0 || !TlsPorts.Contains(o.Connection.Responder.Port)))
        {
            return null;
        }
        var serverChain = Ders(facts.ServerCertificates);
        var validation = serverChain.Length > 0 ? Validate(o, ctx, serverChain) : default;
        var judgement = Decide(facts, validation.Verdict);
        return Report(facts, ctx, judgement, validation, serverChain);
    }

    /// <summary>The rules, by what the capture holds: plaintext, no hello, no ServerHello, TLS 1.2 or TLS 1.3.</summary>
    internal static Judgement Decide(HandshakeFacts f, ChainVerdict? verdict)
    {
        var o = f.Observation;
        if (o.Refusal is { } refusal && o.ClientHello is null && o.ServerHello is null)
        {
            return HelloRules.Refused(refusal);
        }
        if (f.PlaintextSide >= 0 && o.ServerHello is null)
        {
            return HelloRules.Plaintext(f);
        }
        if (o.ClientHello is null && o.ServerHello is null)
        {
            return HelloRules.NoHello(f);
        }
        if (o.ServerHello is null)
        {
            return HelloRules.NoServerHello(f);
        }
        return o.IsTls13 ? Tls13Rules.Judge(f, verdict) : Tls12Rules.Judge(f, verdict);
    }

    /// <summary>The host checked, where it came from, the validation time, and the chain's verdict.</summary>
    private readonly record struct ChainValidation(string? Host, string? HostSource, DateTimeOffset? At, ChainVerdict? Verdict);

    private static ChainValidation Validate(HandshakeObservation o, JudgeContext ctx, byte[][] serverChain)
    {
        var (host, hostSource) = ChooseHost(o, ctx);
        var at = ctx.Options.At ?? FromNanos(o.ServerCertificateTime);
        var verdict = ctx.Cache.GetOrValidate(new ValidationRequest(
            serverChain, ctx.TrustStore, host, at, ctx.Options.Profile, KeyPurpose.ServerAuth)
        {
            TlsVersion = o.ServerHello is { IsHelloRetryRequest: false } sh ? sh.NegotiatedVersion : null,
            AllowPartialChain = ctx.Options.AllowPartialChain,
            JavaSecurity = ctx.Options.JavaSecurity,
            Java = ctx.Options.Java,
        });
        return new ChainValidation(host, hostSource, at, verdict);
    }

    private static HandshakeReport Report(HandshakeFacts facts, JudgeContext ctx, Judgement judgement, ChainValidation validation, byte[][] serverChain)
    {
        var o = facts.Observation;
        var hello = o.ServerHello;
        var version = hello is not null && !hello.IsHelloRetryRequest ? TlsNames.Version(hello.NegotiatedVersion)
            : o.ClientHello is not null ? TlsNames.Version(o.ClientHello.MaxVersion) : null;
        return new HandshakeReport(
            Client: o.EndpointOf(facts.Client).ToString(),
            Server: ctx.ServerEndpoints.Text(o.EndpointOf(facts.Server)),
            StartPacket: o.ClientHelloPacket != 0 ? o.ClientHelloPacket : o.FirstPacket,
            StartTime: FromNanos(o.ClientHelloPacket != 0 ? o.ClientHelloTime : o.FirstTime),
            Sni: ctx.Texts.Intern(o.ClientHello?.ServerName),
            Version: ctx.Texts.Intern(version),
            Cipher: ctx.Texts.Intern(hello is not null && !hello.IsSslv2 ? TlsNames.CipherSuite(hello.CipherSuite) : null),
            Outcome: judgement.Outcome,
            OutcomeDetail: ctx.Texts.Intern(OutcomeWording.Detail(judgement, facts) + (judgement.Outcome == HandshakeOutcome.Completed ? EarlyTraffic.Note(o) : "")),
            ServerCertificates: Summaries(facts.ServerCertificates),
            ClientCertificates: Summaries(facts.ClientCertificates),
            CertificateRequested: o.CertificateRequest is not null,
            CertificateEncrypted: o.IsTls13 && o.ServerCertificate is null,
            ServerCertificateMessage: o.ServerCertificate is not null,
            ClientCertificateMessage: o.ClientCertificate is not null,
            Alerts: AlertEvents(o),
            Teardown: TeardownEvents(o),
            Causes: InternTexts(CauseWording.Causes(judgement, facts, validation.Verdict, ctx.DistinguishedNames), ctx.Texts),
            Ladder: Ladder.Build(o, ctx.Texts),
            HostChecked: ctx.Texts.Intern(validation.Host),
            HostSource: ctx.Texts.Intern(validation.HostSource),
            ValidatedAt: validation.At,
            KeyLog: ctx.Texts.Intern(o.KeyLogNote),
            Verdict: validation.Verdict,
            ServerChainDer: serverChain,
            LastPacket: o.LastPacket)
        { Path = o.Connection.Path };
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
        if (o.Preamble[o.ClientSide]?.Target is { } target)
        {
            // Without SNI, the tunnel's target names the host the client meant (the proxy is only the hop).
            return (target.Host, $"{o.Preamble[o.ClientSide]!.Protocol} target");
        }
        return (null, null);
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

    private static AlertEvent ToAlertEvent(HandshakeObservation o, AlertSeen a) => new(
        o.PeerOf(a.Side),
        a.Alert.Level switch { TlsAlertLevel.Fatal => "fatal", TlsAlertLevel.Warning => "warning", null => "unknown", var l => ((byte)l).ToString(CultureInfo.InvariantCulture) },
        a.Alert.Description is { } d ? TlsNames.AlertDescription(d) : "encrypted",
        a.Alert.Description,
        a.Packet,
        FromNanos(a.TimeNanos),
        a.Alert.Encrypted);

    internal static DateTimeOffset FromNanos(long nanos) => DateTimeOffset.UnixEpoch.AddTicks(nanos / 100);
}
