using System.Globalization;
using System.Net;
using PcapTls.Tls;
using PcapTls.Validation;

namespace PcapTls.Probe;

/// <summary>The server to probe: a host name or IP literal and a TCP port.</summary>
public sealed record ProbeTarget(string Host, int Port)
{
    /// <summary>"host:port", "1.2.3.4:443", "[::1]:443"; the port is required (a probe has no scheme to guess it from).</summary>
    public static bool TryParse(string? text, out ProbeTarget target, out string error)
    {
        target = new ProbeTarget("", 0);
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the target is empty; expected HOST:PORT";
            return false;
        }
        string host;
        string portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"'{text}' is not [IPV6]:PORT";
                return false;
            }
            host = text[1..close];
            portText = text[(close + 2)..];
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                error = $"'{text}' has no port; expected HOST:PORT";
                return false;
            }
            if (text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"'{text}': write an IPv6 address as [ADDRESS]:PORT";
                return false;
            }
            host = text[..colon];
            portText = text[(colon + 1)..];
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            error = $"'{portText}' is not a TCP port (1-65535)";
            return false;
        }
        if (host.Length == 0)
        {
            error = $"'{text}' has no host";
            return false;
        }
        target = new ProbeTarget(host, port);
        return true;
    }

    public bool IsIpLiteral => IPAddress.TryParse(Host, out _);

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>How to probe and how to judge what the server sent.</summary>
public sealed record ProbeOptions
{
    public const int DefaultTimeoutSeconds = 10;

    /// <summary>The server name to send; null = the host name (when it is a DNS name), else the target's host (when it is not an IP literal).</summary>
    public string? Sni { get; init; }
    public TlsVersionChoice Versions { get; init; } = TlsVersionChoice.Any;
    /// <summary>The cipher suites to offer (wire values), as the client's configuration restricts them; null = all the probe knows.</summary>
    public IReadOnlyList<int>? CipherSuites { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(DefaultTimeoutSeconds);
    /// <summary>The client's truststore; null = the system roots.</summary>
    public TrustStore? TrustStore { get; init; }
    /// <summary>The host name the client checks; null = the SNI, else the target's host.</summary>
    public string? HostName { get; init; }
    /// <summary>Validate at this instant instead of now.</summary>
    public DateTimeOffset? At { get; init; }
    public ClientProfile Profile { get; init; } = ClientProfile.Java;
    /// <summary>OpenSSL profile only: partial chains allowed (curl).</summary>
    public bool AllowPartialChain { get; init; }
    /// <summary>Java profile: the security properties the checks apply.</summary>
    public JavaSecurity JavaSecurity { get; init; } = JavaSecurity.Jdk17;
    /// <summary>Java profile: the JDK 17 update whose messages and alerts are predicted.</summary>
    public JavaRelease Java { get; init; } = JavaRelease.Default;
    /// <summary>Where "now" comes from when <see cref="At"/> is not given.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>When the server asks for a client certificate and its chain is trusted, make the client-authentication
    /// check: a second connection that completes the handshake to see whether the server requires a certificate
    /// (or accepts <see cref="ClientCredentials"/>).</summary>
    public bool CheckClientAuthentication { get; init; } = true;
    /// <summary>The client certificate and key the check presents, as the client under diagnosis would; null = an
    /// empty Certificate message (a client without one).</summary>
    public ClientCredentials? ClientCredentials { get; init; }
    /// <summary>How long the TLS 1.3 check waits after its Finished for the server's verdict when the server sends
    /// no NewSessionTicket (which ends the wait at once); capped by <see cref="Timeout"/>.</summary>
    public TimeSpan ClientAuthenticationWait { get; init; } = ClientAuthenticationCheck.DefaultServerVerdictWait;
}

/// <summary>Where the host name that was checked came from.</summary>
public enum HostNameSource
{
    /// <summary>Given explicitly (--host).</summary>
    Given,
    /// <summary>The server name sent (--sni).</summary>
    Sni,
    /// <summary>The host part of HOST:PORT.</summary>
    Target,
}

/// <summary>The end state of a probe, which decides the CLI's exit code.</summary>
public enum ProbeOutcome
{
    /// <summary>The chain was recorded and the client would trust it.</summary>
    Trusted,
    /// <summary>The chain was recorded and the client would refuse it (see the findings).</summary>
    NotTrusted,
    /// <summary>The server answered but sent no usable chain: it refused the ClientHello, is not TLS, closed, ...</summary>
    NoChain,
    /// <summary>No connection, or no answer at all within the timeout.</summary>
    Unreachable,
    /// <summary>The chain is trusted, but the server refuses the client: it requires a client certificate and got
    /// none, or rejected the one given (see the findings).</summary>
    ClientAuthenticationFailed,
}

/// <summary>What <see cref="ProbeDiagnosis.RunAsync"/> found: what the server sent, the verdict on its chain and the causes.</summary>
public sealed record ProbeDiagnosisResult
{
    public required ProbeTarget Target { get; init; }
    /// <summary>The server name sent in the ClientHello, or null (none: the target is an IP literal).</summary>
    public string? Sni { get; init; }
    public required string HostName { get; init; }
    public HostNameSource HostNameSource { get; init; }
    public TlsVersionChoice Versions { get; init; }
    public required ProbeResult Probe { get; init; }
    public ProbeOutcome Outcome { get; init; }
    /// <summary>The certificates as sent, parsed (unparsable ones keep their DER and a parse error).</summary>
    public IReadOnlyList<CertificateInfo> Chain { get; init; } = [];
    /// <summary>The validation core's decision on the chain; null when no chain was received.</summary>
    public ChainVerdict? Verdict { get; init; }
    /// <summary>The causes, most important first: the verdict's findings, or why there is no chain.</summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];
    /// <summary>The client-authentication check (a second connection), made when the server sent a CertificateRequest
    /// and its chain is trusted; null when it was not made.</summary>
    public ClientAuthenticationResult? ClientAuthentication { get; init; }
    /// <summary>Remarks that are not causes (a CertificateRequest, the hang-up).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    public required string TrustStoreSource { get; init; }
    public int TrustStoreEntries { get; init; }
    public ClientProfile Profile { get; init; }
    public bool AllowPartialChain { get; init; }
    public DateTimeOffset ValidatedAt { get; init; }

