using System.Globalization;
using System.Text;
using System.Text.Json;
using PcapTls.Analysis;
using PcapTls.Reporting;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Support.Tests;

/// <summary>
/// Writes the support corpus (captures/support/KIND/): a Message Processor system.log, a router access log and the
/// management API's truststore listing for one of the project's own failure captures, with the capture's own
/// addresses, ports and times, in the real line formats. The exception text is the message the real Java 17 client
/// printed for that capture (captures/manifest.json); the exception classes and frames around it are JDK 17's for
/// that failure. <see cref="SupportCorpusTests"/> checks the committed files equal what this writes
/// (PCAPTLS_UPDATE_GOLDEN=1, or tools/make-support-corpus, rewrites them).
/// </summary>
internal static class SampleCorpus
{
    /// <param name="Listing">Which truststore entries the listing holds, and whether each was exported as PEM.</param>
    /// <param name="Outer">The outermost exception class the MP logs.</param>
    /// <param name="Agreement">Whether the predicted Java message is the logged one ('no-prediction' when PcapTls predicts none: the server refused the client).</param>
    internal sealed record Kind(string Name, string Capture, string? TrustStorePem, string Message, string[] CauseChain, (string Entry, string Pem, bool Exported)[] Listing, string ExpectedCause,
        string Outer = "javax.net.ssl.SSLHandshakeException", string Agreement = "equal");

    private const string Pkix = "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target";

    public static readonly Kind[] Kinds =
    [
        new("untrusted-root", "tls12/java/untrusted-root.pcap", "truststores/unrelated-root.pem", Pkix,
            ["sun.security.validator.ValidatorException: " + Pkix, "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target"],
            [("unrelated-root", "pki/unrelated-root.pem", true)], "truststore-missing-anchor"),
        new("incomplete-chain", "tls12/java/leaf-only.pcap", "truststores/root.pem", Pkix,
            ["sun.security.validator.ValidatorException: " + Pkix, "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target"],
            [("root", "pki/root.pem", false)], "incomplete-chain"),
        new("name-mismatch", "tls12/java/wrong-host.pcap", "truststores/root.pem", "No subject alternative DNS name matching backend.pcaptls.test found.",
            ["java.security.cert.CertificateException: No subject alternative DNS name matching backend.pcaptls.test found."],
            [("root", "pki/root.pem", true)], "hostname-mismatch"),
        new("expired", "tls12/java/expired.pcap", "truststores/root.pem", "PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed",
            ["sun.security.validator.ValidatorException: PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed", "java.security.cert.CertPathValidatorException: validity check failed"],
            [("root", "pki/root.pem", true)], "certificate-expired"),
        new("empty-truststore", "tls12/java/empty-truststore.pcap", null, "Unexpected error: java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty",
            ["java.lang.RuntimeException: Unexpected error: java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty", "java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty"],
            [], "truststore-empty", Outer: "javax.net.ssl.SSLException"),
        new("impostor-root", "tls12/java/impostor-root.pcap", "truststores/impostor-root.pem", "PKIX path validation failed: java.security.cert.CertPathValidatorException: Path does not chain with any of the trust anchors",
            ["sun.security.validator.ValidatorException: PKIX path validation failed: java.security.cert.CertPathValidatorException: Path does not chain with any of the trust anchors", "java.security.cert.CertPathValidatorException: Path does not chain with any of the trust anchors"],
            [("pcaptls-test-root-ca", "pki/impostor-root.pem", false)], "truststore-missing-anchor"),
        // The real Java client printed "Broken pipe": it wrote its whole flight before reading the server's alert 48.
        new("client-certificate-refused", "tls12/java/mtls-untrusted-client-cert.pcap", "truststores/root.pem", "Broken pipe",
            ["java.net.SocketException: Broken pipe"], [("root", "pki/root.pem", true)], "client-certificate-rejected", Outer: "javax.net.ssl.SSLException", Agreement: "no-prediction"),
    ];

    public static string Folder(Kind k) => Path.Combine(RepoPaths.Captures, "support", k.Name);

    public static AnalysisReport Analyze(Kind k) => CaptureAnalyzer.AnalyzeFile(RepoPaths.Capture(k.Capture), new AnalysisOptions
    {
        TrustStore = k.TrustStorePem is null ? TrustStore.FromCertificates("empty truststore", []) : TrustStore.Load(RepoPaths.Capture(k.TrustStorePem)),
        Profile = ClientProfile.Java,
    });

