using PcapTls.Support.MessageProcessor;
using PcapTls.Support.Router;

namespace PcapTls.Support.Correlation;

/// <summary>A failed request of the router log with the Message Processor event of the same message ID, when there is one.</summary>
/// <param name="Handshake">The capture's handshake that event was joined to (1-based), when it was.</param>
public sealed record RouterJoin(RouterRequest Request, MpHandshakeFailure? Event, int? Handshake);

/// <summary>The router log set against the MP log (by X-Apigee-Message-ID) and through it against the capture.</summary>
public sealed record RouterLogCorrelation(RouterLogResult Logs, IReadOnlyList<RouterJoin> Requests)
{
    /// <summary>The router's request for a handshake (through the MP event joined to it), if any.</summary>
    public RouterRequest? ForHandshake(int handshake) => Requests.FirstOrDefault(r => r.Handshake == handshake)?.Request;
}

/// <summary>Joins the router's failed requests to the MP's events by message ID: client request -> router 5xx -> MP handshake.</summary>
public static class RouterLogCorrelator
{
    public static RouterLogCorrelation Correlate(RouterLogResult router, MpLogCorrelation? mp)
    {
        var events = new Dictionary<string, (MpHandshakeFailure Event, int? Handshake)>(StringComparer.Ordinal);
        if (mp is not null)
        {
            foreach (var j in mp.Joined)
            {
                if (j.Event.Context.MessageId is { } id)
                {
                    events.TryAdd(id, (j.Event, j.Handshake));
                }
            }
            foreach (var u in mp.Unmatched)
            {
                if (u.Event.Context.MessageId is { } id)
                {
                    events.TryAdd(id, (u.Event, null));
                }
            }
        }
        var joins = router.Requests.Select(r => r.MessageId is { } id && events.TryGetValue(id, out var e)
            ? new RouterJoin(r, e.Event, e.Handshake)
            : new RouterJoin(r, null, null)).ToList();
        return new RouterLogCorrelation(router, joins);
    }
}
