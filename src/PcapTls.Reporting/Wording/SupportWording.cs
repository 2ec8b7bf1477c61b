using System.Globalization;
using PcapTls.Analysis;
using PcapTls.Support.Apigee;
using PcapTls.Support.Correlation;
using PcapTls.Support.Logs;
using PcapTls.Support.Router;
using PcapTls.Validation;

namespace PcapTls.Reporting.Wording;

/// <summary>The sentences of the support case (logs joined to handshakes, Apigee's artefacts): one place, one wording.</summary>
public static class SupportWording
{
    public static string AgreementCode(this MessageAgreement a) => a switch
    {
        MessageAgreement.Equal => "equal",
        MessageAgreement.Differs => "differs",
        MessageAgreement.NoPrediction => "no-prediction",
        MessageAgreement.NothingLogged => "nothing-logged",
        _ => a.ToString(),
    };

    public static string Agreement(MessageAgreement a, string? predicted) => a switch
    {
        MessageAgreement.Equal => $"predicted (java): {predicted}: the same as logged",
        MessageAgreement.Differs => $"predicted (java): {predicted}: NOT what the Message Processor logged; it ran with another truststore, host name check or JVM setting than the ones given here (a finding)",
        MessageAgreement.NoPrediction => "no Java message predicted for this handshake (no chain judged with Java's rules), nothing to compare",
        MessageAgreement.NothingLogged => "the log shows no exception for this handshake",
        _ => a.ToString(),
    };

    public static string MissCode(this LogEventMiss m) => m switch
    {
        LogEventMiss.NoSuchConnection => "no-such-connection",
        LogEventMiss.OutsideSkew => "outside-skew",
        LogEventMiss.NoAddresses => "no-addresses",
        _ => m.ToString(),
    };

    public static string Miss(LogEventMiss m, int? nearest, TimeSpan? distance, TimeSpan skew) => m switch
    {
        LogEventMiss.NoSuchConnection => "no handshake on this connection (Local address and port, Remote address and port) in the capture",
        LogEventMiss.OutsideSkew => $"handshake {nearest} is on this connection, but {Seconds(distance!.Value.Duration())} s {(distance.Value < TimeSpan.Zero ? "after" : "before")} the log line, beyond the {Seconds(skew)} s allowed (clocks apart, or the log's time zone: see --log-utc-offset)",
        LogEventMiss.NoAddresses => "the line names no readable Remote/Local address",
        _ => m.ToString(),
    };

    public static string Offset(TimeSpan? offset, TimeSpan skew) => offset switch
    {
        null => "the log line has no time: joined on the connection alone",
        { } o when o == TimeSpan.Zero => "during the handshake",
        { } o => $"{Seconds(o.Duration())} s {(o < TimeSpan.Zero ? "before" : "after")} the handshake's packets (within the {Seconds(skew)} s allowed)",
    };

    public static string MpHeading(int files, TimeSpan utcOffset, TimeSpan skew) =>
        $"Message Processor log ({files} file{(files == 1 ? "" : "s")}; times read as UTC{UtcOffset(utcOffset)}; joined to a handshake on the same connection within {Seconds(skew)} s of its packets)";

    public static string FileLine(LogReadSummary f, int failures) =>
        $"{f.File}: {f.Lines.ToString("N0", CultureInfo.InvariantCulture)} lines{(f.Compressed ? " (gzip)" : "")}, {failures} handshake failure{(failures == 1 ? "" : "s")}";

    public static string AnomalyCode(this LogAnomalyKind k) => k switch
    {
        LogAnomalyKind.LineTooLong => "line-too-long",
        LogAnomalyKind.BinaryData => "binary-data",
        LogAnomalyKind.WrongFormat => "wrong-format",
        LogAnomalyKind.CorruptCompression => "corrupt-compression",
        LogAnomalyKind.ReadError => "read-error",
        LogAnomalyKind.TooManyEvents => "too-many-events",
        LogAnomalyKind.Truncated => "truncated",
        LogAnomalyKind.UnreadableChannel => "unreadable-channel",
        LogAnomalyKind.UnknownLines => "unknown-lines",
        _ => k.ToString(),
    };

