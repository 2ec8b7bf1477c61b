using System.Globalization;
using PcapTls.Support;
using PcapTls.Support.Correlation;
using PcapTls.Support.MessageProcessor;
using static PcapTls.Reporting.Wording.SupportWording;

namespace PcapTls.Reporting.Support;

/// <summary>The console report's support-case section: per handshake the API proxy, revision, message ID, the logged exception and whether it is the predicted one.</summary>
internal static class SupportConsoleSection
{
    public static void Write(SupportCase support, TextWriter o, Func<string, string> bold)
    {
        if (support.MessageProcessor is { } mp)
        {
            o.WriteLine();
            WriteMessageProcessor(mp, o, bold);
        }
    }

    private static void WriteMessageProcessor(MpLogCorrelation mp, TextWriter o, Func<string, string> bold)
    {
        o.WriteLine(bold(MpHeading(mp.Logs.Files.Count, mp.Logs.UtcOffset, mp.Skew)));
        foreach (var f in mp.Logs.Files)
        {
            o.WriteLine($"  {FileLine(f, mp.Logs.Failures.Count(e => e.At.File == f.File))}");
            foreach (var a in f.Anomalies)
            {
                o.WriteLine($"    anomaly {a.Kind.AnomalyCode()}: {Anomaly(a, MpExpected)}");
            }
            if (f.AnomaliesNotListed > 0)
            {
                o.WriteLine($"    ... and {f.AnomaliesNotListed} more anomalies");
            }
        }
        if (mp.Logs.EventsNotKept > 0)
        {
            o.WriteLine($"  {NotKept(mp.Logs.EventsNotKept)}");
        }
        foreach (var j in mp.Joined)
        {
            var e = j.Event;
            o.WriteLine($"  Handshake {j.Handshake}  {j.Report.Client} -> {j.Report.Server}  {Proxy(e.Context)}");
            o.WriteLine($"    logged at {Where(e.At)} ({Time(e.Time)}, {Offset(j.Offset, mp.Skew)}){(e.HandshakeMessage is { } hm ? ": handshake failed, message: " + hm : "")}");
            WriteChain(e.Exceptions, e.ExceptionAt, o);
            o.WriteLine($"    {Agreement(j.Agreement, j.Predicted)}");
            if (j.Agreement == MessageAgreement.Differs && j.Logged is { } logged)
            {
                o.WriteLine($"    logged (innermost): {logged}");
            }
        }
        if (mp.Unmatched.Count > 0)
        {
            o.WriteLine($"  {UnmatchedHeading} ({mp.Unmatched.Count})");
            foreach (var u in mp.Unmatched)
            {
                var e = u.Event;
                o.WriteLine($"    {Where(e.At)} Local {e.Local?.ToString() ?? "?"} Remote {e.Remote?.ToString() ?? "?"} ({Time(e.Time)}) {Proxy(e.Context)}: {Miss(u.Reason, u.NearestHandshake, u.Distance, mp.Skew)}");
                if (e.Exceptions.Count > 0)
                {
                    o.WriteLine($"      {e.Exceptions[^1]}");
                }
            }
        }
        if (mp.Logs.UnclaimedExceptions.Count > 0)
        {
            o.WriteLine($"  {UnclaimedHeading} ({mp.Logs.UnclaimedExceptions.Count})");
            foreach (var x in mp.Logs.UnclaimedExceptions.Take(20))
            {
                o.WriteLine($"    {Where(x.At)} ({Time(x.Time)}) {Proxy(x.Context)}: {x.Exceptions[^1]}");
            }
        }
        if (mp.FailedWithoutEvent.Count > 0)
        {
            o.WriteLine($"  {FailedWithoutEventHeading}: {string.Join(", ", mp.FailedWithoutEvent)}");
        }
    }

    private static void WriteChain(IReadOnlyList<JavaException> chain, LogLocation? at, TextWriter o)
    {
        for (var i = 0; i < chain.Count; i++)
        {
            o.WriteLine(i == 0 ? $"    exception{(at is null ? "" : " (" + Where(at) + ")")}: {chain[i]}" : $"      caused by {chain[i]}");
        }
    }

    internal static string Proxy(MpContext c) => c.IsEmpty ? "(no org/env/api context on the line)"
        : $"api {c.Api ?? "?"} rev {c.Revision ?? "?"} (org {c.Org ?? "?"}, env {c.Env ?? "?"}), message ID {c.MessageId ?? "?"}";

    internal static string Where(LogLocation at) => $"{at.File}:{at.Line}";

    private static string Time(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) + " UTC" : "no time";
}
