using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Probe.Tests;

/// <summary>The parts of the probe that need no network: target parsing, SNI choice, reply sniffing, and the
/// diagnosis of a probe result.</summary>
[TestClass]
public sealed class ProbeDiagnosisTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [TestMethod]
    [DataRow("backend.example:443", "backend.example", 443)]
    [DataRow("10.0.0.5:8443", "10.0.0.5", 8443)]
    [DataRow("[::1]:443", "::1", 443)]
    [DataRow("h:65535", "h", 65535)]
    public void ParsesTargets(string text, string host, int port)
    {
        Assert.IsTrue(ProbeTarget.TryParse(text, out var target, out var error), error);
        Assert.AreEqual(new ProbeTarget(host, port), target);
        Assert.AreEqual(text, target.ToString());
    }

    [TestMethod]
    [DataRow("", "empty")]
    [DataRow("backend.example", "has no port")]
    [DataRow("backend.example:", "is not a TCP port")]
    [DataRow("backend.example:0", "is not a TCP port")]
    [DataRow("backend.example:65536", "is not a TCP port")]
    [DataRow("backend.example:-1", "is not a TCP port")]
    [DataRow("backend.example:44x", "is not a TCP port")]
    [DataRow(":443", "has no host")]
    [DataRow("::1:443", "[ADDRESS]:PORT")]
    [DataRow("[::1]443", "is not [IPV6]:PORT")]
    [DataRow("[::1", "is not [IPV6]:PORT")]
    [DataRow("[]:443", "has no host")]
    public void RejectsBadTargets(string text, string reason)
    {
        Assert.IsFalse(ProbeTarget.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [TestMethod]
    [DataRow("10.0.0.5", null, null, null, DisplayName = "IP literal, nothing given: no SNI")]
    [DataRow("backend.example", null, null, "backend.example", DisplayName = "DNS name: the target")]
    [DataRow("10.0.0.5", null, "backend.example", "backend.example", DisplayName = "--host names the server")]
    [DataRow("backend.example", "front.example", "other.example", "front.example", DisplayName = "--sni wins")]
    [DataRow("backend.example", null, "10.0.0.5", "backend.example", DisplayName = "an IP --host is never an SNI")]
    public void ChoosesTheServerName(string host, string? sni, string? hostName, string? expected)
    {
        var options = new ProbeOptions { Sni = sni, HostName = hostName };

        Assert.AreEqual(expected, ProbeDiagnosis.EffectiveSni(new ProbeTarget(host, 443), options));
    }

    [TestMethod]
    public void ParsesCipherSuiteListsAsJavaWritesThem()
    {
        Assert.IsTrue(CipherSuiteList.TryParse("TLS_AES_128_GCM_SHA256, tls_ecdhe_rsa_with_aes_128_gcm_sha256 0x1302,TLS_AES_128_GCM_SHA256", out var suites, out var error), error);

        // Wire values: 0x1301, 0xC02F, 0x1302; the repeated suite is offered once.
        CollectionAssert.AreEqual(new[] { 0x1301, 0xC02F, 0x1302 }, suites.ToArray());
        Assert.IsTrue(suites.All(ServerProbe.CanOffer));
    }

    [TestMethod]
    [DataRow("", "empty")]
    [DataRow(" , ", "empty")]
    [DataRow("TLS_AES_128_GCM_SHA256,ECDHE-RSA-AES128-GCM-SHA256", "'ECDHE-RSA-AES128-GCM-SHA256' is not a cipher suite")]
    [DataRow("0x10000", "'0x10000' is not a cipher suite")]
    public void RejectsBadCipherSuiteLists(string text, string reason)
    {
        Assert.IsFalse(CipherSuiteList.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [TestMethod]
    public void ACipherSuiteListLongerThanTheLimitIsRejected()
    {
        var text = string.Join(",", Enumerable.Repeat("0x1301", CipherSuiteList.MaxSuites + 1));

        Assert.IsFalse(CipherSuiteList.TryParse(text, out _, out var error));
        Assert.Contains($"more than the {CipherSuiteList.MaxSuites}", error);
    }

    [TestMethod]
    public void TellsTlsFromPlaintext()
    {
        // 16 03 01 00 f1: handshake record, version 3.1, length 241 (a ClientHello-like start).
        Assert.IsTrue(ServerProbe.LooksLikeTls([0x16, 0x03, 0x01, 0x00, 0xF1]));
        // 15 03 03: alert record, version 3.3.
        Assert.IsTrue(ServerProbe.LooksLikeTls([0x15, 0x03, 0x03]));
        // A lone handshake content type: too short to judge the version, so not called plaintext.
        Assert.IsTrue(ServerProbe.LooksLikeTls([0x16]));
        // "HTTP": 'H' (0x48) is no content type.
        Assert.IsFalse(ServerProbe.LooksLikeTls("HTTP"u8.ToArray()));
        // "SSH-2.0": 'S' (0x53).
        Assert.IsFalse(ServerProbe.LooksLikeTls("SSH-2.0-OpenSSH"u8.ToArray()));
        // 16 02: handshake content type but major version 2: not a TLS record.
        Assert.IsFalse(ServerProbe.LooksLikeTls([0x16, 0x02, 0x00]));
        // 19 03: content type 25 is past heartbeat (24).
        Assert.IsFalse(ServerProbe.LooksLikeTls([0x19, 0x03]));
    }

    [TestMethod]
    public void PreviewStopsAtTheLineEndAndHidesControlBytes()
    {
        Assert.AreEqual("HTTP/1.1 400 Bad Request", ServerProbe.Preview("HTTP/1.1 400 Bad Request\r\nServer: x\r\n"u8.ToArray()));
        Assert.AreEqual("a.b.", ServerProbe.Preview([(byte)'a', 0x00, (byte)'b', 0xFF]));
    }

    private static ProbeDiagnosisResult Diagnose(ProbeResult probe, TrustStore? store = null, string host = "backend.pcaptls.test") =>
        ProbeDiagnosis.Diagnose(new ProbeTarget("127.0.0.1", 24000),
            new ProbeOptions { HostName = host, TrustStore = store ?? TrustStore.FromCertificates("test: empty", []), At = At }, probe);

    private static byte[] Der(string pki) => TestPki.Der(RepoPaths.Capture(Path.Combine("pki", pki)));

    [TestMethod]
    public void AServerAlertBeforeTheCertificateIsServerRejectedHello()
    {
        var r = Diagnose(new ProbeResult { Failure = ProbeFailure.ServerAlert, Alert = "handshake_failure(40)", AlertDescriptionWire = 40, Error = "the server sent alert handshake_failure(40)" });

        Assert.AreEqual(ProbeOutcome.NoChain, r.Outcome);
        Assert.AreEqual(CauseCode.ServerRejectedHello, r.Findings.Single().Code);
        Assert.AreEqual("The server rejected the ClientHello (handshake_failure(40))", r.Findings[0].Summary);
        Assert.Contains("before any ServerHello", r.Findings[0].Evidence);
    }

    [TestMethod]
    public void AProtocolErrorIsCertificateNotVisibleNotATrustVerdict()
    {
        var r = Diagnose(new ProbeResult { Failure = ProbeFailure.ProtocolError, NegotiatedVersion = "TLS 1.2", Error = "TLS error: decode_error(50)" });

        Assert.AreEqual(ProbeOutcome.NoChain, r.Outcome);
        Assert.AreEqual(CauseCode.CertificateNotVisible, r.Findings.Single().Code);
        Assert.Contains("decode_error(50)", r.Findings[0].Evidence);
        Assert.IsNull(r.Verdict);
    }

    [TestMethod]
    public void ACancelledProbeThrows()
    {
        Assert.ThrowsExactly<OperationCanceledException>(() => Diagnose(new ProbeResult { Failure = ProbeFailure.Cancelled, Error = "cancelled" }));
    }

    [TestMethod]
    [DataRow((ushort)0x0303, (byte)45, DisplayName = "TLS 1.2: Java sends certificate_expired")]
    [DataRow((ushort)0x0304, (byte)46, DisplayName = "TLS 1.3: Java sends certificate_unknown")]
    public void TheNegotiatedVersionDecidesThePredictedAlert(ushort version, byte alert)
    {
        // The corpus's expired leaf (2020-2021) with its intermediate, against the root: Java's alert depends on the version.
        var probe = new ProbeResult
        {
            ServerCertificates = [Der("expired.pem"), Der("intermediate.pem")],
            NegotiatedVersion = version == 0x0303 ? "TLS 1.2" : "TLS 1.3",
            NegotiatedVersionWire = version,
            CipherSuite = 0x1302,
        };

        var r = Diagnose(probe, TrustStore.Load(RepoPaths.Capture("truststores/root.pem")));

        Assert.AreEqual(ProbeOutcome.NotTrusted, r.Outcome);
        CollectionAssert.AreEqual(new[] { CauseCode.CertificateExpired }, r.CauseCodes.ToArray());
        Assert.AreEqual(alert, r.Verdict!.PredictedAlert);
        Assert.AreEqual("TLS_AES_256_GCM_SHA384", r.CipherSuiteName);
        Assert.HasCount(2, r.Chain);
        Assert.AreEqual(HostNameSource.Given, r.HostNameSource);
    }

    [TestMethod]
    public void TheHostComesFromHostThenSniThenTarget()
    {
        var target = new ProbeTarget("backend.pcaptls.test", 24000);
        var probe = new ProbeResult { Failure = ProbeFailure.NoAnswer, Error = "no answer within 1 s" };
        var store = TrustStore.FromCertificates("test: empty", []);

        var given = ProbeDiagnosis.Diagnose(target, new ProbeOptions { TrustStore = store, HostName = "a.example", Sni = "b.example" }, probe);
        var sni = ProbeDiagnosis.Diagnose(target, new ProbeOptions { TrustStore = store, Sni = "b.example" }, probe);
        var fromTarget = ProbeDiagnosis.Diagnose(target, new ProbeOptions { TrustStore = store }, probe);

        Assert.AreEqual(("a.example", HostNameSource.Given), (given.HostName, given.HostNameSource));
        Assert.AreEqual(("b.example", HostNameSource.Sni), (sni.HostName, sni.HostNameSource));
        Assert.AreEqual(("backend.pcaptls.test", HostNameSource.Target), (fromTarget.HostName, fromTarget.HostNameSource));
    }

    [TestMethod]
    public void ConsoleReportShowsChainVerdictCausesAndWhatTheTruststoreNeeds()
    {
        // The corpus's full chain, checked against a truststore holding only the unrelated root.
        var probe = new ProbeResult
        {
            ServerCertificates = [Der("backend.pem"), Der("intermediate.pem")],
            NegotiatedVersion = "TLS 1.2",
            NegotiatedVersionWire = 0x0303,
            CipherSuite = 0xC030,
        };
        var r = Diagnose(probe, TrustStore.Load(RepoPaths.Capture("truststores/unrelated-root.pem")));
        var text = new StringWriter();

        ProbeReport.WriteConsole(r, text);

        var lines = text.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        CollectionAssert.Contains(lines, "Server: TLS 1.2, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
        CollectionAssert.Contains(lines, "  [0] CN=backend.pcaptls.test");
        CollectionAssert.Contains(lines, "Verdict: NOT trusted");
        CollectionAssert.Contains(lines, "  predicted alert: 46 certificate_unknown");
        Assert.IsTrue(lines.Any(l => l.StartsWith("  java would say: PKIX path building failed", StringComparison.Ordinal)), text.ToString());
        Assert.IsTrue(lines.Any(l => l.StartsWith("  truststore-missing-anchor: ", StringComparison.Ordinal)), text.ToString());
        Assert.IsTrue(lines.Any(l => l.StartsWith("    CN=backend.pcaptls.test [sent #1]", StringComparison.Ordinal)), "the explanation tree is printed:\n" + text);
    }
    private static ProbeResult TrustedChainWithCertificateRequest(ushort version) => new()
    {
        ServerCertificates = [Der("backend.pem"), Der("intermediate.pem")],
        NegotiatedVersion = version == 0x0303 ? "TLS 1.2" : "TLS 1.3",
        NegotiatedVersionWire = version,
        CipherSuite = 0x1302,
        CertificateRequested = true,
    };

    [TestMethod]
    [DataRow((byte)116, "certificate_required(116)", DisplayName = "TLS 1.3: certificate_required")]
    [DataRow((byte)40, "handshake_failure(40)", DisplayName = "TLS 1.2: handshake_failure")]
    public void ARequiredCertificateIsClientCertificateMissingWithAnalyzesWording(byte alert, string alertText)
    {
        var check = new ClientAuthenticationResult
        {
            Status = ClientAuthenticationStatus.Required,
            NegotiatedVersion = alert == 116 ? "TLS 1.3" : "TLS 1.2",
            HandshakeCompleted = alert == 116,
            ClientFlightSent = true,
            AlertDescriptionWire = alert,
            Alert = alertText,
            AcceptedIssuers = ["CN=PcapTls Test Client CA, O=PcapTls Test"],
        };

        var r = ProbeDiagnosis.Diagnose(new ProbeTarget("127.0.0.1", 24000),
            new ProbeOptions { HostName = "backend.pcaptls.test", TrustStore = TrustStore.Load(RepoPaths.Capture("truststores/root.pem")), At = At },
            TrustedChainWithCertificateRequest(alert == 116 ? (ushort)0x0304 : (ushort)0x0303), check);

        Assert.IsTrue(r.Verdict!.Trusted);
        Assert.AreEqual(ProbeOutcome.ClientAuthenticationFailed, r.Outcome);
        var f = r.Findings.Single();
        Assert.AreEqual(CauseCode.ClientCertificateMissing, f.Code);
        Assert.AreEqual("The server requires a client certificate and the client sent none", f.Summary);
        Assert.StartsWith("Give the client a key and certificate issued by a CA the server trusts", f.Fix);
        Assert.Contains("sent an empty Certificate message; server alert " + alertText, f.Evidence);
        Assert.Contains("it accepts certificates issued by: CN=PcapTls Test Client CA, O=PcapTls Test", f.Evidence);
        Assert.AreEqual(Certainty.High, f.Certainty);
        Assert.StartsWith("clientAuthentication: required.", r.Notes[0]);
    }

    [TestMethod]
    public void AnInconclusiveCheckIsANoteNotACause()
    {
        var check = new ClientAuthenticationResult
        {
            Status = ClientAuthenticationStatus.Inconclusive,
            Error = "the second connection to 127.0.0.1:24000 failed: ConnectionRefused",
        };

        var r = ProbeDiagnosis.Diagnose(new ProbeTarget("127.0.0.1", 24000),
            new ProbeOptions { HostName = "backend.pcaptls.test", TrustStore = TrustStore.Load(RepoPaths.Capture("truststores/root.pem")), At = At },
            TrustedChainWithCertificateRequest(0x0304), check);

        Assert.AreEqual(ProbeOutcome.Trusted, r.Outcome);
        Assert.IsEmpty(r.Findings);
        Assert.StartsWith("clientAuthentication: inconclusive.", r.Notes[0]);
        Assert.Contains("ConnectionRefused", r.Notes[0]);
    }

    [TestMethod]
    public void WithoutTheCheckTheRequestIsOnlyANote()
    {
        var r = Diagnose(TrustedChainWithCertificateRequest(0x0304), TrustStore.Load(RepoPaths.Capture("truststores/root.pem")));

        Assert.AreEqual(ProbeOutcome.Trusted, r.Outcome);
        Assert.IsEmpty(r.Findings);
        Assert.IsNull(r.ClientAuthentication);
        Assert.StartsWith("certificateRequested:", r.Notes[0]);
        Assert.Contains("cannot tell required from optional", r.Notes[0]);
    }
}