    /// <summary>One line per anomaly, also printed on standard error for the ones that stop a file.</summary>
    public static string Anomaly(LogAnomaly a, string expected) => a.Kind switch
    {
        LogAnomalyKind.LineTooLong => $"line {a.Line} is {N(a.Value)} bytes long: cut at {N(LogLimits.MaxLineBytes)}",
        LogAnomalyKind.BinaryData => $"binary data (a control byte at offset {N(a.Value)}), not a text log: not read further",
        LogAnomalyKind.WrongFormat => $"not {expected}: no record of that format in the first {N(a.Value)} lines{(a.Value >= LogLimits.MaxLinesWithoutRecord ? ", not read further" : "")}",
        LogAnomalyKind.CorruptCompression => $"the gzip data is truncated or corrupt after {N(a.Value)} bytes (decompressed); the lines before are used",
        LogAnomalyKind.ReadError => $"read error after {N(a.Value)} bytes: {a.Text}",
        LogAnomalyKind.TooManyEvents => $"{N(a.Value)} events beyond the limit of {N(LogLimits.MaxKeptEvents)} were counted, not kept",
        LogAnomalyKind.Truncated => $"the file ends inside line {a.Line} (no final newline): the last record may be cut short",
        LogAnomalyKind.UnreadableChannel => $"line {a.Line}: a handshake failure whose channel addresses cannot be read: {Cut(a.Text)}",
        LogAnomalyKind.UnknownLines => $"{N(a.Value)} line(s) not in the expected format, the first at line {a.Line} (skipped)",
        _ => a.Kind.ToString(),
    };

    public const string MpExpected = "a Message Processor system.log";

    public const string UnmatchedHeading = "Log events without a handshake in the capture";
    public const string UnclaimedHeading = "TLS exceptions logged without a handshake-failed line (no connection to join on)";
    public const string FailedWithoutEventHeading = "Failed handshakes without a log event";

    public static string NotKept(long n) => $"{N(n)} further events beyond the limit of {N(LogLimits.MaxKeptEvents)} were counted, not kept";

    public const string RouterExpected = "an Edge router access log ('|'-separated, 4.18.05 field order)";

    public static string RouterHeading(int files) => $"Router access log ({files} file{(files == 1 ? "" : "s")}; failed requests joined to the Message Processor log by X-Apigee-Message-ID)";

    public static string RouterFileLine(LogReadSummary f, int kept) =>
        $"{f.File}: {f.Lines.ToString("N0", CultureInfo.InvariantCulture)} lines{(f.Compressed ? " (gzip)" : "")}, {kept} failed request{(kept == 1 ? "" : "s")}";

    /// <summary>client request -> router status -> MP handshake -> cause, the row a ticket needs.</summary>
    public static string CaseRow(RouterRequest r, int handshake, string server, string? cause) =>
        $"client {r.Client ?? "?"} {Quote(r.Request)} -> router {r.Router ?? "?"} {r.Status}{(r.FaultCode is { } fc ? $" ({fc}, source {r.FaultSource ?? "?"})" : "")} -> MP {r.MessageProcessor ?? "?"} handshake {handshake} to {server} -> {cause ?? "no cause found"}";

    public static string RouterRequestLine(RouterRequest r) =>
        $"{r.At.File}:{r.At.Line} {r.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC client {r.Client ?? "?"} {Quote(r.Request)} -> {r.Status}{(r.FaultCode is { } fc ? $" {fc} (source {r.FaultSource ?? "?"})" : "")}, message ID {r.MessageId ?? "?"}";

    public const string RouterUnjoinedHeading = "Failed requests without a Message Processor event of the same message ID";

    public static string ListingHeading(TruststoreListing l) =>
        $"Truststore listing from the management API: {l.Directory} (truststore {l.Name}: {l.Listed.Count} listed, {l.Entries.Count(e => e.Infos.Count > 0)} described in JSON, {l.Entries.Count(e => e.Exported is not null)} exported as PEM)";

