using PcapTls.Analysis;
using PcapTls.Validation;

namespace PcapTls.Reporting;

/// <summary>One server's line in the per-server breakdown: how many handshakes, how many failed, the most frequent cause.</summary>
/// <param name="Server">The server as "ip:port".</param>
/// <param name="Sni">The SNI most of its handshakes asked for.</param>
public sealed record ServerLine(string Server, string? Sni, int Handshakes, int Failed, string? TopCause, int TopCauseCount);

public static class ServerBreakdown
{
    /// <summary>Servers with the most failures first, then the most handshakes; ties by address (a stable order for goldens).</summary>
    public static IReadOnlyList<ServerLine> Of(IEnumerable<HandshakeReport> handshakes)
    {
        var byServer = new Dictionary<string, Tally>(StringComparer.Ordinal);
        foreach (var h in handshakes)
        {
            if (!byServer.TryGetValue(h.Server, out var t))
            {
                byServer[h.Server] = t = new Tally();
            }
            t.Handshakes++;
            if (h.IsFailure)
            {
                t.Failed++;
            }
            if (h.Sni is { } sni)
            {
                t.Snis[sni] = t.Snis.GetValueOrDefault(sni) + 1;
            }
            foreach (var code in h.Causes.Select(c => c.Code.ToCode()).Distinct(StringComparer.Ordinal))
            {
                t.Causes[code] = t.Causes.GetValueOrDefault(code) + 1;
            }
        }
        return byServer
            .Select(kv =>
            {
                var sni = Top(kv.Value.Snis);
                var cause = Top(kv.Value.Causes);
                return new ServerLine(kv.Key, sni?.Key, kv.Value.Handshakes, kv.Value.Failed, cause?.Key, cause?.Value ?? 0);
            })
            .OrderByDescending(s => s.Failed).ThenByDescending(s => s.Handshakes).ThenBy(s => s.Server, StringComparer.Ordinal)
            .ToList();
    }

    private static KeyValuePair<string, int>? Top(Dictionary<string, int> counts) => counts.Count == 0
        ? null
        : counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).First();

    private sealed class Tally
    {
        public int Handshakes;
        public int Failed;
        public readonly Dictionary<string, int> Snis = new(StringComparer.Ordinal);
        public readonly Dictionary<string, int> Causes = new(StringComparer.Ordinal);
    }
}
