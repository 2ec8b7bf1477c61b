using System.Globalization;
using PcapTls.Analysis;
using PcapTls.Support.Correlation;
using PcapTls.Support.MessageProcessor;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Support.Tests;

/// <summary>Log events joined to the handshakes of real corpus captures (Java client, the MP's JSSE).</summary>
[TestClass]
public sealed class MpLogCorrelationTests
{
    private const string Pkix = "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target";

    internal static AnalysisReport Analyze(string capture, string? truststorePem)
    {
        var options = new AnalysisOptions
        {
            TrustStore = truststorePem is null ? null : TrustStore.Load(RepoPaths.Capture(truststorePem)),
            Profile = ClientProfile.Java,
        };
        return CaptureAnalyzer.AnalyzeFile(RepoPaths.Capture(capture), options);
    }

    /// <summary>A handshake-failed line and its exception record for the handshake's own connection, at a time relative to its first packet.</summary>
    internal static string LogFor(HandshakeReport h, TimeSpan after, string innermostClass, string message, string messageId = "myorg-28247-3541813-1")
    {
        var (client, server) = (h.Client.Split(':'), h.Server.Split(':'));
        var t = (h.StartTime + after).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture);
        return $"""
            {t} org:myorg env:test api:MyProxy rev:7 messageid:{messageId} NIOThread@1 ERROR HTTP.CLIENT - HTTPClient$Context.handshakeFailed() : SSLClientChannel[Connected: Remote:{server[0]}:{server[1]} Local:{client[0]}:{client[1]}]@64596 useCount=1 bytesRead=0 bytesWritten=0 age=233ms lastIO=233ms isOpen=true handshake failed, message: {message}
            {t} org:myorg env:test api:MyProxy rev:7 messageid:{messageId} NIOThread@1 ERROR ADAPTORS.HTTP.FLOW - RequestWriteListener.onException() : RequestWriteListener.onException(HTTPRequest@1522922c)
            javax.net.ssl.SSLHandshakeException: {message}
            	at java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)
            Caused by: {innermostClass}: {message}
            	at java.base/sun.security.validator.PKIXValidator.doBuild(PKIXValidator.java:439)
            	... 17 more

            """;
    }

    private static MpLogCorrelation Correlate(AnalysisReport report, string log, TimeSpan? skew = null)
    {
        var parser = new SystemLogParser(TimeSpan.Zero);
        parser.Read("system.log", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(log)));
        return MpLogCorrelator.Correlate(report, parser.Result(), skew ?? MpLogCorrelator.DefaultSkew);
    }

    [TestMethod]
    public void TheLoggedPkixFailureJoinsItsHandshakeAndEqualsThePrediction()
    {
        var report = Analyze("tls12/java/untrusted-root.pcap", "truststores/unrelated-root.pem");
        var h = report.Handshakes.Single();
        var c = Correlate(report, LogFor(h, TimeSpan.FromMilliseconds(900), "sun.security.validator.ValidatorException", Pkix));
        var j = c.Joined.Single();
        Assert.AreEqual(1, j.Handshake);
        Assert.AreEqual("MyProxy", j.Event.Context.Api);
        Assert.AreEqual("7", j.Event.Context.Revision);
        Assert.AreEqual(MessageAgreement.Equal, j.Agreement);
        Assert.AreEqual(Pkix, j.Predicted);
        Assert.AreEqual(TimeSpan.Zero, j.Offset, "logged while the handshake's packets were flowing");
        Assert.AreEqual(0, c.Unmatched.Count);
        Assert.AreEqual(0, c.FailedWithoutEvent.Count);
    }

    [TestMethod]
    public void AnotherLoggedMessageThanPredictedIsAFinding()
    {
        // The capture's chain misses its root in this truststore, but the MP logged a host name failure:
        // the MP ran with another truststore than the one given.
        var report = Analyze("tls12/java/untrusted-root.pcap", "truststores/unrelated-root.pem");
        var msg = "No subject alternative DNS name matching backend.pcaptls.test found.";
        var c = Correlate(report, LogFor(report.Handshakes[0], TimeSpan.FromSeconds(1), "java.security.cert.CertificateException", msg));
        var j = c.Joined.Single();
        Assert.AreEqual(MessageAgreement.Differs, j.Agreement);
        Assert.AreEqual(msg, j.Logged);
        Assert.AreEqual(Pkix, j.Predicted);
    }

    [TestMethod]
    public void TheHostNameMessageOfAWrongHostCaptureEqualsThePrediction()
    {
        var report = Analyze("tls12/java/wrong-host.pcap", "truststores/root.pem");
        var msg = "No subject alternative DNS name matching backend.pcaptls.test found.";
        var c = Correlate(report, LogFor(report.Handshakes[0], TimeSpan.FromSeconds(1), "java.security.cert.CertificateException", msg));
        Assert.AreEqual(MessageAgreement.Equal, c.Joined.Single().Agreement, c.Joined.Single().Predicted);
    }

    [TestMethod]
    public void ALogLineBeyondTheSkewIsNotJoinedAndSaysHowFar()
    {
        var report = Analyze("tls12/java/untrusted-root.pcap", "truststores/unrelated-root.pem");
        var c = Correlate(report, LogFor(report.Handshakes[0], TimeSpan.FromHours(1), "sun.security.validator.ValidatorException", Pkix));
        var u = c.Unmatched.Single();
        Assert.AreEqual(LogEventMiss.OutsideSkew, u.Reason);
        Assert.AreEqual(1, u.NearestHandshake);
        Assert.IsTrue(u.Distance > TimeSpan.FromMinutes(59) && u.Distance < TimeSpan.FromHours(1), u.Distance?.ToString());
        CollectionAssert.AreEqual(new[] { 1 }, c.FailedWithoutEvent.ToArray());

        // The same line read with the right time zone (the MP wrote local time, one hour ahead) joins.
        var parser = new SystemLogParser(TimeSpan.FromHours(1));
        parser.Read("system.log", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(LogFor(report.Handshakes[0], TimeSpan.FromHours(1), "sun.security.validator.ValidatorException", Pkix))));
        Assert.AreEqual(1, MpLogCorrelator.Correlate(report, parser.Result(), MpLogCorrelator.DefaultSkew).Joined.Count);
    }

    [TestMethod]
    public void ALogFromAnotherCaptureLeavesEveryEventUnmatched()
    {
        var other = Analyze("tls12/java/leaf-only.pcap", "truststores/root.pem");
        var report = Analyze("tls12/java/untrusted-root.pcap", "truststores/unrelated-root.pem");
        var c = Correlate(report, LogFor(other.Handshakes[0], TimeSpan.FromSeconds(1), "sun.security.validator.ValidatorException", Pkix));
        Assert.AreEqual(0, c.Joined.Count);
        Assert.AreEqual(LogEventMiss.NoSuchConnection, c.Unmatched.Single().Reason);
        CollectionAssert.AreEqual(new[] { 1 }, c.FailedWithoutEvent.ToArray());
    }

    [TestMethod]
    public void WithoutAJudgedChainThereIsNoPredictionToCompare()
    {
        // TLS 1.3 without a key log: the chain is encrypted, nothing predicted; the log still joins.
        var report = Analyze("tls13/java/untrusted-root.pcap", "truststores/unrelated-root.pem");
        var c = Correlate(report, LogFor(report.Handshakes[0], TimeSpan.FromSeconds(1), "sun.security.validator.ValidatorException", Pkix));
        var j = c.Joined.Single();
        Assert.AreEqual(MessageAgreement.NoPrediction, j.Agreement);
        Assert.AreEqual(Pkix, j.Logged);
    }
}