    public static string ListingMatchCode(this ListingMatch m) => m switch
    {
        ListingMatch.SameCertificateProven => "same-certificate",
        ListingMatch.SameKeyProven => "same-key",
        ListingMatch.IssuerProven => "issuer-by-key",
        ListingMatch.LookAlike => "look-alike",
        ListingMatch.IssuerLookAlike => "issuer-look-alike",
        ListingMatch.NamesAndSerialOnly => "names-and-serial-only",
        ListingMatch.IssuerNameOnly => "issuer-name-only",
        _ => m.ToString(),
    };

    public static string ListingMatchText(ListingEntryMatch m, string subject, string issuer) => m.Match switch
    {
        ListingMatch.SameCertificateProven => $"'{m.Entry.Name}' is the very certificate [{m.ChainIndex}] {subject} the server sent (same SHA-256): proven by its fingerprint",
        ListingMatch.SameKeyProven => $"'{m.Entry.Name}' has the subject and the public key of [{m.ChainIndex}] {subject} (another SHA-256: the same CA re-issued): proven by the key",
        ListingMatch.IssuerProven => $"'{m.Entry.Name}' is the issuer of [{m.ChainIndex}] {subject}: its key verifies the signature (proven by the key)",
        ListingMatch.LookAlike => $"'{m.Entry.Name}' is a look-alike of [{m.ChainIndex}] {subject}: same subject and issuer names, but another key and fingerprint, so it is NOT that certificate",
        ListingMatch.IssuerLookAlike => $"'{m.Entry.Name}' is a look-alike of the issuer {issuer} of [{m.ChainIndex}]: the same name, but its key does NOT verify the signature (replace it with the real one)",
        ListingMatch.NamesAndSerialOnly => $"'{m.Entry.Name}' has the subject, issuer and serial of [{m.ChainIndex}] {subject} in the JSON: names and serial match, but the JSON carries no key, so this does NOT prove trust",
        ListingMatch.IssuerNameOnly => $"'{m.Entry.Name}' has the name of the issuer {issuer} of [{m.ChainIndex}] in the JSON: a name match only, which never proves trust (a certificate with the same name and another key fails the same way)",
        _ => m.Match.ToString(),
    };

    public static string ListingVerdict(ListingComparison c) => c.ExportedVerdict switch
    {
        null => "no entry was exported as PEM: nothing here is proven by key or fingerprint",
        { Trusted: true } => "with the exported PEMs as the truststore, a Java client trusts the chain (proven by key)",
        { } v => $"with the exported PEMs as the truststore, a Java client does NOT trust the chain: {v.ClientMessage}",
    };

    public static string ExportCall(string truststore, string entry, string? org, string? env) =>
        $"curl -H \"Authorization: Bearer $TOKEN\" https://MANAGEMENT_HOST/v1/organizations/{org ?? "ORG"}/environments/{env ?? "ENV"}/keystores/{truststore}/certs/{entry}/export -o {entry}.pem";

    public const string ExportHint = "the JSON carries names and serial only; export these entries and run again with the PEMs beside the JSON to compare by key:";

    private static string Quote(string? request) => request is null ? "(request not logged)" : $"\"{request}\"";

    internal static string UtcOffset(TimeSpan o) => (o < TimeSpan.Zero ? "-" : "+") + o.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string Cut(string? s) => s is null ? "" : s.Length <= 200 ? s : s[..200] + "...";
}

/// <summary>The sentences of the evidence bundle's SUMMARY.md (Markdown, to paste into a ticket).</summary>
public static class CaseSummaryWording
{
    public static string Title(string capture) => $"# TLS handshake failure: support case for {capture}";

    public static string Overview(int handshakes, int failed, string truststore) =>
        $"{handshakes} TLS handshake{(handshakes == 1 ? "" : "s")} in the capture, {failed} failed; chains validated against {truststore}.";

    public static string HandshakeHeading(int n, string client, string server, string? sni, string? version) =>
        $"## Handshake {n}: {client} -> {server} (SNI {sni ?? "none"}, {version ?? "version unknown"})";

