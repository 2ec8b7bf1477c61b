using System.Globalization;
using PcapTls.Tls;
using PcapTls.Validation;
using static PcapTls.Analysis.EvidenceText;

namespace PcapTls.Analysis;

/// <summary>The summary, evidence and fix of each <see cref="CauseKind"/>: the sentences a cause is reported in.</summary>
internal static class CauseWording
{
    private const string PlaintextFix = "Point the client at the server's TLS port (or enable TLS on the server); for Apigee, check the scheme and port in the TargetEndpoint <URL>.";
    private const string LongerCaptureFix = "Capture for longer, until the connection closes.";
    private const string SeeClientLogFix = "See the client's log for the reason.";

    /// <summary>The causes of a judgement in words (the chain's wire evidence written once for all of them).</summary>
    public static List<Cause> Causes(Judgement judgement, HandshakeFacts facts, ChainVerdict? verdict, DistinguishedNames names)
    {
        var causes = new List<Cause>(judgement.Causes.Count);
        string? wire = null;
        foreach (var fact in judgement.Causes)
        {
            if (fact.Kind is CauseKind.ChainFinding or CauseKind.ChainTrustedHere or CauseKind.ChainRejectedUnexplained)
            {
                wire ??= WireEvidence(facts.Observation, facts.ServerCertificates, fact.Alert);
            }
            var cause = fact.Kind == CauseKind.JavaHandshakeLimit ? JavaLimits.Check(facts.Observation)! : Cause(fact, facts, verdict, names, wire);
            causes.Add(fact.AfterCompletion ? UntrustedButCompleted.Reword(cause) : cause);
        }
        return causes;
    }

