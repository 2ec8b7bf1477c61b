using System.Globalization;

namespace PcapTls.Analysis.Selection;

/// <summary>
/// Which handshakes the user asked about: by server (address, block or name, with port), client, SNI pattern,
/// outcome and start time. Each criterion given must match (and); the values of one criterion are
/// alternatives (or). Applied to the report before any renderer and before --write-pcap, so every output shows
/// the same handshakes; the report's notes say what was selected and how many of how many handshakes remain.
/// </summary>
public sealed record HandshakeSelection
{
    public IReadOnlyList<EndpointPattern> Servers { get; init; } = [];

    public IReadOnlyList<EndpointPattern> Clients { get; init; } = [];

    public IReadOnlyList<NamePattern> Snis { get; init; } = [];

    /// <summary>Whether --sni asked for handshakes without SNI too ("--sni none").</summary>
    public bool SniAbsent { get; init; }

    /// <summary>The outcomes kept; <see cref="Failures"/> adds every handshake --only failed would keep.</summary>
    public IReadOnlySet<HandshakeOutcome> Outcomes { get; init; } = new HashSet<HandshakeOutcome>();

    public bool Failures { get; init; }

    /// <summary>Handshakes starting at or after this instant.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Handshakes starting at or before this instant.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>The options as given, for the report's note ("--server 10.0.0.5:443 --outcome failed").</summary>
    public string Description { get; init; } = "";

    public bool IsEmpty => Servers.Count == 0 && Clients.Count == 0 && Snis.Count == 0 && !SniAbsent
        && Outcomes.Count == 0 && !Failures && From is null && Until is null;

    public bool Matches(HandshakeReport h)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (Servers.Count > 0 && !Servers.Any(s => s.Matches(h.Server, h.Sni, h.HostChecked)))
        {
            return false;
        }
        if (Clients.Count > 0 && !Clients.Any(c => c.Matches(h.Client, null, null)))
        {
            return false;
        }
        if ((Snis.Count > 0 || SniAbsent) && !(h.Sni is { } sni ? Snis.Any(p => p.Matches(sni)) : SniAbsent))
        {
            return false;
        }
        if ((Outcomes.Count > 0 || Failures) && !(Outcomes.Contains(h.Outcome) || (Failures && h.IsFailure)))
        {
            return false;
        }
        return (From is not { } from || h.StartTime >= from) && (Until is not { } until || h.StartTime <= until);
    }

    /// <summary>The report with only the selected handshakes, and a note saying so.</summary>
    public AnalysisReport Apply(AnalysisReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (IsEmpty)
        {
            return report;
        }
        // The positions of the kept reports, not the reports: beyond 10,000 they live in a temporary file
        // (HandshakeStore) and are read back one at a time by the renderer.
        var kept = new List<int>();
        var i = 0;
        foreach (var h in report.Handshakes)
        {
            if (Matches(h))
            {
                kept.Add(i);
            }
            i++;
        }
        var note = string.Create(CultureInfo.InvariantCulture,
            $"Selection ({Description}): {kept.Count} of {report.Handshakes.Count} handshakes shown.");
        return report with { Handshakes = new Selected(report.Handshakes, [.. kept]), Notes = [.. report.Notes, note] };
    }

    private sealed class Selected(IReadOnlyList<HandshakeReport> all, int[] kept) : IReadOnlyList<HandshakeReport>
    {
        public HandshakeReport this[int index] => all[kept[index]];

        public int Count => kept.Length;

        public IEnumerator<HandshakeReport> GetEnumerator()
        {
            foreach (var i in kept)
            {
                yield return all[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
