using System.Collections.Concurrent;

namespace PcapTls.Validation;

/// <summary>
/// Remembers verdicts so a chain seen 50,000 times in a capture is validated once. The key is the chain's SHA-256s,
/// the truststore's fingerprint, the host, the profile, the purpose, the TLS version, and the validity window the time
/// falls in: the verdict can only change when the time crosses a NotBefore, a NotAfter, or a NotAfter minus the
/// "expiring soon" margin of a certificate involved, so every time between two such instants shares one verdict
/// (its texts quote the first time validated in that window). Thread-safe.
/// </summary>
public sealed class ValidationCache
{
    /// <summary>Most distinct keys kept; beyond it the cache is cleared (a hostile capture with endless distinct chains cannot grow memory without bound).</summary>
    public const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly int _maxEntries;

    public ValidationCache(int maxEntries = MaxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        _maxEntries = maxEntries;
    }
    private long _hits;
    private long _misses;

    public long Hits => Interlocked.Read(ref _hits);
    public long Misses => Interlocked.Read(ref _misses);
    public int Count => _entries.Sum(e => e.Value.Verdicts.Count);

    /// <summary>Distinct keys held (chain, truststore, host, profile, ...), never more than the limit.</summary>
    public int KeyCount => _entries.Count;

    public ChainVerdict GetOrValidate(ValidationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = Key(request);
        if (_entries.Count >= _maxEntries && !_entries.ContainsKey(key))
        {
            _entries.Clear();
        }
        var entry = _entries.GetOrAdd(key, _ => new Entry(Boundaries(request)));
        var window = entry.WindowOf(request.At);
        if (entry.Verdicts.TryGetValue(window, out var cached) && cached.IsValueCreated)
        {
            Interlocked.Increment(ref _hits);
            return cached.Value;
        }
        Interlocked.Increment(ref _misses);
        return entry.Verdicts.GetOrAdd(window, _ => new Lazy<ChainVerdict>(() => ChainValidator.Validate(request))).Value;
    }

    private static string Key(ValidationRequest r)
    {
        var chain = string.Join(",", r.Chain.Select(c => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(c))));
        return $"{chain}|{r.TrustStore.Fingerprint}|{r.HostName?.ToLowerInvariant()}|{r.Profile}|{r.Purpose}|{r.TlsVersion}|{r.AllowPartialChain}";
    }

    /// <summary>The instants where a verdict can change: each certificate's NotBefore, the tick after its NotAfter, and the start of its "expiring soon" margin.</summary>
    private static long[] Boundaries(ValidationRequest r)
    {
        var certs = r.Chain.Select(CertificateInfo.Parse).Where(c => c.IsParsed)
            .Concat(r.TrustStore.Entries.Select(e => e.Certificate).Where(c => c.IsParsed));
        var set = new SortedSet<long>();
        foreach (var c in certs)
        {
            set.Add(c.NotBefore.UtcTicks);
            set.Add(c.NotAfter.UtcTicks + 1);
            set.Add(c.NotAfter.AddDays(-ChainQuality.ExpiringSoonDays).UtcTicks);
        }
        return [.. set];
    }

    private sealed class Entry(long[] boundaries)
    {
        public ConcurrentDictionary<int, Lazy<ChainVerdict>> Verdicts { get; } = new();

        public int WindowOf(DateTimeOffset at)
        {
            var i = Array.BinarySearch(boundaries, at.UtcTicks);
            // An instant equal to a boundary belongs to the window that starts there.
            return i >= 0 ? i + 1 : ~i;
        }
    }
}
