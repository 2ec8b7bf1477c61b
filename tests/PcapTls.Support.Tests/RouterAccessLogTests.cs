using System.Text;
using PcapTls.Support.Logs;
using PcapTls.Support.Router;

namespace PcapTls.Support.Tests;

[TestClass]
public sealed class RouterAccessLogTests
{
    // Private Cloud 4.18.05's field order, '|'-separated: time, client, router, MP, request time, -, -, status,
    // upstream status, request length, body bytes, request, message ID, user agent, connection, XFF, fault flag,
    // fault source, fault code, fault policy, fault flow, fault revision, dp colour, target latency, proxy, basepath.
    internal const string Failed503 = "2026-11-27T00:29:53+00:00|203.0.113.7:50418|router01|10.10.1.21:8998|0.941|-|-|503|503|312|0|GET /backend/orders/42 HTTP/1.1|myorg-28247-3541813-1|curl/7.88.1|router01-1871-40222-1|-|1|target|messaging.adaptors.http.flow.SslHandshakeFailed|-|-|3|-|-|backend-proxy|/backend";
    private const string Ok200 = "2026-11-27T00:29:51+00:00|203.0.113.7:50412|router01|10.10.1.21:8998|0.012|-|-|200|200|290|0|GET /backend/health HTTP/1.1|myorg-9-9-9|curl/7.88.1|router01-1871-40221-1|-|-|-|-|-|-|-|-|-|other-proxy|/backend";

    private static RouterLogResult Parse(string text)
    {
        var p = new RouterAccessLogParser();
        p.Read("access_log", new MemoryStream(Encoding.UTF8.GetBytes(text)));
        return p.Result();
    }

    [TestMethod]
    public void TheFailedRequestIsKeptWithItsFaultAndMessageId()
    {
        var r = Parse(Ok200 + "\n" + Failed503 + "\n");
        var q = r.Requests.Single();
        Assert.AreEqual(503, q.Status);
        Assert.AreEqual(503, q.UpstreamStatus);
        Assert.AreEqual("myorg-28247-3541813-1", q.MessageId);
        Assert.AreEqual(RouterRequest.SslHandshakeFailed, q.FaultCode);
        Assert.AreEqual("target", q.FaultSource);
        Assert.AreEqual("203.0.113.7:50418", q.Client);
        Assert.AreEqual("10.10.1.21:8998", q.MessageProcessor);
        Assert.AreEqual("GET /backend/orders/42 HTTP/1.1", q.Request);
        Assert.AreEqual("backend-proxy", q.Proxy);
        Assert.AreEqual(new DateTimeOffset(2026, 11, 27, 0, 29, 53, TimeSpan.Zero), q.Time);
        Assert.AreEqual(2, q.At.Line);
        Assert.AreEqual(0, r.Files[0].Anomalies.Count);
    }

    [TestMethod]
    public void UnknownLinesAreCountedNotFatal()
    {
        var r = Parse("not a router line\n" + Failed503 + "\n127.0.0.1 - - [27/Nov/2026:00:29:53 +0000] \"GET / HTTP/1.1\" 200 12\n");
        Assert.AreEqual(1, r.Requests.Count);
        var a = r.Files[0].Anomalies.Single();
        Assert.AreEqual(LogAnomalyKind.UnknownLines, a.Kind);
        Assert.AreEqual(2, a.Value);
        Assert.AreEqual(1, a.Line);
    }

    [TestMethod]
    public void ACombinedFormatLogIsWrongFormat()
    {
        var r = Parse("127.0.0.1 - - [27/Nov/2026:00:29:53 +0000] \"GET / HTTP/1.1\" 200 12\n");
        Assert.AreEqual(LogAnomalyKind.WrongFormat, r.Files[0].Anomalies.Single().Kind);
    }

    [TestMethod]
    public void EveryTruncatedPrefixOfALineIsUnknownOrTheWholeRequest()
    {
        var bytes = Encoding.UTF8.GetBytes(Failed503 + "\n");
        for (var n = 0; n < bytes.Length; n++)
        {
            var p = new RouterAccessLogParser();
            p.Read("cut", new MemoryStream(bytes, 0, n));
            var r = p.Result();
            Assert.IsTrue(r.Requests.Count <= 1, $"prefix {n}");
        }
    }
}
