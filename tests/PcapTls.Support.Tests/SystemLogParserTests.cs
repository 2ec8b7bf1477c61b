using System.IO.Compression;
using System.Net;
using System.Text;
using PcapTls.Support.Logs;
using PcapTls.Support.MessageProcessor;

namespace PcapTls.Support.Tests;

[TestClass]
public sealed class SystemLogParserTests
{
    // One record per line, as system.log holds them: timestamp, context, thread, level, logger, " - ", message.
    internal const string HandshakeFailedLine =
        "2026-11-27 00:29:53,120 org:myorg env:test api:MyProxy rev:1 messageid:myorg-28247-3541813-1 NIOThread@1 ERROR HTTP.CLIENT - HTTPClient$Context.handshakeFailed() : SSLClientChannel[Connected: Remote:127.0.0.1:20004 Local:127.0.0.1:21004]@64596 useCount=1 bytesRead=0 bytesWritten=0 age=233ms lastIO=233ms isOpen=true handshake failed, message: General SSLEngine problem";

    // The exception of the same message, logged by the flow's listener with its Caused by: chain and stack frames.
    internal const string ExceptionRecord = """
        2026-11-27 00:29:53,121 org:myorg env:test api:MyProxy rev:1 messageid:myorg-28247-3541813-1 NIOThread@1 ERROR ADAPTORS.HTTP.FLOW - RequestWriteListener.onException() : RequestWriteListener.onException(HTTPRequest@1522922c)
        javax.net.ssl.SSLHandshakeException: General SSLEngine problem
        	at sun.security.ssl.Handshaker.checkThrown(Handshaker.java:1478)
        	at sun.security.ssl.SSLEngineImpl.checkTaskThrown(SSLEngineImpl.java:535)
        Caused by: javax.net.ssl.SSLHandshakeException: General SSLEngine problem
        	at sun.security.ssl.Alerts.getSSLException(Alerts.java:203)
        	... 12 more
        Caused by: sun.security.validator.ValidatorException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target
        	at sun.security.validator.PKIXValidator.doBuild(PKIXValidator.java:397)
        Caused by: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target
        	at sun.security.provider.certpath.SunCertPathBuilder.build(SunCertPathBuilder.java:141)
        	... 20 more
        """;

    private const string Pkix = "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target";

    internal static MpLogResult Parse(string text, TimeSpan? offset = null)
    {
        var parser = new SystemLogParser(offset ?? TimeSpan.Zero);
        parser.Read("system.log", new MemoryStream(Encoding.UTF8.GetBytes(text)));
        return parser.Result();
    }

    [TestMethod]
    public void HandshakeFailedRecordGivesTheChannelContextAndTheJoinedExceptionChain()
    {
        var r = Parse(HandshakeFailedLine + "\n" + ExceptionRecord + "\n");
        Assert.AreEqual(1, r.Failures.Count);
        var f = r.Failures[0];
        Assert.AreEqual(new IPEndPoint(IPAddress.Loopback, 20004), f.Remote);
        Assert.AreEqual(new IPEndPoint(IPAddress.Loopback, 21004), f.Local);
        Assert.AreEqual("64596", f.ChannelId);
        Assert.AreEqual("General SSLEngine problem", f.HandshakeMessage);
        Assert.AreEqual(new MpContext("myorg", "test", "MyProxy", "1", "myorg-28247-3541813-1"), f.Context);
        Assert.AreEqual("NIOThread@1", f.Thread);
        Assert.AreEqual(new DateTimeOffset(2026, 11, 27, 0, 29, 53, 120, TimeSpan.Zero), f.Time);
        Assert.AreEqual(1, f.At.Line);
        Assert.AreEqual(2, f.ExceptionAt!.Line);
        CollectionAssert.AreEqual(
            new[] { "javax.net.ssl.SSLHandshakeException", "javax.net.ssl.SSLHandshakeException", "sun.security.validator.ValidatorException", "sun.security.provider.certpath.SunCertPathBuilderException" },
            f.Exceptions.Select(e => e.Class).ToArray());
        Assert.AreEqual(Pkix, f.Exceptions[2].Message);
        Assert.AreEqual("unable to find valid certification path to requested target", f.Exceptions[3].Message);
        Assert.AreEqual(0, r.UnclaimedExceptions.Count);
        Assert.AreEqual(0, r.Files[0].Anomalies.Count, string.Join("; ", r.Files[0].Anomalies));
    }