    public static string Symptom(PcapTls.Support.Router.RouterRequest? r, HandshakeLogJoin? j, string detail)
    {
        var who = r is not null
            ? $"the API client got {r.Status}{(r.FaultCode is { } fc ? $" with fault code {fc}" : "")} (router log {r.At.File}:{r.At.Line}, message ID {r.MessageId ?? "?"})"
            : j is not null ? $"the Message Processor logged a failed handshake for {j.Event.Context.Api ?? "?"} rev {j.Event.Context.Revision ?? "?"} (message ID {j.Event.Context.MessageId ?? "?"})"
            : "the handshake failed";
        return $"- **Symptom**: {who}; on the wire: {detail}.";
    }

    public static string CauseLine(Cause? c) => c is null ? "- **Cause**: none found in the packets." : $"- **Cause**: `{c.Code.ToCode()}`: {c.Summary}.";

    public static string Evidence(string evidence) => $"- **Evidence (packets)**: {evidence}";

    public static string LogEvidence(HandshakeLogJoin j) =>
        $"- **Evidence (Message Processor log)**: {j.Event.At.File}:{j.Event.At.Line}{(j.Event.ExceptionAt is { } x ? $", exception at line {x.Line}" : "")}: `{(j.Event.Exceptions.Count > 0 ? j.Event.Exceptions[^1].ToString() : j.Event.HandshakeMessage)}`; {(j.Agreement == MessageAgreement.Equal ? "the predicted Java message is the logged one" : j.Agreement == MessageAgreement.Differs ? "the logged exception is NOT the predicted one: the Message Processor ran with another truststore or setting than the one given" : "no Java message predicted to compare")}.";

    public static string RouterEvidence(PcapTls.Support.Router.RouterRequest r) =>
        $"- **Evidence (router log)**: {r.At.File}:{r.At.Line}: {r.Status} for \"{r.Request ?? "?"}\" from {r.Client ?? "?"}, fault source {r.FaultSource ?? "?"}.";

    /// <param name="names">The subject and issuer of the sent certificate at a chain index.</param>
    public static string ListingEvidence(ListingComparison c, Func<int, (string Subject, string Issuer)> names)
    {
        var matches = c.Matches.Select(m => SupportWording.ListingMatchText(m, names(m.ChainIndex).Subject, names(m.ChainIndex).Issuer));
        var unproven = c.Matches.Any(m => !m.IsProven) ? "; a match by name is not proof of trust" : "";
        return $"- **Truststore listing (management API)**: {string.Join("; ", matches.Append(SupportWording.ListingVerdict(c))).TrimEnd('.')}{unproven}.";
    }

    public static string Fix(string fix) => $"- **Fix**: {fix}";

    public const string ApiCallsHeading = "- **Management API calls to apply it** (Edge; the truststore name from the TargetEndpoint's `<TrustStore>` reference):";

    public static string ImportCall(string? org, string? env, string? truststore, CertificateInfo cert, string? file) =>
        $"  - `curl -X POST -H \"Authorization: Bearer $TOKEN\" -F file=@{file ?? "CERT.pem"} \"https://MANAGEMENT_HOST/v1/organizations/{org ?? "ORG"}/environments/{env ?? "ENV"}/keystores/{truststore ?? "TRUSTSTORE"}/certs?alias={Alias(cert)}\"` (imports {cert.Subject}, SHA-256 {cert.Sha256Hex})";

    public const string FilesHeading = "## Files in this bundle";

    public static string FilesList(bool packets, bool imports) =>
        "- `report.txt`, `report.json`: the whole report" + "\n- `chain/`: every certificate the failing servers sent, as PEM"
        + (imports ? "\n- `import/`: exactly the certificate(s) to import into the truststore" : "")
        + (packets ? "\n- `failed-handshakes.pcap`: the failing handshakes' packets" : "\n- no packets: the capture was read from standard input and cannot be read again");

    private static string Alias(CertificateInfo c) => new((c.CommonName ?? "cert").Select(ch => char.IsLetterOrDigit(ch) ? char.ToLowerInvariant(ch) : '-').ToArray());
}