    /// <summary>The distinct cause codes, in the order of <see cref="Findings"/>.</summary>
    public IReadOnlyList<CauseCode> CauseCodes => Findings.Select(f => f.Code).Distinct().ToList();

    /// <summary>"TLS_AES_256_GCM_SHA384", or null when no ServerHello arrived.</summary>
    public string? CipherSuiteName => Probe.CipherSuite is { } c ? TlsNames.CipherSuite((ushort)c) : null;
}

/// <summary>
/// <c>pcaptls probe</c> as a library: probes a server with <see cref="ServerProbe"/> (which never completes a
/// handshake), then runs the server's chain through the same validation as a captured chain. Reused by
/// <c>analyze --probe</c> for handshakes whose chain was not visible.
/// </summary>
public static class ProbeDiagnosis
{
    public static async Task<ProbeDiagnosisResult> RunAsync(ProbeTarget target, ProbeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        // Loaded before connecting: a missing system bundle is an input error, not something to find after the probe.
        var store = options.TrustStore ?? TrustStore.SystemRoots();
        var sni = EffectiveSni(target, options);
        var probe = await ServerProbe.ProbeAsync(target.Host, target.Port, sni, options.Versions, options.CipherSuites, options.Timeout, cancellationToken).ConfigureAwait(false);
        options = options with { TrustStore = store };
        var result = Diagnose(target, options, probe);
        // A real client sends its certificate only after trusting the server's chain: when the chain already
        // fails, its causes are the answer and the server is not asked again.
        if (!options.CheckClientAuthentication || !probe.CertificateRequested || result.Outcome != ProbeOutcome.Trusted)
        {
            return result;
        }
        var check = await ClientAuthenticationCheck.RunAsync(target.Host, target.Port, sni, probe, options.CipherSuites, options.ClientCredentials, options.Timeout, options.ClientAuthenticationWait, cancellationToken).ConfigureAwait(false);
        return Diagnose(target, options, probe, check);
    }

