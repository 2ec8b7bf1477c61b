using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using PcapTls.Tls;
using PcapTls.Validation;

namespace PcapTls.Probe;

/// <summary>
/// Renders a <see cref="ProbeDiagnosisResult"/> as text for a person or as JSON for tools. The probe logic never
/// writes; only these do, to the writer they are given.
/// </summary>
public static class ProbeReport
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void WriteConsole(ProbeDiagnosisResult r, TextWriter o)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(o);
        var p = r.Probe;
        o.WriteLine($"Probe: {r.Target} (SNI {r.Sni ?? "none"}, offering {Offered(r.Versions)})");
        o.WriteLine(p.NegotiatedVersion.Length > 0
            ? $"Server: {p.NegotiatedVersion}, {r.CipherSuiteName ?? "-"}{(p.CertificateRequested ? ", certificateRequested (asks for a client certificate)" : "")}"
            : $"Server: no ServerHello{(p.Error is { } e ? $" ({e})" : "")}");
        o.WriteLine($"Truststore: {r.TrustStoreSource} ({r.TrustStoreEntries} entries); client {ClientName(r)}; host {r.HostName} (from {SourceName(r.HostNameSource)}); validated at {Time(r.ValidatedAt)}");

        if (r.Chain.Count > 0)
        {
            o.WriteLine();
            o.WriteLine($"Chain as sent ({r.Chain.Count} certificate{(r.Chain.Count == 1 ? "" : "s")})");
            for (var i = 0; i < r.Chain.Count; i++)
            {
                var c = r.Chain[i];
                if (!c.IsParsed)
                {
                    o.WriteLine($"  [{i}] (could not parse: {c.ParseError}) sha256 {c.Sha256Hex}");
                    continue;
                }
                o.WriteLine($"  [{i}] {c.Subject}");
                o.WriteLine($"      issuer:   {c.Issuer}");
                o.WriteLine($"      validity: {Time(c.NotBefore)} .. {Time(c.NotAfter)}");
                o.WriteLine($"      sha256:   {c.Sha256Hex}");
            }
        }

        if (r.Verdict is { } v)
        {
            o.WriteLine();
            o.WriteLine($"Verdict: {(v.Trusted ? "trusted" : "NOT trusted")}");
            if (v.ClientMessage is { } msg)
            {
                o.WriteLine($"  {ClientName(r)} would say: {msg}");
            }
            if (v.PredictedAlert is { } alert)
            {
                o.WriteLine($"  predicted alert: {alert} {TlsNames.AlertDescription(alert)}");
            }
            o.WriteLine("  path search:");
            foreach (var line in v.Explanation.Render().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                o.WriteLine("    " + line);
            }
        }

        if (r.ClientAuthentication is { } ca)
        {
            o.WriteLine();
            o.WriteLine($"Client authentication (second connection{(ca.NegotiatedVersion.Length > 0 ? ", " + ca.NegotiatedVersion : "")}): {ca.StatusCode}");
            o.WriteLine(ca.CertificateSent
                ? $"  sent:   the client certificate {ca.Credentials!.Leaf.Subject} (issuer {ca.Credentials.Leaf.Issuer}) from {ca.Credentials.Source}"
                : "  sent:   an empty Certificate message (no client certificate given)");
            o.WriteLine($"  answer: {ProbeDiagnosis.ServerAnswer(ca)}");
            if (ca.AcceptedIssuers.Count > 0)
            {
                o.WriteLine($"  the server accepts client certificates issued by: {string.Join("; ", ca.AcceptedIssuers)}");
            }
            if (ca.Error is { } error)
            {
                o.WriteLine($"  inconclusive: {error}");
            }
        }

        if (r.Findings.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("Causes");
            foreach (var f in r.Findings)
            {
                o.WriteLine($"  {f.Code.ToCode()}: {f.Summary}");
                o.WriteLine($"    evidence: {f.Evidence}");
                o.WriteLine($"    fix: {f.Fix}");
            }
        }

        if (r.Verdict is { NeededInTrustStore.Count: > 0 } needs)
        {
            o.WriteLine();
            o.WriteLine("The truststore needs");
            foreach (var c in needs.NeededInTrustStore)
            {
                o.WriteLine($"  {c.Subject} (sha256 {c.Sha256Hex})");
            }
        }

        if (r.Notes.Count > 0)
        {
            o.WriteLine();
            foreach (var n in r.Notes)
            {
                o.WriteLine("Note: " + n);
            }
        }
    }

    public static void WriteJson(ProbeDiagnosisResult r, TextWriter o)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(o);
        var p = r.Probe;
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("tool", "pcaptls");
            w.WriteString("command", "probe");
            w.WriteString("target", r.Target.ToString());
            WriteNullable(w, "sni", r.Sni);
            w.WriteString("offered", r.Versions switch { TlsVersionChoice.Tls12 => "tls1.2", TlsVersionChoice.Tls13 => "tls1.3", _ => "tls1.3,tls1.2" });
            w.WriteString("outcome", OutcomeCode(r.Outcome));

            w.WriteStartObject("server");
            WriteNullable(w, "version", p.NegotiatedVersion.Length > 0 ? p.NegotiatedVersion : null);
            WriteNullable(w, "cipherSuite", r.CipherSuiteName);
            if (p.AlertDescriptionWire is { } a)
            {
                w.WriteNumber("alert", a);
                w.WriteString("alertName", TlsNames.AlertDescription(a));
            }
            w.WriteBoolean("certificateRequested", p.CertificateRequested);
            WriteNullable(w, "error", p.Error);
            w.WriteEndObject();

            w.WriteStartArray("chain");
            foreach (var c in r.Chain)
            {
                w.WriteStartObject();
                w.WriteString("sha256", c.Sha256Hex);
                if (c.IsParsed)
                {
                    w.WriteString("subject", c.Subject);
                    w.WriteString("issuer", c.Issuer);
                    w.WriteString("serial", c.SerialHex);
                    w.WriteString("notBefore", Time(c.NotBefore));
                    w.WriteString("notAfter", Time(c.NotAfter));
                    WriteStrings(w, "dnsNames", c.DnsNames);
                }
                else
                {
                    w.WriteString("parseError", c.ParseError);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartObject("validation");
            w.WriteString("truststore", r.TrustStoreSource);
            w.WriteNumber("truststoreEntries", r.TrustStoreEntries);
            w.WriteString("client", ClientName(r));
            w.WriteString("host", r.HostName);
            w.WriteString("hostSource", SourceName(r.HostNameSource));
            w.WriteString("at", Time(r.ValidatedAt));
            if (r.Verdict is { } v)
            {
                VerdictJson.WriteDecision(w, v, withExplanation: true);
            }
            w.WriteEndObject();

            WriteClientAuthentication(w, r.ClientAuthentication);

            w.WriteStartArray("causes");
            foreach (var f in r.Findings)
            {
                VerdictJson.WriteCause(w, f.Code, f.Summary, f.Evidence, f.Fix);
            }
            w.WriteEndArray();
            WriteStrings(w, "notes", r.Notes);
            w.WriteEndObject();
        }
        o.Write(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        o.WriteLine();
    }

    /// <summary>"trusted", "not-trusted", "no-chain", "unreachable", "client-authentication-failed".</summary>
    public static string OutcomeCode(ProbeOutcome outcome) => outcome switch
    {
        ProbeOutcome.Trusted => "trusted",
        ProbeOutcome.NotTrusted => "not-trusted",
        ProbeOutcome.NoChain => "no-chain",
        ProbeOutcome.Unreachable => "unreachable",
        ProbeOutcome.ClientAuthenticationFailed => "client-authentication-failed",
        _ => ((int)outcome).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The second connection's result, or null when it was not made.</summary>
    private static void WriteClientAuthentication(Utf8JsonWriter w, ClientAuthenticationResult? ca)
    {
        if (ca is null)
        {
            w.WriteNull("clientAuthentication");
            return;
        }
        w.WriteStartObject("clientAuthentication");
        w.WriteString("result", ca.StatusCode);
        WriteNullable(w, "version", ca.NegotiatedVersion.Length > 0 ? ca.NegotiatedVersion : null);
        w.WriteBoolean("certificateSent", ca.CertificateSent);
        if (ca.Credentials is { } c)
        {
            w.WriteStartObject("clientCertificate");
            w.WriteString("subject", c.Leaf.Subject);
            w.WriteString("issuer", c.Leaf.Issuer);
            w.WriteString("sha256", c.Leaf.Sha256Hex);
            w.WriteString("source", c.Source);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("clientCertificate");
        }
        w.WriteBoolean("handshakeCompleted", ca.HandshakeCompleted);
        if (ca.AlertDescriptionWire is { } a)
        {
            w.WriteNumber("alert", a);
            w.WriteString("alertName", TlsNames.AlertDescription(a));
        }
        else
        {
            w.WriteNull("alert");
        }
        w.WriteBoolean("serverClosed", ca.ServerClosed);
        w.WriteBoolean("ticketReceived", ca.TicketReceived);
        WriteStrings(w, "acceptedIssuers", ca.AcceptedIssuers);
        WriteNullable(w, "error", ca.Error);
        w.WriteEndObject();
    }

    private static string Offered(TlsVersionChoice v) => v switch
    {
        TlsVersionChoice.Tls12 => "TLS 1.2 only",
        TlsVersionChoice.Tls13 => "TLS 1.3 only",
        _ => "TLS 1.3 and 1.2",
    };

    private static string ClientName(ProbeDiagnosisResult r) => r.Profile switch
    {
        ClientProfile.Java => "java",
        ClientProfile.Curl => "curl",
        _ => r.AllowPartialChain ? "openssl (partial chains)" : "openssl",
    };

    private static string SourceName(HostNameSource s) => s switch
    {
        HostNameSource.Given => "--host",
        HostNameSource.Sni => "--sni",
        _ => "the target",
    };

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }
}