    /// <summary>The files of one kind, relative path to content.</summary>
    public static SortedDictionary<string, string> Files(Kind k)
    {
        var h = Analyze(k).Handshakes.Single();
        var id = $"myorg-{28240 + Array.IndexOf(Kinds, k)}-3541813-1";
        var failedAt = h.Alerts.Count > 0 ? h.Alerts[0].Time : h.Teardown.Count > 0 ? h.Teardown[0].Time : h.StartTime;
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["system.log"] = SystemLog(h, id, failedAt + TimeSpan.FromMilliseconds(2), k),
            ["router_access_log"] = RouterLog(h, id, h.StartTime - TimeSpan.FromMilliseconds(40), failedAt + TimeSpan.FromMilliseconds(9)),
        };
        if (k.Listing.Length > 0)
        {
            files["myCompanyTruststore/certs.json"] = JsonSerializer.Serialize(k.Listing.Select(l => l.Entry).ToArray(), Indented) + "\n";
        }
        foreach (var (entry, pem, exported) in k.Listing)
        {
            var bytes = File.ReadAllBytes(RepoPaths.Capture(pem));
            var cert = CertificateInfo.Parse(CertificateFile.PemBlocks(bytes)[0].Der);
            files[$"myCompanyTruststore/{entry}.json"] = CertJson(entry, cert);
            if (exported)
            {
                files[$"myCompanyTruststore/{entry}.pem"] = CertificateExport.ToPem(cert.Der);
            }
        }
        return files;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture);

    private static string SystemLog(HandshakeReport h, string id, DateTimeOffset at, Kind k)
    {
        var ctx = $"org:myorg env:test api:backend-proxy rev:3 messageid:{id}";
        var sb = new StringBuilder();
        sb.Append($"{Stamp(h.StartTime - TimeSpan.FromMilliseconds(30))} {ctx} NIOThread@1 INFO  HTTP.CLIENT - HTTPClient$Context$3.onSuccess() : Connecting to {h.Server}\n");
        sb.Append($"{Stamp(h.StartTime - TimeSpan.FromMilliseconds(20))} org:myorg env:test api:other-proxy rev:1 messageid:myorg-9-9-9 NIOThread@0 INFO  ADAPTORS.HTTP.FLOW - HTTPFlow.onRequest() : request received\n");
        sb.Append($"{Stamp(at)} {ctx} NIOThread@1 ERROR HTTP.CLIENT - HTTPClient$Context.handshakeFailed() : SSLClientChannel[Connected: Remote:{h.Server} Local:{h.Client}]@64596 useCount=1 bytesRead=0 bytesWritten=0 age=233ms lastIO=233ms isOpen=true handshake failed, message: {k.Message}\n");
        sb.Append($"{Stamp(at + TimeSpan.FromMilliseconds(1))} {ctx} NIOThread@1 ERROR ADAPTORS.HTTP.FLOW - RequestWriteListener.onException() : RequestWriteListener.onException(HTTPRequest@1522922c)\n");
        sb.Append($"{k.Outer}: {k.Message}\n");
        sb.Append("\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)\n");
        sb.Append("\tat java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:371)\n");
        sb.Append("\tat java.base/sun.security.ssl.SSLEngineImpl$DelegatedTask$DelegatedAction.run(SSLEngineImpl.java:1180)\n");
        sb.Append("\tat com.apigee.protocol.http.io.SSLClientChannel.doHandshake(SSLClientChannel.java:412)\n");
        foreach (var cause in k.CauseChain)
        {
            sb.Append($"Caused by: {cause}\n");
            sb.Append("\tat java.base/sun.security.validator.PKIXValidator.doBuild(PKIXValidator.java:439)\n");
            sb.Append("\t... 21 more\n");
        }
        sb.Append($"{Stamp(at + TimeSpan.FromMilliseconds(3))} {ctx} NIOThread@1 INFO  MESSAGING.FLOW - AbstractAsyncExecutionStrategy$Continuation.run() : fault raised: messaging.adaptors.http.flow.SslHandshakeFailed\n");
        return sb.ToString();
    }

    /// <summary>Edge router access log, '|'-separated in 4.18.05's field order; one unrelated 200 and the 503 of the case.</summary>
    private static string RouterLog(HandshakeReport h, string id, DateTimeOffset received, DateTimeOffset answered)
    {
        string Line(DateTimeOffset t, string client, int status, string request, string msgId, string faultSource, string faultCode, string proxy) =>
            string.Join('|', t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "+00:00", client, "router01", "10.10.1.21:8998",
                ((answered - received).TotalSeconds).ToString("0.000", CultureInfo.InvariantCulture), "-", "-", status.ToString(CultureInfo.InvariantCulture),
                status.ToString(CultureInfo.InvariantCulture), "312", "0", request, msgId, "curl/7.88.1", "router01-1871-40222-1", "-",
                faultCode == "-" ? "-" : "1", faultSource, faultCode, "-", "-", faultCode == "-" ? "-" : "3", "-", "-", proxy, "/backend") + "\n";
        return Line(received - TimeSpan.FromSeconds(2), "203.0.113.7:50412", 200, "GET /backend/health HTTP/1.1", "myorg-9-9-9", "-", "-", "other-proxy")
            + Line(answered, "203.0.113.7:50418", 503, "GET /backend/orders/42 HTTP/1.1", id, "target", "messaging.adaptors.http.flow.SslHandshakeFailed", "backend-proxy");
    }

    /// <summary>The management API's answer to GET .../keystores/{ts}/certs/{cert} (names, serial and validity; no key).</summary>
    internal static string CertJson(string name, CertificateInfo c)
    {
        static string JavaName(string dn) => string.Join(", ", dn.Split(',').Select(p => p.Trim()));
        var serial = string.Join(":", Enumerable.Range(0, (c.SerialHex.Length + 1) / 2).Select(i => c.SerialHex.PadLeft((c.SerialHex.Length + 1) / 2 * 2, '0').Substring(i * 2, 2)));
        var info = new Dictionary<string, object>
        {
            ["basicConstraints"] = c.IsCa == true ? "CA:TRUE" : "CA:FALSE",
            ["expiryDate"] = c.NotAfter.ToUnixTimeMilliseconds(),
            ["isValid"] = "Yes",
            ["issuer"] = JavaName(c.Issuer),
            ["publicKey"] = "RSA Public Key, 2048 bits",
            ["serialNumber"] = serial,
            ["sigAlgName"] = "SHA256withRSA",
            ["subject"] = JavaName(c.Subject),
            ["subjectAlternativeNames"] = c.DnsNames.ToArray(),
            ["validFrom"] = c.NotBefore.ToUnixTimeMilliseconds(),
            ["version"] = 3,
        };
        return JsonSerializer.Serialize(new Dictionary<string, object> { ["certInfo"] = new[] { info }, ["certName"] = name }, Indented) + "\n";
    }
}