    private static Cause Cause(CauseFact c, HandshakeFacts f, ChainVerdict? verdict, DistinguishedNames names, string? wire)
    {
        var o = f.Observation;
        return c.Kind switch
        {
            CauseKind.ProxyRefused or CauseKind.UpgradeRefused
                => PreambleWording.RefusedCause(c.Code, o.Refusal!, o.EndpointOf(o.ServerSide).ToString(), Packet(o.Refusal!.Packet).ToString()),
            CauseKind.PlaintextServer => new(c.Code, "The server does not speak TLS on this port",
                $"ClientHello {Packet(o.ClientHelloPacket)}; {Plaintext(o, c.Side)}", PlaintextFix),
            CauseKind.PlaintextConnection => new(c.Code, "This connection is not TLS", Plaintext(o, c.Side), PlaintextFix),
            CauseKind.NoClientHello => CaptureIncomplete(c, o, "No ClientHello in the capture for this connection", "Capture from before the connection opens."),
            CauseKind.ServerReplyMissing => CaptureIncomplete(c, o, "The server's reply is missing from the capture", "Capture again with tcpdump -s 0 on the right interface."),
            CauseKind.ServerReplyUndecodable => CaptureIncomplete(c, o, "The server's reply could not be decoded", "See the anomalies."),
            CauseKind.HandshakeGap => CaptureIncomplete(c, o, "The capture is missing part of the handshake", "Capture again with tcpdump -s 0, from before the connection opens, until it closes."),
            CauseKind.HandshakeGapTls13 => CaptureIncomplete(c, o, "The capture is missing part of the handshake", "Capture again with tcpdump -s 0."),
            CauseKind.CaptureEndsInHandshake => CaptureIncomplete(c, o, "The capture ends before the handshake finishes", LongerCaptureFix),
            CauseKind.CaptureEndsBeforeClientAnswer => CaptureIncomplete(c, o, "The capture ends before the client answered the server's flight", LongerCaptureFix),
            CauseKind.ServerRejectedHello => new(c.Code, $"The server rejected the ClientHello ({AlertText(c.Alert!.Value.Alert)})",
                $"ClientHello {Packet(o.ClientHelloPacket)} offered {OfferedVersions(o.ClientHello!)}, {o.ClientHello!.CipherSuites.Count} cipher suites; server alert {AlertText(c.Alert!.Value.Alert)} {Packet(c.Alert!.Value.Packet)}{TeardownText(o)}",
                "Make the client and server share a protocol version and a cipher suite (compare the ClientHello with the server's configuration; Java: jdk.tls.client.protocols / https.protocols, Apigee: <SSLInfo><Protocols>/<Ciphers>)."),
            CauseKind.ServerAborted => new(c.Code, $"The server aborted the handshake ({AlertText(c.Alert!.Value.Alert)})", ServerAlertEvidence(o, c.Alert!.Value),
                "Look at the server's logs for the reason; compare the protocol versions and cipher suites both sides allow."),
            CauseKind.NoServerAnswer => new(c.Code, "The server did not answer the ClientHello", $"ClientHello {Packet(o.ClientHelloPacket)}{TeardownText(o)}",
                "Check that the backend is up and listening for TLS on this port, and that no firewall or load balancer drops the handshake."),
            CauseKind.ServerClosedMidHandshake => new(c.Code, "The server closed the connection in the middle of the handshake",
                $"ServerHello {Packet(o.ServerHelloPacket)}; server {KindText(c.Teardown!.Value.Kind)} {Packet(c.Teardown!.Value.Packet)}",
                "Look at the server's logs for the reason it closed the connection."),
            CauseKind.ChainHidden => ChainHidden(c, o),
            CauseKind.ClientAbortedBeforeCertificate => new(c.Code, "The client aborted the handshake before any certificate was sent",
                (c.Alert is { } a ? $"client alert {AlertText(a.Alert)} {Packet(a.Packet)}" : "no alert") + TeardownText(o), SeeClientLogFix),
            CauseKind.ChainTrustedHere => new(c.Code, "The client rejected the server's chain, but it validates against the truststore given here",
                $"{wire}; with the truststore given, the chain builds to an anchor and the host name matches"
                + (c.Alert is { } a && verdict?.PredictedAlert is { } p && a.Alert.Description != p ? $"; the client's alert {AlertText(a.Alert)} is not what this profile predicts ({p})" : ""),
                "Check that the truststore given here is the one the client really uses (for Apigee: the <TrustStore> reference of the TargetEndpoint), and the client's log for its exact error."),
            CauseKind.ChainRejectedUnexplained => new(c.Code, "The client rejected the server's chain", wire!, SeeClientLogFix),
            CauseKind.ChainFinding => new(c.Code, c.Finding!.Summary, $"{wire}; {c.Finding.Evidence}", c.Finding.Fix),
            CauseKind.ClientCertificateMissing => new(c.Code, ClientAuthenticationTexts.MissingSummary,
                $"{CertificateAsked(o, names)}; the client's Certificate message {(o.ClientCertificate is null ? "is absent" : $"{Packet(o.ClientCertificatePacket)} is empty")}; {ServerAlertEvidence(o, c.Alert!.Value)}",
                ClientAuthenticationTexts.MissingFix),
            CauseKind.ClientCertificateRejected => new(c.Code, ClientAuthenticationTexts.RejectedSummary,
                $"{CertificateAsked(o, names)}; client Certificate {Packet(o.ClientCertificatePacket)}: {f.ClientCertificates[0].Info.Subject} (issuer {f.ClientCertificates[0].Info.Issuer}, sha256 {Short(f.ClientCertificates[0].Info.Sha256Hex.AsSpan())}); {ServerAlertEvidence(o, c.Alert!.Value)}",
                ClientAuthenticationTexts.RejectedFix),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c.Kind, "no wording for this cause kind"),
        };
    }

    private static string Plaintext(HandshakeObservation o, int side)
        => $"{o.PeerOf(side).ToCode()} plaintext {Packet(o.NotTlsPacket[side])}: \"{o.NotTlsPreview[side]}\"";

    private static string ServerAlertEvidence(HandshakeObservation o, AlertSeen alert)
        => $"server alert {AlertText(alert.Alert)} {Packet(alert.Packet)}{TeardownText(o)}";

    /// <summary>"CertificateRequest #6 (it accepts certificates issued by: ...)", or that the alert asks for one.</summary>
    private static string CertificateAsked(HandshakeObservation o, DistinguishedNames names)
    {
        var requested = o.CertificateRequest is not null ? $"CertificateRequest {Packet(o.CertificateRequestPacket)}" : "the server requires a client certificate";
        return o.CertificateRequest is { CertificateAuthorities.Count: > 0 } request ? requested + AcceptedIssuers(request, names) : requested;
    }

    private static Cause ChainHidden(CauseFact c, HandshakeObservation o)
    {
        var what = c.Hidden switch
        {
            HiddenChainEvent.ClientPlaintextAlertAfterFlight => AbortedAfterFlight(o, $"a plaintext alert {AlertText(c.Alert!.Value.Alert)} {Packet(c.Alert!.Value.Packet)} (OpenSSL-style)"),
            HiddenChainEvent.ClientAlertSizedRecordAfterFlight => AbortedAfterFlight(o, $"an encrypted record of {c.Record!.Value.Length} bytes {Packet(c.Record!.Value.Packet)}, too short for a Finished: an alert (Java-style)"),
            HiddenChainEvent.ClientTeardownAfterFlight => AbortedAfterFlight(o, $"no Finished, only {KindText(c.Teardown!.Value.Kind)} {Packet(c.Teardown!.Value.Packet)}"),
            HiddenChainEvent.ServerAlert => $"The server aborted with alert {AlertText(c.Alert!.Value.Alert)} {Packet(c.Alert!.Value.Packet)}",
            HiddenChainEvent.ServerAlertAfterClientFinished => $"The server sent an alert-sized encrypted record {Packet(c.Record!.Value.Packet)} right after the client's Finished{TeardownText(o)}: it rejected the client's flight (typically a missing or untrusted client certificate)",
            HiddenChainEvent.ClientClosedAfterHandshake => "The handshake completed; the client then closed at once without sending data (a client that rejects the certificate after the handshake, as curl does on a name mismatch, looks the same: a key log tells)",
            HiddenChainEvent.ClientAlert => $"The client aborted with alert {AlertText(c.Alert!.Value.Alert)} {Packet(c.Alert!.Value.Packet)}",
            HiddenChainEvent.ClientAborted => "The client aborted the handshake",
            _ => throw new ArgumentOutOfRangeException(nameof(c), c.Hidden, "no wording for this event"),
        };
        return new(c.Code,
            "TLS 1.3 encrypts the server's Certificate; without a key log the chain cannot be checked. " + what + ".",
            $"ClientHello {Packet(o.ClientHelloPacket)}{(o.ClientHello?.ServerName is { } sni ? $" (SNI {sni})" : "")}, ServerHello {Packet(o.ServerHelloPacket)} (TLS 1.3, {TlsNames.CipherSuite(o.ServerHello!.CipherSuite)}){TeardownText(o)}",
            "Get a key log (SSLKEYLOGFILE from the client, or -keylogfile / the backend's key log: a server-side log decrypts both directions) and run again with --keylog FILE, or run 'pcaptls probe HOST:PORT' from the same host to fetch the chain.");
    }

    private static string AbortedAfterFlight(HandshakeObservation o, string how)
        => $"The client aborted right after the server's encrypted flight: {how}{TeardownText(o)}; in TLS 1.3 that is how a client rejects the server's certificate";

    private static Cause CaptureIncomplete(CauseFact c, HandshakeObservation o, string summary, string fix)
    {
        if (c.SnapLength is { } snap)
        {
            return new Cause(CauseCode.CaptureIncomplete,
                $"The capture was taken with a snapshot length of {snap} bytes; certificates cannot be read",
                $"packets of this connection were cut at {snap} bytes (first {Packet(o.FirstPacket)})",
                "Capture again with tcpdump -s 0.");
        }
        var gaps = new System.Runtime.CompilerServices.DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture);
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
                gaps.AppendLiteral(" data missing before ");
                gaps.AppendFormatted(Packet(o.GapPacket[i]));
                any = true;
            }
        }
        var gapText = gaps.ToStringAndClear();
        return new Cause(CauseCode.CaptureIncomplete, summary,
            gapText.Length > 0 ? gapText : $"last packet of the connection {Packet(o.LastPacket)}", fix);
    }
}
