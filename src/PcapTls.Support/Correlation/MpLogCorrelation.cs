using PcapTls.Analysis;
using PcapTls.Support.MessageProcessor;
using PcapTls.Validation;

namespace PcapTls.Support.Correlation;

/// <summary>Why a logged handshake failure was not joined to a handshake of the capture.</summary>
public enum LogEventMiss
{
    /// <summary>No handshake in the capture has the event's local and remote address and port.</summary>
    NoSuchConnection,

    /// <summary>The connection is in the capture, but further in time than the skew allows (clock or time zone?).</summary>
    OutsideSkew,

    /// <summary>The log line names no readable Remote/Local address.</summary>
    NoAddresses,
}

/// <summary>Whether the Java message PcapTls predicts for the handshake is what the Message Processor logged.</summary>
public enum MessageAgreement
{
    /// <summary>One of the logged exceptions carries exactly the predicted message.</summary>
    Equal,

    /// <summary>None does: the MP ran with another truststore or JVM setting than the one given (a finding).</summary>
    Differs,

    /// <summary>Nothing to compare with: no chain was judged (TLS 1.3 without keys, no certificate) or not with Java's rules.</summary>
    NoPrediction,

    /// <summary>The log shows no exception for this handshake.</summary>
    NothingLogged,
}

/// <param name="Handshake">The handshake's 1-based number in the report.</param>
/// <param name="Offset">Log time minus the handshake's span (zero inside it); null when the log line has no time.</param>
/// <param name="Logged">The logged message that equals the prediction, or the innermost logged one when none does.</param>
public sealed record HandshakeLogJoin(
    int Handshake,
    HandshakeReport Report,
    MpHandshakeFailure Event,
    TimeSpan? Offset,
    MessageAgreement Agreement,
    string? Predicted,
    string? Logged);

/// <param name="NearestHandshake">For <see cref="LogEventMiss.OutsideSkew"/>: the handshake of the same connection, and how far.</param>
public sealed record UnmatchedLogEvent(MpHandshakeFailure Event, LogEventMiss Reason, int? NearestHandshake, TimeSpan? Distance);

/// <summary>The Message Processor logs set against the capture's handshakes.</summary>
/// <param name="FailedWithoutEvent">Failed handshakes (1-based numbers) no log event describes.</param>
public sealed record MpLogCorrelation(
    MpLogResult Logs,
    TimeSpan Skew,
    IReadOnlyList<HandshakeLogJoin> Joined,
    IReadOnlyList<UnmatchedLogEvent> Unmatched,
    IReadOnlyList<int> FailedWithoutEvent);

/// <summary>
/// Joins each logged handshake failure to the capture's handshake on the same connection: the MP's Local address
/// and port are the handshake's client, Remote its server (the local port alone names the connection, the rest
/// checks it), and the log's time must fall within <c>skew</c> of the handshake's first to last packet (a reused
/// port later in the day is another connection).
/// </summary>
public static class MpLogCorrelator
{
    public static readonly TimeSpan DefaultSkew = TimeSpan.FromSeconds(5);

    public static MpLogCorrelation Correlate(AnalysisReport report, MpLogResult logs, TimeSpan skew)
    {
        var byConnection = new Dictionary<ConnectionKey, List<int>>();
        for (var i = 0; i < report.Handshakes.Count; i++)
        {
            if (ConnectionKey.OfHandshake(report.Handshakes[i].Client, report.Handshakes[i].Server) is { } key)
            {
                if (!byConnection.TryGetValue(key, out var list))
                {
                    byConnection[key] = list = [];
                }
                list.Add(i);
            }
        }
        var joined = new List<HandshakeLogJoin>();
        var unmatched = new List<UnmatchedLogEvent>();
        foreach (var e in logs.Failures)
        {
            if (e.Local is null || e.Remote is null)
            {
                unmatched.Add(new UnmatchedLogEvent(e, LogEventMiss.NoAddresses, null, null));
                continue;
            }
            if (!byConnection.TryGetValue(ConnectionKey.Of(e.Local, e.Remote), out var candidates))
            {
                unmatched.Add(new UnmatchedLogEvent(e, LogEventMiss.NoSuchConnection, null, null));
                continue;
            }
            var best = candidates.Select(i => (Index: i, Distance: Distance(report.Handshakes[i], e.Time)))
                .OrderBy(c => c.Distance is { } d ? d.Duration() : TimeSpan.Zero).First();
            if (best.Distance is { } far && far.Duration() > skew)
            {
                unmatched.Add(new UnmatchedLogEvent(e, LogEventMiss.OutsideSkew, best.Index + 1, far));
                continue;
            }
            var h = report.Handshakes[best.Index];
            var (agreement, predicted, logged) = Compare(report.Trust.Profile, h, e);
            joined.Add(new HandshakeLogJoin(best.Index + 1, h, e, best.Distance, agreement, predicted, logged));
        }
        var described = joined.Select(j => j.Handshake).ToHashSet();
        var failedWithout = Enumerable.Range(1, report.Handshakes.Count)
            .Where(n => report.Handshakes[n - 1].IsFailure && !described.Contains(n)).ToList();
        return new MpLogCorrelation(logs, skew, [.. joined.OrderBy(j => j.Handshake)], unmatched, failedWithout);
    }

    /// <summary>How far the log time lies outside the handshake's first to last packet (zero inside; negative before).</summary>
    internal static TimeSpan? Distance(HandshakeReport h, DateTimeOffset? time)
    {
        if (time is not { } t)
        {
            return null;
        }
        var end = h.StartTime;
        foreach (var s in h.Ladder)
        {
            end = s.Time > end ? s.Time : end;
        }
        foreach (var s in h.Teardown)
        {
            end = s.Time > end ? s.Time : end;
        }
        foreach (var a in h.Alerts)
        {
            end = a.Time > end ? a.Time : end;
        }
        return t < h.StartTime ? t - h.StartTime : t > end ? t - end : TimeSpan.Zero;
    }

    private static (MessageAgreement, string?, string?) Compare(ClientProfile profile, HandshakeReport h, MpHandshakeFailure e)
    {
        var logged = e.Exceptions.Select(x => x.Message).Where(m => m.Length > 0).ToList();
        var innermost = logged.Count > 0 ? logged[^1] : e.HandshakeMessage;
        var predicted = profile == ClientProfile.Java ? h.Verdict?.ClientMessage : null;
        if (logged.Count == 0 && e.HandshakeMessage is null)
        {
            return (MessageAgreement.NothingLogged, predicted, null);
        }
        if (predicted is null)
        {
            return (MessageAgreement.NoPrediction, null, innermost);
        }
        var equal = logged.FirstOrDefault(m => m == predicted) ?? (e.HandshakeMessage == predicted ? e.HandshakeMessage : null);
        return equal is not null ? (MessageAgreement.Equal, predicted, equal) : (MessageAgreement.Differs, predicted, innermost);
    }
}
