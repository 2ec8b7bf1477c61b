using System.Text.Json;
using PcapTls.Reporting.Wording;
using PcapTls.Support;
using PcapTls.Support.Apigee;
using PcapTls.Support.Correlation;
using PcapTls.Support.Logs;
using PcapTls.Support.MessageProcessor;

namespace PcapTls.Reporting.Support;

/// <summary>The JSON report's <c>support</c> object (names documented in the README).</summary>
internal static class SupportJsonSection
{
    public static void Write(Utf8JsonWriter w, SupportCase support)
    {
        w.WriteStartObject("support");
        if (support.MessageProcessor is { } mp)
        {
            WriteMessageProcessor(w, mp);
        }
        if (support.Router is { } router)
        {
            WriteRouter(w, router);
        }
        if (support.Listing is { } listing)
        {
            WriteListing(w, listing, support.ListingComparisons);
        }
        w.WriteEndObject();
    }

    private static void WriteFiles(Utf8JsonWriter w, IReadOnlyList<LogReadSummary> files, string expected)
    {
        w.WriteStartArray("files");
        foreach (var f in files)
        {
            w.WriteStartObject();
            w.WriteString("file", f.File);
            w.WriteBoolean("compressed", f.Compressed);
            w.WriteNumber("bytes", f.Bytes);
            w.WriteNumber("lines", f.Lines);
            w.WriteStartArray("anomalies");
            foreach (var a in f.Anomalies)
            {
                w.WriteStartObject();
                w.WriteNumber("line", a.Line);
                w.WriteString("kind", a.Kind.AnomalyCode());
                w.WriteNumber("value", a.Value);
                w.WriteString("detail", SupportWording.Anomaly(a, expected));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("anomaliesNotListed", f.AnomaliesNotListed);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteRouter(Utf8JsonWriter w, RouterLogCorrelation router)
    {
        w.WriteStartObject("routerLog");
        WriteFiles(w, router.Logs.Files, SupportWording.RouterExpected);
        w.WriteNumber("eventsNotKept", router.Logs.EventsNotKept);
        w.WriteStartArray("requests");
        foreach (var j in router.Requests)
        {
            var r = j.Request;
            w.WriteStartObject();
            w.WriteString("file", r.At.File);
            w.WriteNumber("line", r.At.Line);
            JsonReportRenderer.WriteTime(w, "time", r.Time);
            JsonReportRenderer.WriteNullable(w, "client", r.Client);
            JsonReportRenderer.WriteNullable(w, "router", r.Router);
            JsonReportRenderer.WriteNullable(w, "messageProcessor", r.MessageProcessor);
            w.WriteNumber("status", r.Status);
            if (r.UpstreamStatus is { } up)
            {
                w.WriteNumber("upstreamStatus", up);
            }
            else
            {
                w.WriteNull("upstreamStatus");
            }
            JsonReportRenderer.WriteNullable(w, "request", r.Request);
            JsonReportRenderer.WriteNullable(w, "messageId", r.MessageId);
            JsonReportRenderer.WriteNullable(w, "faultSource", r.FaultSource);
            JsonReportRenderer.WriteNullable(w, "faultCode", r.FaultCode);
            JsonReportRenderer.WriteNullable(w, "proxy", r.Proxy);
            if (j.Event is { } e)
            {
                w.WriteNumber("mpLine", e.At.Line);
                w.WriteString("mpFile", e.At.File);
            }
            if (j.Handshake is { } n)
            {
                w.WriteNumber("handshake", n);
            }
            else
            {
                w.WriteNull("handshake");
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteListing(Utf8JsonWriter w, TruststoreListing listing, IReadOnlyList<ListingComparison> comparisons)
    {
        w.WriteStartObject("truststoreApi");
        w.WriteString("directory", listing.Directory);
        w.WriteString("truststore", listing.Name);
        w.WriteStartArray("listed");
        foreach (var n in listing.Listed)
        {
            w.WriteStringValue(n);
        }
        w.WriteEndArray();
        w.WriteStartArray("entries");
        foreach (var e in listing.Entries)
        {
            w.WriteStartObject();
            w.WriteString("name", e.Name);
            JsonReportRenderer.WriteNullable(w, "jsonFile", e.JsonFile);
            JsonReportRenderer.WriteNullable(w, "pemFile", e.PemFile);
            JsonReportRenderer.WriteNullable(w, "sha256", e.Exported?.Sha256Hex);
            w.WriteStartArray("certInfo");
            foreach (var i in e.Infos)
            {
                w.WriteStartObject();
                JsonReportRenderer.WriteNullable(w, "subject", i.Subject);
                JsonReportRenderer.WriteNullable(w, "issuer", i.Issuer);
                JsonReportRenderer.WriteNullable(w, "serialNumber", i.Serial);
                JsonReportRenderer.WriteTime(w, "validFrom", i.ValidFrom);
                JsonReportRenderer.WriteTime(w, "expiryDate", i.Expiry);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("problems");
        foreach (var p in listing.Problems)
        {
            w.WriteStartObject();
            w.WriteString("file", p.File);
            w.WriteString("problem", p.Problem);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("handshakes");
        foreach (var c in comparisons)
        {
            w.WriteStartObject();
            w.WriteNumber("handshake", c.Handshake);
            w.WriteStartArray("matches");
            foreach (var m in c.Matches)
            {
                w.WriteStartObject();
                w.WriteString("entry", m.Entry.Name);
                w.WriteString("match", m.Match.ListingMatchCode());
                w.WriteBoolean("provenByKey", m.IsProven);
                w.WriteNumber("chainIndex", m.ChainIndex);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (c.ExportedVerdict is { } v)
            {
                w.WriteStartObject("exportedVerdict");
                w.WriteBoolean("trusted", v.Trusted);
                JsonReportRenderer.WriteNullable(w, "clientMessage", v.ClientMessage);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("exportedVerdict");
            }
            w.WriteBoolean("provenByKey", c.ProvenByKey);
            w.WriteStartArray("jsonOnlyEntries");
            foreach (var e in c.JsonOnlyEntries)
            {
                w.WriteStringValue(e.Name);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteMessageProcessor(Utf8JsonWriter w, MpLogCorrelation mp)
    {
        w.WriteStartObject("messageProcessorLog");
        w.WriteString("utcOffset", SupportWording.UtcOffset(mp.Logs.UtcOffset));
        w.WriteNumber("skewSeconds", mp.Skew.TotalSeconds);
        WriteFiles(w, mp.Logs.Files, SupportWording.MpExpected);
        w.WriteNumber("eventsNotKept", mp.Logs.EventsNotKept);
        w.WriteStartArray("joined");
        foreach (var j in mp.Joined)
        {
            w.WriteStartObject();
            w.WriteNumber("handshake", j.Handshake);
            w.WriteString("client", j.Report.Client);
            w.WriteString("server", j.Report.Server);
            WriteEvent(w, j.Event);
            if (j.Offset is { } off)
            {
                w.WriteNumber("offsetSeconds", off.TotalSeconds);
            }
            else
            {
                w.WriteNull("offsetSeconds");
            }
            w.WriteString("agreement", j.Agreement.AgreementCode());
            JsonReportRenderer.WriteNullable(w, "predicted", j.Predicted);
            JsonReportRenderer.WriteNullable(w, "logged", j.Logged);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("unmatched");
        foreach (var u in mp.Unmatched)
        {
            w.WriteStartObject();
            w.WriteString("reason", u.Reason.MissCode());
            WriteEvent(w, u.Event);
            if (u.NearestHandshake is { } n)
            {
                w.WriteNumber("nearestHandshake", n);
                w.WriteNumber("distanceSeconds", u.Distance!.Value.TotalSeconds);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("unclaimedExceptions");
        foreach (var x in mp.Logs.UnclaimedExceptions)
        {
            w.WriteStartObject();
            w.WriteString("file", x.At.File);
            w.WriteNumber("line", x.At.Line);
            JsonReportRenderer.WriteTime(w, "time", x.Time);
            WriteContext(w, x.Context);
            WriteChain(w, x.Exceptions);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("failedWithoutEvent");
        foreach (var n in mp.FailedWithoutEvent)
        {
            w.WriteNumberValue(n);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteEvent(Utf8JsonWriter w, MpHandshakeFailure e)
    {
        w.WriteString("file", e.At.File);
        w.WriteNumber("line", e.At.Line);
        JsonReportRenderer.WriteTime(w, "time", e.Time);
        WriteContext(w, e.Context);
        JsonReportRenderer.WriteNullable(w, "thread", e.Thread);
        JsonReportRenderer.WriteNullable(w, "local", e.Local?.ToString());
        JsonReportRenderer.WriteNullable(w, "remote", e.Remote?.ToString());
        JsonReportRenderer.WriteNullable(w, "channel", e.ChannelId);
        JsonReportRenderer.WriteNullable(w, "handshakeMessage", e.HandshakeMessage);
        WriteChain(w, e.Exceptions);
        if (e.ExceptionAt is { } at)
        {
            w.WriteNumber("exceptionLine", at.Line);
        }
    }

    private static void WriteContext(Utf8JsonWriter w, MpContext c)
    {
        JsonReportRenderer.WriteNullable(w, "org", c.Org);
        JsonReportRenderer.WriteNullable(w, "env", c.Env);
        JsonReportRenderer.WriteNullable(w, "api", c.Api);
        JsonReportRenderer.WriteNullable(w, "revision", c.Revision);
        JsonReportRenderer.WriteNullable(w, "messageId", c.MessageId);
    }

    private static void WriteChain(Utf8JsonWriter w, IReadOnlyList<JavaException> chain)
    {
        w.WriteStartArray("exceptions");
        foreach (var x in chain)
        {
            w.WriteStartObject();
            w.WriteString("class", x.Class);
            w.WriteString("message", x.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
