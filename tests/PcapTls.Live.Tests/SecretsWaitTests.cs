using PcapTls.Analysis;
using PcapTls.Capture;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Live.Tests;

/// <summary>
/// A TLS 1.3 connection whose key log lines are written after the capture saw it end (live's race, fixed at the
/// root): the pipeline holds it, bounded in bytes and capture time, until a followed key log gains its secrets.
/// Deterministic: a real capture of openssl (captures/tls13/openssl/untrusted-root.pcap, whose server's key log
/// decrypts the chain) fed to the live pipeline, the key log written by the test between two clock steps; no
/// sleep, no wall clock.
/// </summary>
[TestClass]
public sealed class SecretsWaitTests
{
    private const string Host = "backend.pcaptls.test";

    private static readonly string CaptureFile = RepoPaths.Capture(Path.Combine("tls13", "openssl", "untrusted-root.pcap"));

    private static readonly string ServerKeys = CaptureFile + ".keys";

    private static readonly string OtherKeys = RepoPaths.Capture(Path.Combine("tls13", "openssl", "leaf-only.pcap.keys"));

    private const long Second = 1_000_000_000L;

    public TestContext TestContext { get; set; } = null!;

    private string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pcaptls-secrets-wait", TestContext.TestName + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Writes as a key log's writer does (openssl, curl and Java take no file lock; .NET's File.Copy and
    /// File.WriteAllText would ask for one, which the follower's open handle holds off).</summary>
    private static void Write(string path, string text, bool append = false)
    {
        using var stream = new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    private static string ServerLines => File.ReadAllText(ServerKeys);

    private static AnalysisOptions Options(IHandshakeDecryptorFactory? decryptors, SecretsWaitLimits? limits = null) => new()
    {
        TrustStore = TrustStore.Load(RepoPaths.Capture(Path.Combine("truststores", "unrelated-root.pem")), null),
        Host = Host,
        Decryptors = decryptors,
        SecretsWait = limits ?? SecretsWaitLimits.Default,
    };

    /// <summary>The capture fed to a pipeline as live feeds it; returns the pipeline, the reports raised so far and the
    /// time of the last packet.</summary>
    private static (HandshakePipeline Pipeline, List<HandshakeReport> Reported, long LastPacket) Feed(AnalysisOptions options)
    {
        var pipeline = new HandshakePipeline(options);
        var reported = new List<HandshakeReport>();
        pipeline.HandshakeReported += reported.Add;
        var reader = CaptureFileReader.Open(CaptureFile);
        reader.Read(pipeline);
        return (pipeline, reported, reader.LastTimestampNanos!.Value);
    }

    private static HandshakeReport Offline(string? keys)
    {
        var report = CaptureAnalyzer.AnalyzeFile(CaptureFile, Options(keys is null ? null : KeyLogDecryptors.Load(keys)));
        Assert.HasCount(1, report.Handshakes);
        return report.Handshakes[0];
    }

    private static void AssertSameAs(HandshakeReport expected, HandshakeReport actual)
    {
        Assert.AreEqual(expected.Outcome, actual.Outcome);
        CollectionAssert.AreEqual(expected.Causes.Select(c => c.Code).ToList(), actual.Causes.Select(c => c.Code).ToList());
        CollectionAssert.AreEqual(expected.ServerCertificates.Select(c => c.Sha256).ToList(), actual.ServerCertificates.Select(c => c.Sha256).ToList());
    }

    private static void RequireCapture()
    {
        if (!File.Exists(CaptureFile) || !File.Exists(ServerKeys) || !File.Exists(OtherKeys))
        {
            Assert.Inconclusive("skipped: captures/tls13/openssl is missing (tools/make-captures makes it)");
        }
    }

    [TestMethod]
    public void KeyLogLinesWrittenAfterTheConnectionEndedStillDecryptItsChain()
    {
        RequireCapture();
        var keys = Path.Combine(NewDirectory(), "server.keys");
        File.WriteAllText(keys, "");
        var follower = new FollowingKeyLog([keys]);
        var (pipeline, reported, last) = Feed(Options(follower));

        pipeline.AdvanceClock(last + 2 * Second); // past the flow layer's grace period: the connection has ended
        Assert.IsEmpty(reported, "the connection waits for its secrets");
        Assert.AreEqual(1, pipeline.SecretsWaits.Waiting);

        Write(keys, ServerLines); // the server's lines arrive
        pipeline.AdvanceClock(last + 2 * Second + Second / 10);
        Assert.HasCount(1, reported);
        var expected = Offline(ServerKeys);
        Assert.IsNotEmpty(expected.ServerCertificates, "analyze decrypts the chain with the finished key log");
        AssertSameAs(expected, reported[0]);
        Assert.AreEqual((1L, 1L, 0L, 0, 0L), pipeline.SecretsWaits);
    }

    [TestMethod]
    public void WithoutSecretsTheConnectionIsJudgedWhenTheWaitPassesOnTheCaptureClock()
    {
        RequireCapture();
        var keys = Path.Combine(NewDirectory(), "server.keys");
        File.WriteAllText(keys, "");
        var (pipeline, reported, last) = Feed(Options(new FollowingKeyLog([keys])));

        var ended = last + 2 * Second;
        pipeline.AdvanceClock(ended);
        pipeline.AdvanceClock(ended + SecretsWaitLimits.Default.Wait.Ticks * 100 - Second / 10);
        Assert.IsEmpty(reported, "still within the wait");
        pipeline.AdvanceClock(ended + SecretsWaitLimits.Default.Wait.Ticks * 100);
        Assert.HasCount(1, reported);
        AssertSameAs(Offline(null), reported[0]);
        Assert.IsEmpty(reported[0].ServerCertificates);
        StringAssert.Contains(reported[0].KeyLog, "within 5 s after it ended");
        Assert.AreEqual((1L, 0L, 1L, 0, 0L), pipeline.SecretsWaits);
    }

    [TestMethod]
    public void KeyLogLinesWrittenBeforeTheCaptureSawTheConnectionNeedNoWait()
    {
        RequireCapture();
        var keys = Path.Combine(NewDirectory(), "server.keys");
        File.Copy(ServerKeys, keys);
        var (pipeline, reported, last) = Feed(Options(new FollowingKeyLog([keys])));
        pipeline.AdvanceClock(last + 2 * Second);
        Assert.HasCount(1, reported);
        AssertSameAs(Offline(ServerKeys), reported[0]);
        Assert.AreEqual(0L, pipeline.SecretsWaits.Held);
    }

    [TestMethod]
    public void TheEndOfTheCaptureJudgesWhatStillWaitsAfterOneLastRead()
    {
        RequireCapture();
        var keys = Path.Combine(NewDirectory(), "server.keys");
        File.WriteAllText(keys, "");
        var (pipeline, reported, last) = Feed(Options(new FollowingKeyLog([keys])));
        pipeline.AdvanceClock(last + 2 * Second);
        Write(keys, ServerLines);
        pipeline.Finish(); // within the retry interval of the last read, still read once more
        Assert.HasCount(1, reported);
        AssertSameAs(Offline(ServerKeys), reported[0]);
    }

    [TestMethod]
    public void AConnectionBeyondTheByteBoundIsJudgedWhenItEnds()
    {
        RequireCapture();
        var keys = Path.Combine(NewDirectory(), "server.keys");
        File.WriteAllText(keys, "");
        var limits = SecretsWaitLimits.Default with { MaxBytesPerConnection = 1024 };
        var (pipeline, reported, last) = Feed(Options(new FollowingKeyLog([keys]), limits));
        pipeline.AdvanceClock(last + 2 * Second);
        Assert.HasCount(1, reported, "not recorded, so not held");
        Assert.IsEmpty(reported[0].ServerCertificates);
        Assert.AreEqual(1L, pipeline.SecretsWaits.NotRecorded);
        Assert.AreEqual(0L, pipeline.SecretsWaits.Held);
    }

    [TestMethod]
    public void TheBudgetOverAllConnectionsBoundsTheRecording()
    {
        RequireCapture();
        var keys = Path.Combine(NewDirectory(), "server.keys");
        File.WriteAllText(keys, "");
        var limits = SecretsWaitLimits.Default with { MaxBytesInAll = 2048 };
        var (pipeline, reported, last) = Feed(Options(new FollowingKeyLog([keys]), limits));
        pipeline.AdvanceClock(last + 2 * Second);
        Assert.HasCount(1, reported);
        Assert.AreEqual(1L, pipeline.SecretsWaits.NotRecorded);
    }

    [TestMethod]
    public void ALogRotatedByRenameAndCreateIsReadFromTheStartOfTheNewFile()
    {
        RequireCapture();
        var dir = NewDirectory();
        var keys = Path.Combine(dir, "server.keys");
        File.Copy(OtherKeys, keys); // another connection's lines, longer than what comes next would need to be
        var follower = new FollowingKeyLog([keys]);
        var (pipeline, reported, last) = Feed(Options(follower));
        pipeline.AdvanceClock(last + 2 * Second);
        Assert.IsEmpty(reported);

        File.Move(keys, keys + ".1");
        Write(keys, ServerLines); // logrotate's create; the writer reopened its log
        pipeline.AdvanceClock(last + 2 * Second + Second / 10);
        Assert.HasCount(1, reported);
        AssertSameAs(Offline(ServerKeys), reported[0]);
        Assert.AreEqual(1, follower.Rotations);
    }

    [TestMethod]
    public void LinesAppendedToTheRenamedFileAreStillRead()
    {
        RequireCapture();
        var dir = NewDirectory();
        var keys = Path.Combine(dir, "server.keys");
        File.Copy(OtherKeys, keys);
        var follower = new FollowingKeyLog([keys]);
        var (pipeline, reported, last) = Feed(Options(follower));
        pipeline.AdvanceClock(last + 2 * Second);

        File.Move(keys, keys + ".1");
        Write(keys, "");
        pipeline.AdvanceClock(last + 2 * Second + Second / 10); // the rotation is seen, nothing to read yet
        Assert.IsEmpty(reported);
        Write(keys + ".1", ServerLines, append: true); // a writer that keeps its file open
        pipeline.AdvanceClock(last + 2 * Second + 2 * Second / 10);
        Assert.HasCount(1, reported);
        AssertSameAs(Offline(ServerKeys), reported[0]);
    }

    [TestMethod]
    public void ALogTruncatedInPlaceAndRewrittenLongerIsReadFromItsStart()
    {
        RequireCapture();
        var keys = Path.Combine(NewDirectory(), "server.keys");
        var other = File.ReadAllText(OtherKeys);
        File.WriteAllText(keys, other[..(other.IndexOf('\n', StringComparison.Ordinal) + 1)]); // one line
        var follower = new FollowingKeyLog([keys]);
        var (pipeline, reported, last) = Feed(Options(follower));
        pipeline.AdvanceClock(last + 2 * Second);

        // copytruncate, then the writer appends more than was there: only the first bytes tell it is a new file.
        Write(keys, ServerLines.Replace("# SSL/TLS secrets log file, generated by OpenSSL\n", "", StringComparison.Ordinal));
        pipeline.AdvanceClock(last + 2 * Second + Second / 10);
        Assert.HasCount(1, reported);
        AssertSameAs(Offline(ServerKeys), reported[0]);
        Assert.AreEqual(1, follower.Rotations);
    }

    [TestMethod]
    public void TheFollowerForgetsTheOldestConnectionsBeyondItsTable()
    {
        var keys = Path.Combine(NewDirectory(), "many.keys");
        using (var w = new StreamWriter(keys))
        {
            for (var i = 0; i < 110; i++)
            {
                w.Write("SERVER_HANDSHAKE_TRAFFIC_SECRET ");
                w.Write(i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture));
                w.Write(' ');
                w.WriteLine(new string('a', 64));
            }
        }
        var follower = new FollowingKeyLog([keys], maxConnectionsKept: 100);
        Assert.AreEqual(100, follower.Count);
        Assert.AreEqual(10L, follower.Forgotten);
        Assert.IsNull(follower.Secrets(Convert.FromHexString(0.ToString("x64", System.Globalization.CultureInfo.InvariantCulture))), "the oldest is forgotten");
        Assert.IsNotNull(follower.Secrets(Convert.FromHexString(109.ToString("x64", System.Globalization.CultureInfo.InvariantCulture))));
    }
}
