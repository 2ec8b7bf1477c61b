using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace PcapTls.Validation;

/// <summary>
/// Remembers verdicts so a chain seen 50,000 times in a capture is validated once. The key is the chain's SHA-256s,
/// the truststore's fingerprint, the host, the profile, the purpose, the TLS version, and the validity window the time
/// falls in: the verdict can only change when the time crosses a NotBefore, a NotAfter, or a NotAfter minus the
/// "expiring soon" margin of a certificate involved, so every time between two such instants shares one verdict
/// (its texts quote the first time validated in that window). Thread-safe.
/// </summary>
/// <remarks>
/// A lookup hashes no certificate: each DER array's SHA-256 is computed once and remembered by the array's identity
/// (the analysis hands the same array for every sighting of a certificate), so a hit costs a few reference lookups.
/// </remarks>
public sealed class ValidationCache
{
    /// <summary>Most distinct keys kept; beyond it the cache is cleared (a hostile capture with endless distinct chains cannot grow memory without bound).</summary>
    public const int MaxEntries = 100_000;

    /// <summary>SHA-256 of each DER array seen, by the array's identity; an entry lives as long as its array does.</summary>
    private static readonly ConditionalWeakTable<byte[], CertificateFingerprint> Fingerprints = new();

    private readonly ConcurrentDictionary<Key, Entry> _entries = new();
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
        var key = Key.Of(request);
        if (!_entries.TryGetValue(key, out var entry))
        {
            // Counted only on a miss: ConcurrentDictionary.Count takes every lock of the table.
            if (_entries.Count >= _maxEntries)
            {
                _entries.Clear();
            }
            entry = _entries.GetOrAdd(key, static (_, r) => new Entry(Boundaries(r)), request);
        }
        var window = entry.WindowOf(request.At);
        if (entry.Verdicts.TryGetValue(window, out var cached) && cached.IsValueCreated)
        {
            Interlocked.Increment(ref _hits);
            return entry.SeenAt(window, cached.Value, request.At);
        }
        Interlocked.Increment(ref _misses);
        return entry.SeenAt(window, entry.Verdicts.GetOrAdd(window, _ => new Lazy<ChainVerdict>(() => ChainValidator.Validate(request))).Value, request.At);
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
        /// <summary>Verdicts quoting another time kept per window (one per second of capture time at most); beyond
        /// it they are made again on each hit (cheap: a copy with a few texts replaced).</summary>
        private const int MaxRetimed = 4096;

        private readonly ConcurrentDictionary<(int Window, long Second), ChainVerdict> _retimed = new();

        public ConcurrentDictionary<int, Lazy<ChainVerdict>> Verdicts { get; } = new();

        /// <summary>The window's verdict quoting <paramref name="at"/> (texts name the validation time to the second).</summary>
        public ChainVerdict SeenAt(int window, ChainVerdict verdict, DateTimeOffset at)
        {
            var second = at.UtcTicks / TimeSpan.TicksPerSecond;
            if (verdict.At.UtcTicks / TimeSpan.TicksPerSecond == second)
            {
                return verdict;
            }
            if (_retimed.TryGetValue((window, second), out var seen))
            {
                return seen;
            }
            var made = verdict.SeenAt(at);
            return _retimed.Count < MaxRetimed ? _retimed.GetOrAdd((window, second), made) : made;
        }

        public int WindowOf(DateTimeOffset at)
        {
            var i = Array.BinarySearch(boundaries, at.UtcTicks);
            // An instant equal to a boundary belongs to the window that starts there.
            return i >= 0 ? i + 1 : ~i;
        }
    }

    /// <summary>A certificate's SHA-256 (hex) and that text's hash code, computed once per DER array.</summary>
    private sealed class CertificateFingerprint(string sha256Hex)
    {
        public string Sha256Hex { get; } = sha256Hex;

        public int Hash { get; } = StringComparer.Ordinal.GetHashCode(sha256Hex);

        public static CertificateFingerprint Of(byte[] der) => Fingerprints.GetValue(der, Compute);

        private static CertificateFingerprint Compute(byte[] der) => new(Convert.ToHexStringLower(SHA256.HashData(der)));

        public bool SameAs(CertificateFingerprint other) => ReferenceEquals(this, other) || (Hash == other.Hash && Sha256Hex == other.Sha256Hex);
    }

    /// <summary>What a verdict depends on besides the time: the chain's SHA-256s, the truststore's fingerprint, the
    /// host (lower case), the profile, the purpose, the TLS version, the partial-chain flag and the Java release and security properties.</summary>
    private readonly struct Key : IEquatable<Key>
    {
        private readonly CertificateFingerprint[] chain;
        private readonly string trustStore;
        private readonly string? host;
        private readonly ClientProfile profile;
        private readonly KeyPurpose purpose;
        private readonly ushort? tlsVersion;
        private readonly bool allowPartialChain;
        private readonly JavaRelease java;
        private readonly JavaSecurity javaSecurity;
        private readonly int hash;

        private Key(ValidationRequest r)
        {
            chain = new CertificateFingerprint[r.Chain.Count];
            var h = new HashCode();
            for (var i = 0; i < chain.Length; i++)
            {
                chain[i] = CertificateFingerprint.Of(r.Chain[i]);
                h.Add(chain[i].Hash);
            }
            trustStore = r.TrustStore.Fingerprint;
            host = r.HostName?.ToLowerInvariant();
            profile = r.Profile;
            purpose = r.Purpose;
            tlsVersion = r.TlsVersion;
            allowPartialChain = r.AllowPartialChain;
            java = r.Java;
            javaSecurity = r.JavaSecurity;
            h.Add(trustStore, StringComparer.Ordinal);
            h.Add(host, StringComparer.Ordinal);
            h.Add(profile);
            h.Add(purpose);
            h.Add(tlsVersion);
            h.Add(allowPartialChain);
            hash = h.ToHashCode();
        }

        public static Key Of(ValidationRequest r) => new(r);

        public bool Equals(Key other)
        {
            if (hash != other.hash || chain.Length != other.chain.Length || profile != other.profile || purpose != other.purpose
                || tlsVersion != other.tlsVersion || allowPartialChain != other.allowPartialChain
                || java != other.java || !ReferenceEquals(javaSecurity, other.javaSecurity)
                || !string.Equals(trustStore, other.trustStore, StringComparison.Ordinal) || !string.Equals(host, other.host, StringComparison.Ordinal))
            {
                return false;
            }
            for (var i = 0; i < chain.Length; i++)
            {
                if (!chain[i].SameAs(other.chain[i]))
                {
                    return false;
                }
            }
            return true;
        }

        public override bool Equals(object? obj) => obj is Key k && Equals(k);

        public override int GetHashCode() => hash;
    }
}
