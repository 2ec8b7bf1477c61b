using System.Text.Json;
using PcapTls.Reporting.Wording;
using PcapTls.Support;
using PcapTls.Support.Correlation;
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
        w.WriteEndObject();
    }

    private static void WriteMessageProcessor(Utf8JsonWriter w, MpLogCorrelation mp)
    {
        w.WriteStartObject("messageProcessorLog");
        w.WriteString("utcOffset", SupportWording.UtcOffset(mp.Logs.UtcOffset));
        w.WriteNumber("skewSeconds", mp.Skew.TotalSeconds);
        w.WriteStartArray("files");
        foreach (var f in mp.Logs.Files)
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
                w.WriteString("detail", SupportWording.Anomaly(a, SupportWording.MpExpected));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("anomaliesNotListed", f.AnomaliesNotListed);
            w.WriteEndObject();
        }
        w.WriteEndArray();
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
