using System.Globalization;
using PcapTls.Analysis;
using PcapTls.Support;
using PcapTls.Support.Apigee;
using PcapTls.Support.Correlation;
using PcapTls.Support.MessageProcessor;
using PcapTls.Validation;
using static PcapTls.Reporting.Wording.SupportWording;

namespace PcapTls.Reporting.Support;

/// <summary>The console report's support-case section: per handshake the API proxy, revision, message ID, the logged exception and whether it is the predicted one.</summary>
internal static class SupportConsoleSection
{
    public static void Write(SupportCase support, AnalysisReport report, TextWriter o, Func<string, string> bold)
    {
        if (support.MessageProcessor is { } mp)
        {
            o.WriteLine();
            WriteMessageProcessor(mp, support.Router, o, bold);
        }
        if (support.Router is { } router)
        {
            o.WriteLine();
            WriteRouter(router, o, bold);
        }
        if (support.Listing is { } listing)
        {
            o.WriteLine();
            WriteListing(listing, support, report, o, bold);
        }
    }

    private static void WriteFiles(IReadOnlyList<PcapTls.Support.Logs.LogReadSummary> files, Func<PcapTls.Support.Logs.LogReadSummary, string> line, string expected, TextWriter o)
    {
        foreach (var f in files)
        {
            o.WriteLine($"  {line(f)}");
            foreach (var a in f.Anomalies)
            {
                o.WriteLine($"    anomaly {a.Kind.AnomalyCode()}: {Anomaly(a, expected)}");
            }
            if (f.AnomaliesNotListed > 0)
            {
                o.WriteLine($"    ... and {f.AnomaliesNotListed} more anomalies");
            }
        }
    }

    private static void WriteRouter(RouterLogCorrelation router, TextWriter o, Func<string, string> bold)
    {
        o.WriteLine(bold(RouterHeading(router.Logs.Files.Count)));
        WriteFiles(router.Logs.Files, f => RouterFileLine(f, router.Logs.Requests.Count(r => r.At.File == f.File)), RouterExpected, o);
        if (router.Logs.EventsNotKept > 0)
        {
            o.WriteLine($"  {NotKept(router.Logs.EventsNotKept)}");
        }
        foreach (var j in router.Requests.Where(r => r.Event is not null))
        {
            o.WriteLine($"  {RouterRequestLine(j.Request)}: MP event {Where(j.Event!.At)}{(j.Handshake is { } n ? $", handshake {n}" : ", no handshake in the capture")}");
        }
        var unjoined = router.Requests.Where(r => r.Event is null).ToList();
        if (unjoined.Count > 0)
        {
            o.WriteLine($"  {RouterUnjoinedHeading} ({unjoined.Count})");
            foreach (var j in unjoined.Take(20))
            {
                o.WriteLine($"    {RouterRequestLine(j.Request)}");
            }
        }
    }

    private static void WriteListing(TruststoreListing listing, SupportCase support, AnalysisReport report, TextWriter o, Func<string, string> bold)
    {
        o.WriteLine(bold(ListingHeading(listing)));
        foreach (var p in listing.Problems)
        {
            o.WriteLine($"  problem: {p.File}: {p.Problem}");
        }
        var context = support.MessageProcessor?.Joined.Select(j => j.Event.Context).FirstOrDefault();
        foreach (var c in support.ListingComparisons)
        {
            var h = report.Handshakes[c.Handshake - 1];
            o.WriteLine($"  Handshake {c.Handshake}  {h.Client} -> {h.Server}");
            foreach (var m in c.Matches)
            {
                var cert = m.ChainIndex < h.ServerCertificates.Count ? h.ServerCertificates[m.ChainIndex] : null;
                o.WriteLine($"    {(m.IsProven ? "" : "! ")}{ListingMatchText(m, cert?.Subject ?? "?", cert?.Issuer ?? "?")}");
            }
            o.WriteLine($"    {ListingVerdict(c)}");
            if (c.JsonOnlyEntries.Count > 0 && !c.ProvenByKey)
            {
                o.WriteLine($"    {ExportHint}");
                foreach (var e in c.JsonOnlyEntries)
                {
                    o.WriteLine($"      {ExportCall(listing.Name, e.Name, context?.Org, context?.Env)}");
                }
            }
        }
    }

    private static void WriteMessageProcessor(MpLogCorrelation mp, RouterLogCorrelation? router, TextWriter o, Func<string, string> bold)
    {
        o.WriteLine(bold(MpHeading(mp.Logs.Files.Count, mp.Logs.UtcOffset, mp.Skew)));
        WriteFiles(mp.Logs.Files, f => FileLine(f, mp.Logs.Failures.Count(e => e.At.File == f.File)), MpExpected, o);
        if (mp.Logs.EventsNotKept > 0)
        {
            o.WriteLine($"  {NotKept(mp.Logs.EventsNotKept)}");
        }
        foreach (var j in mp.Joined)
        {
            var e = j.Event;
            o.WriteLine($"  Handshake {j.Handshake}  {j.Report.Client} -> {j.Report.Server}  {Proxy(e.Context)}");
            if (router?.ForHandshake(j.Handshake) is { } request)
            {
                o.WriteLine($"    case: {CaseRow(request, j.Handshake, j.Report.Server, j.Report.Causes.Count > 0 ? j.Report.Causes[0].Code.ToCode() : null)}");
            }
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