    [TestMethod]
    public void TheVendorGuidesLayoutWithContextOnItsOwnLinesAndAFlattenedTraceReadsTheSame()
    {
        // As the vendor's guide prints it: context lines before each record, no timestamp, the trace on one line.
        const string text = """
            org:myorg env:test api:MyProxy rev:1
            messageid:myorg-28247-3541813-1
            NIOThread@1 ERROR HTTP.CLIENT - HTTPClient$Context.handshakeFailed() : SSLClientChannel[Connected: Remote:10.1.2.3:443 Local:192.168.194.140:55102]@64596 useCount=1 bytesRead=0 bytesWritten=0 age=233ms lastIO=233ms isOpen=true handshake failed, message: General SSLEngine problem
            org:myorg env:test api:MyProxy rev:1
            messageid:myorg-28247-3541813-1
            NIOThread@1 ERROR ADAPTORS.HTTP.FLOW - RequestWriteListener.onException() : RequestWriteListener.onException(HTTPRequest@1522922c) javax.net.ssl.SSLHandshakeException: General SSLEngine problem at sun.security.ssl.Handshaker.checkThrown(Handshaker.java:1478) at sun.security.ssl.SSLEngineImpl.checkTaskThrown(SSLEngineImpl.java:535) ... <snipped> Caused by: javax.net.ssl.SSLHandshakeException: General SSLEngine problem at sun.security.ssl.Alerts.getSSLException(Alerts.java:203) at sun.security.ssl.SSLEngineImpl.fatal(SSLEngineImpl.java:1728) ... <snipped>Caused by: sun.security.validator.ValidatorException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target
            at sun.security.validator.PKIXValidator.doBuild(PKIXValidator.java:397) at sun.security.validator.PKIXValidator.engineValidate(PKIXValidator.java:302) ... <snipped>
            """;
        var r = Parse(text);
        var f = r.Failures.Single();
        Assert.AreEqual(new IPEndPoint(IPAddress.Parse("192.168.194.140"), 55102), f.Local);
        Assert.AreEqual(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 443), f.Remote);
        Assert.AreEqual("MyProxy", f.Context.Api);
        Assert.AreEqual("myorg-28247-3541813-1", f.Context.MessageId);
        Assert.IsNull(f.Time);
        Assert.AreEqual(1, f.At.Line, "the record starts at its first context line");
        Assert.AreEqual(4, f.ExceptionAt!.Line);
        Assert.AreEqual(3, f.Exceptions.Count, string.Join(" | ", f.Exceptions));
        Assert.AreEqual("General SSLEngine problem", f.Exceptions[0].Message);
        Assert.AreEqual("General SSLEngine problem", f.Exceptions[1].Message);
        Assert.AreEqual(Pkix, f.Exceptions[2].Message);
    }

    [TestMethod]
    public void WithoutAMessageIdTheNextRecordOfTheSameThreadIsTheException()
    {
        const string text = """
            2026-11-27 00:29:53,120 NIOThread@7 ERROR HTTP.CLIENT - HTTPClient$Context.handshakeFailed() : SSLClientChannel[Connected: Remote:/[::1]:20004 Local:/0:0:0:0:0:0:0:1:21004]@1 handshake failed, message: No subject alternative DNS name matching backend.pcaptls.test found.
            2026-11-27 00:29:53,121 NIOThread@3 ERROR ADAPTORS.HTTP.FLOW - RequestWriteListener.onException() : javax.net.ssl.SSLHandshakeException: Received fatal alert: handshake_failure
            2026-11-27 00:29:53,122 NIOThread@7 ERROR ADAPTORS.HTTP.FLOW - RequestWriteListener.onException() : javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching backend.pcaptls.test found.
            Caused by: java.security.cert.CertificateException: No subject alternative DNS name matching backend.pcaptls.test found.
            """;
        var r = Parse(text);
        var f = r.Failures.Single();
        Assert.AreEqual(new IPEndPoint(IPAddress.IPv6Loopback, 20004), f.Remote);
        Assert.AreEqual(new IPEndPoint(IPAddress.IPv6Loopback, 21004), f.Local);
        Assert.AreEqual(3, f.ExceptionAt!.Line, "the same thread's record, not the other thread's");
        Assert.AreEqual("java.security.cert.CertificateException", f.Exceptions[^1].Class);
        Assert.AreEqual("Received fatal alert: handshake_failure", r.UnclaimedExceptions.Single().Exceptions[0].Message);
    }

    [TestMethod]
    public void RecordsOfOtherKindsAndNonTlsExceptionsAreNotKept()
    {
        const string text = """
            2026-11-27 00:29:50,001 org:o env:e api:a rev:1 messageid:m1 NIOThread@1 INFO HTTP.CLIENT - HTTPClient$Context.connect() : java.io.IOException: not an error level
            2026-11-27 00:29:50,002 org:o env:e api:a rev:1 messageid:m2 NIOThread@1 ERROR FLOW - Flow.run() : java.util.concurrent.TimeoutException: Read timed out
            """;
        var r = Parse(text + "\n");
        Assert.AreEqual(0, r.Failures.Count);
        Assert.AreEqual(0, r.UnclaimedExceptions.Count);
        Assert.AreEqual(0, r.Files[0].Anomalies.Count);
    }

    [TestMethod]
    public void TheLogsTimeZoneIsAnInput()
    {
        var r = Parse(HandshakeFailedLine + "\n", TimeSpan.FromHours(1));
        Assert.AreEqual(new DateTimeOffset(2026, 11, 26, 23, 29, 53, 120, TimeSpan.Zero), r.Failures[0].Time);
    }

    [TestMethod]
    public void EveryTruncatedPrefixIsReadWithoutExceptionAndNeverInventsAnEvent()
    {
        var whole = Encoding.UTF8.GetBytes(HandshakeFailedLine + "\n" + ExceptionRecord + "\n");
        var full = Parse(Encoding.UTF8.GetString(whole));
        for (var n = 0; n < whole.Length; n++)
        {
            var parser = new SystemLogParser(TimeSpan.Zero);
            parser.Read("cut.log", new MemoryStream(whole, 0, n));
            var r = parser.Result();
            Assert.IsTrue(r.Failures.Count <= 1, $"prefix {n}");
            foreach (var f in r.Failures)
            {
                Assert.IsTrue(f.Exceptions.Count <= full.Failures[0].Exceptions.Count, $"prefix {n}");
                if (f.Local is not null)
                {
                    Assert.AreEqual(full.Failures[0].Local, f.Local, $"prefix {n}");
                }
            }
            if (n > 0 && whole[n - 1] != (byte)'\n')
            {
                Assert.IsTrue(r.Files[0].Anomalies.Any(a => a.Kind == LogAnomalyKind.Truncated), $"prefix {n}: a cut last line is reported");
            }
        }
    }

    [TestMethod]
    public void ABinaryFileIsReportedAndNotReadToTheEnd()
    {
        var bytes = new byte[4 * 1024 * 1024];
        new Random(17).NextBytes(bytes);
        var parser = new SystemLogParser(TimeSpan.Zero);
        parser.Read("core.dump", new MemoryStream(bytes));
        var f = parser.Result().Files.Single();
        var a = f.Anomalies.Single(x => x.Kind == LogAnomalyKind.BinaryData);
        Assert.IsTrue(f.Lines <= LogLimits.MaxBinaryLines, $"{f.Lines} lines read");
        Assert.IsTrue(a.Value >= 0 && a.Value < bytes.Length);
        Assert.IsTrue(f.Bytes < bytes.Length, "stopped before the end");
    }

    [TestMethod]
    public void ATextFileOfAnotherFormatIsWrongFormatAfterTheLimit()
    {
        var text = string.Concat(Enumerable.Range(0, LogLimits.MaxLinesWithoutRecord + 500).Select(i => $"127.0.0.1 - - [27/Nov/2026:00:29:53 +0000] \"GET /{i} HTTP/1.1\" 200 12\n"));
        var r = Parse(text);
        var f = r.Files.Single();
        var a = f.Anomalies.Single(x => x.Kind == LogAnomalyKind.WrongFormat);
        Assert.AreEqual(LogLimits.MaxLinesWithoutRecord, a.Value);
        Assert.AreEqual(LogLimits.MaxLinesWithoutRecord, f.Lines, "stopped at the limit");
    }

    [TestMethod]
    public void AShortFileOfAnotherFormatIsWrongFormatToo()
    {
        var r = Parse("hello\nworld\n");
        Assert.AreEqual(LogAnomalyKind.WrongFormat, r.Files.Single().Anomalies.Single().Kind);
    }

    [TestMethod]
    public void AnOverlongLineIsCutAndReported()
    {
        var text = HandshakeFailedLine + new string('x', LogLimits.MaxLineBytes * 3) + "\n" + HandshakeFailedLine.Replace("21004", "21005", StringComparison.Ordinal) + "\n";
        var r = Parse(text);
        var a = r.Files[0].Anomalies.Single(x => x.Kind == LogAnomalyKind.LineTooLong);
        Assert.AreEqual(1, a.Line);
        Assert.AreEqual(HandshakeFailedLine.Length + (LogLimits.MaxLineBytes * 3), a.Value);
        Assert.AreEqual(2, r.Failures.Count, "the cut line keeps its head; the next line is read normally");
        Assert.AreEqual(21005, r.Failures[1].Local!.Port);
    }

    [TestMethod]
    public void EventsBeyondTheLimitAreCountedNotKept()
    {
        var parser = new SystemLogParser(TimeSpan.Zero);
        parser.Read("many.log", new RepeatingStream(Encoding.UTF8.GetBytes(HandshakeFailedLine + "\n"), LogLimits.MaxKeptEvents + 1234));
        var r = parser.Result();
        Assert.AreEqual(LogLimits.MaxKeptEvents, r.Failures.Count);
        Assert.AreEqual(1234, r.EventsNotKept);
        Assert.AreEqual(1234, r.Files[0].Anomalies.Single(a => a.Kind == LogAnomalyKind.TooManyEvents).Value);
    }

    [TestMethod]
    public void AHugeLogIsStreamedInBoundedMemory()
    {
        // 64 MB of INFO records and stack frames, read as a stream: nothing of it is kept, so the heap stays small.
        var line = Encoding.UTF8.GetBytes("2026-11-27 00:29:50,001 org:o env:e api:a rev:1 messageid:m NIOThread@1 INFO HTTP.CLIENT - HTTPClient$Context.onRead() : read 512 bytes\n\tat com.apigee.x.Y.z(Y.java:1)\n");
        var repeats = 64L * 1024 * 1024 / line.Length;
        var parser = new SystemLogParser(TimeSpan.Zero);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        parser.Read("big.log", new RepeatingStream(line, repeats));
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var r = parser.Result();
        Assert.AreEqual(repeats * 2, r.Files[0].Lines);
        Assert.IsTrue(after - before < 16 * 1024 * 1024, $"heap grew by {after - before} bytes");
    }

    [TestMethod]
    public void GzipIsToldByItsMagicAndATruncatedGzipKeepsWhatCameBefore()
    {
        var dir = Directory.CreateTempSubdirectory("pcaptls-mplog-");
        try
        {
            var text = Encoding.UTF8.GetBytes(HandshakeFailedLine + "\n" + ExceptionRecord + "\n" + string.Concat(Enumerable.Repeat("2026-11-27 00:29:54,000 NIOThread@1 INFO X - filler line to make the stream longer than one block\n", 4000)));
            var gz = Path.Combine(dir.FullName, "system.log.1");
            using (var f = File.Create(gz))
            using (var z = new GZipStream(f, CompressionLevel.Optimal))
            {
                z.Write(text);
            }
            var parser = new SystemLogParser(TimeSpan.Zero);
            parser.Read(gz);
            var whole = parser.Result();
            Assert.IsTrue(whole.Files[0].Compressed);
            Assert.AreEqual(4, whole.Failures[0].Exceptions.Count);
            Assert.AreEqual(0, whole.Files[0].Anomalies.Count, string.Join("; ", whole.Files[0].Anomalies));

            var cut = Path.Combine(dir.FullName, "cut.gz");
            var bytes = File.ReadAllBytes(gz);
            File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
            var p2 = new SystemLogParser(TimeSpan.Zero);
            p2.Read(cut);
            var r = p2.Result();
            Assert.AreEqual(1, r.Failures.Count, "the lines before the cut are used");
            Assert.IsTrue(r.Files[0].Anomalies.Any(a => a.Kind is LogAnomalyKind.CorruptCompression or LogAnomalyKind.Truncated), string.Join("; ", r.Files[0].Anomalies));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A read-only stream of one block repeated: lets a test read gigabytes without holding them.</summary>
    internal sealed class RepeatingStream(byte[] block, long repeats) : Stream
    {
        private long _position;
        private readonly long _length = block.Length * repeats;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = 0;
            while (n < count && _position < _length)
            {
                var at = (int)(_position % block.Length);
                var take = (int)Math.Min(Math.Min(block.Length - at, count - n), _length - _position);
                Array.Copy(block, at, buffer, offset + n, take);
                n += take;
                _position += take;
            }
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