    /// <summary>The server name the probe sends: --sni, else the host name, else the target's host; never an IP literal (RFC 6066 section 3).</summary>
    public static string? EffectiveSni(ProbeTarget target, ProbeOptions options)
    {
        if (options.Sni is { Length: > 0 } sni)
        {
            return sni;
        }
        foreach (var candidate in (string?[])[options.HostName, target.Host])
        {
            if (candidate is { Length: > 0 } && !IPAddress.TryParse(candidate, out _))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Judges a probe that already ran (no network): the verdict on its chain, or why there is none, and
    /// what the client-authentication check (when it was made) says about the client's certificate.</summary>
    public static ProbeDiagnosisResult Diagnose(ProbeTarget target, ProbeOptions options, ProbeResult probe, ClientAuthenticationResult? clientAuthentication = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(probe);
        if (probe.Failure == ProbeFailure.Cancelled)
        {
            throw new OperationCanceledException("the probe was cancelled");
        }
        var store = options.TrustStore ?? TrustStore.SystemRoots();
        var sni = EffectiveSni(target, options);
        var (host, source) = options.HostName is { Length: > 0 } h ? (h, HostNameSource.Given)
            : options.Sni is { Length: > 0 } s ? (s, HostNameSource.Sni)
            : (target.Host, HostNameSource.Target);
        var at = options.At ?? options.Time.GetUtcNow();
        var notes = new List<string>();

        var result = new ProbeDiagnosisResult
        {
            Target = target,
            Sni = sni,
            HostName = host,
            HostNameSource = source,
            Versions = options.Versions,
            Probe = probe,
            TrustStoreSource = store.Source,
            TrustStoreEntries = store.Entries.Count,
            Profile = options.Profile,
            AllowPartialChain = options.AllowPartialChain,
            ValidatedAt = at,
        };

        if (probe.Failure != ProbeFailure.None || probe.ServerCertificates.Count == 0)
        {
            if (probe.CertificateRequested)
            {
                notes.Add(UncheckedRequestNote);
            }
            var finding = NoChainFinding(target, sni, options, probe);
            return result with
            {
                Outcome = probe.Failure is ProbeFailure.ConnectFailed or ProbeFailure.ConnectTimeout or ProbeFailure.NoAnswer
                    ? ProbeOutcome.Unreachable : ProbeOutcome.NoChain,
                Findings = [finding],
                Notes = notes,
            };
        }

        notes.Add("The probe hung up with a user_canceled alert before sending its Finished: the handshake was never completed, nothing was trusted and no application data was sent.");
        var verdict = ChainValidator.Validate(new ValidationRequest(probe.ServerCertificates, store, host, at, options.Profile)
        {
            TlsVersion = probe.NegotiatedVersionWire,
            AllowPartialChain = options.AllowPartialChain,
            JavaSecurity = options.JavaSecurity,
            Java = options.Java,
        });
        var findings = verdict.Findings.ToList();
        var outcome = verdict.Trusted ? ProbeOutcome.Trusted : ProbeOutcome.NotTrusted;
        if (probe.CertificateRequested && clientAuthentication is null)
        {
            notes.Insert(0, verdict.Trusted ? UncheckedRequestNote
                : "certificateRequested: the server asks for a client certificate (CertificateRequest). Not checked: the client already fails on the server's chain, and a client sends its certificate only after trusting the server's.");
        }
        else if (clientAuthentication is not null)
        {
            if (ClientAuthenticationFinding(clientAuthentication) is { } finding)
            {
                findings.Add(finding);
                if (verdict.Trusted)
                {
                    outcome = ProbeOutcome.ClientAuthenticationFailed;
                }
            }
            notes.Insert(0, ClientAuthenticationNote(clientAuthentication));
            if (clientAuthentication.HandshakeCompleted)
            {
                notes.Add("The client authentication check completed a handshake on a second connection, only after checking that the server sent the very chain validated above (BouncyCastle did not judge it); it sent no application data and closed as soon as the server answered (with close_notify unless the server had closed first).");
            }
        }
        if (!probe.CertificateRequested && options.ClientCredentials is not null)
        {
            notes.Add("A client certificate was given, but the server did not ask for one (no CertificateRequest): it was not sent.");
        }
        return result with
        {
            Outcome = outcome,
            Chain = verdict.Sent,
            Verdict = verdict,
            Findings = findings,
            Notes = notes,
            ClientAuthentication = clientAuthentication,
        };
    }

    private const string UncheckedRequestNote = "certificateRequested: the server asks for a client certificate (CertificateRequest). A client without one fails with client-certificate-missing if the server requires it; without the client authentication check the probe cannot tell required from optional.";

    // The summaries and fixes are the ones analyze gives (ClientAuthenticationTexts), so a probe and a capture of the
    // same failure read the same.
    private static Finding? ClientAuthenticationFinding(ClientAuthenticationResult c)
    {
        if (c.Status is not (ClientAuthenticationStatus.Required or ClientAuthenticationStatus.Rejected))
        {
            return null;
        }
        var cas = c.AcceptedIssuers.Count > 0 ? " (it accepts certificates issued by: " + string.Join("; ", c.AcceptedIssuers) + ")" : "";
        var check = $"CertificateRequest{cas}; the client authentication check (a second connection, {c.NegotiatedVersion})";
        var certainty = c.AlertDescriptionWire is not null ? Certainty.High : Certainty.Medium;
        if (c.Status == ClientAuthenticationStatus.Required)
        {
            return new Finding(CauseCode.ClientCertificateMissing, ClientAuthenticationTexts.MissingSummary,
                $"{check} sent an empty Certificate message; {ServerAnswer(c)}", ClientAuthenticationTexts.MissingFix, certainty);
        }
        var leaf = c.Credentials!.Leaf;
        return new Finding(CauseCode.ClientCertificateRejected, ClientAuthenticationTexts.RejectedSummary,
            $"{check} sent the client certificate {leaf.Subject} (issuer {leaf.Issuer}, sha256 {leaf.Sha256Hex[..16]}..., from {c.Credentials.Source}); {ServerAnswer(c)}",
            ClientAuthenticationTexts.RejectedFix, certainty);
    }

    /// <summary>"server alert certificate_required(116) after the client's Finished", ...</summary>
    internal static string ServerAnswer(ClientAuthenticationResult c)
    {
        var when = c.NegotiatedVersion == "TLS 1.3" && c.HandshakeCompleted ? "after the client's Finished" : "in answer to the client's Certificate flight";
        return c.AlertDescriptionWire is not null ? $"server alert {c.Alert} {when}"
            : c.ServerClosed ? $"the server closed the connection without an alert {when}"
            : c.TicketReceived ? "the server accepted the client's Finished (it sent a NewSessionTicket)"
            : c.HandshakeCompleted ? (c.NegotiatedVersion == "TLS 1.3"
                ? $"no alert within {c.ServerVerdictWait.TotalSeconds:0.#} s after the client's Finished"
                : "the server sent its Finished")
            : c.Error ?? "no answer";
    }

    private static string ClientAuthenticationNote(ClientAuthenticationResult c)
    {
        var sent = c.CertificateSent ? $"the client certificate {c.Credentials!.Leaf.Subject}" : "an empty Certificate message";
        return c.Status switch
        {
            ClientAuthenticationStatus.Required => $"clientAuthentication: required. The server asks for a client certificate and refuses a client without one (a second connection sent {sent}; {ServerAnswer(c)}).",
            ClientAuthenticationStatus.Rejected => $"clientAuthentication: rejected. The server refused {sent} ({ServerAnswer(c)}).",
            ClientAuthenticationStatus.Optional => $"clientAuthentication: optional. The server asks for a client certificate but goes on without one (a second connection sent {sent}; {ServerAnswer(c)}); give --client-cert and --client-key to check a certificate.",
            ClientAuthenticationStatus.Accepted => $"clientAuthentication: accepted. The server completed the handshake with {sent} ({ServerAnswer(c)}).",
            _ => $"clientAuthentication: inconclusive. The server asks for a client certificate; the check (a second connection sending {sent}) could not tell whether it requires one: {c.Error}.",
        };
    }

    private static Finding NoChainFinding(ProbeTarget target, string? sni, ProbeOptions options, ProbeResult probe)
    {
        var offered = options.Versions switch
        {
            TlsVersionChoice.Tls12 => "TLS 1.2 only",
            TlsVersionChoice.Tls13 => "TLS 1.3 only",
            _ => "TLS 1.3 and 1.2",
        };
        var suites = options.CipherSuites is { } list ? string.Join(", ", list.Select(c => TlsNames.CipherSuite((ushort)c))) : "every suite the probe knows";
        var hello = $"ClientHello to {target} offering {offered} ({suites}), SNI {sni ?? "(none)"}";
        const string CheckBackend = "Check that the server is up and listening for TLS on this port, and that no firewall or load balancer drops the connection.";
        return probe.Failure switch
        {
            ProbeFailure.ConnectFailed or ProbeFailure.ConnectTimeout => new Finding(CauseCode.NoServerResponse,
                "No TCP connection to the server", probe.Error ?? "connect failed", CheckBackend, Certainty.High),
            ProbeFailure.NoAnswer => new Finding(CauseCode.NoServerResponse,
                "The server accepted the connection but did not answer the ClientHello", $"{hello}; {probe.Error}", CheckBackend, Certainty.High),
            ProbeFailure.ClosedWithoutAnswer => new Finding(CauseCode.NoServerResponse,
                "The server closed the connection without answering the ClientHello", $"{hello}; {probe.Error}",
                "Look at the server's logs: it dropped the ClientHello without an alert (an SNI it does not serve, a TLS-terminating proxy with no backend, ...). " + CheckBackend, Certainty.High),
            ProbeFailure.StalledAfterAnswer => new Finding(CauseCode.NoServerResponse,
                "The server stopped answering in the middle of the handshake", $"{hello}; {probe.Error}",
                "Look for a middlebox that drops large packets (MTU) or a server that stalls; capture the traffic to see where it stops.", Certainty.Medium),
            ProbeFailure.ServerAlert => new Finding(CauseCode.ServerRejectedHello,
                $"The server rejected the ClientHello ({probe.Alert})",
                $"{hello}; server alert {probe.Alert}{(probe.NegotiatedVersion.Length > 0 ? $" after a ServerHello for {probe.NegotiatedVersion}" : " before any ServerHello")}",
                "Make the client and server share a protocol version and a cipher suite (Java: jdk.tls.client.protocols / https.protocols, Apigee: <SSLInfo><Protocols>/<Ciphers>); try --tls1.2 or --tls1.3 to see which the server accepts.",
                Certainty.High),
            ProbeFailure.NotTls => new Finding(CauseCode.NotTls,
                "The server does not speak TLS on this port",
                $"{hello}; the server answered in plaintext: \"{ServerProbe.Preview(probe.FirstServerBytes)}\"",
                "Point the client at the server's TLS port (or enable TLS on the server); for Apigee, check the scheme and port in the TargetEndpoint <URL>.",
                Certainty.High),
            _ => new Finding(CauseCode.CertificateNotVisible,
                "The probe could not read the server's certificate",
                $"{hello}; {(probe.NegotiatedVersion.Length > 0 ? $"ServerHello {probe.NegotiatedVersion}, " : "")}{probe.Error ?? "no Certificate message"}",
                "Capture the client's own handshake with a key log (pcaptls analyze --keylog) to see the chain it receives.",
                Certainty.Low),
        };
    }
}
