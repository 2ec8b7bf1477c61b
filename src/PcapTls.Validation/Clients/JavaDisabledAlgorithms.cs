using System.Globalization;
using System.Text.RegularExpressions;

namespace PcapTls.Validation;

/// <summary>
/// One disabled-algorithms security property (jdk.certpath.disabledAlgorithms or jdk.tls.disabledAlgorithms) as
/// sun.security.util.DisabledAlgorithmConstraints reads and applies it (JDK 17): entries split on ',' and trimmed into
/// a case-insensitive sorted set; a bare entry (no space, or a multi-word curve name) disables the name; otherwise the
/// first word is the algorithm and the rest '&amp;'-joined conditions, each failing only when all after it fail too:
/// keySize OP N, jdkCA, denyAfter YYYY-MM-DD, usage NAME... (TLS scopes HandshakeSignature/CertificateSignature only in
/// the TLS property). 'include jdk.disabled.namedCurves' brings in that property; 'TLS_*' patterns only in the TLS
/// property. A syntax DisabledAlgorithmConstraints refuses is refused here with Java's own words.
/// </summary>
public sealed partial class JavaDisabledAlgorithms
{
    public const string CertPathProperty = "jdk.certpath.disabledAlgorithms";
    public const string TlsProperty = "jdk.tls.disabledAlgorithms";
    public const string NamedCurvesProperty = "jdk.disabled.namedCurves";

    private readonly SortedSet<string> _names;
    private readonly List<Regex> _patterns = [];
    private readonly Dictionary<string, List<Condition>> _constraints = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The property's value as read (after the file overlaid the JDK's defaults).</summary>
    public string Value { get; }

    public string Property { get; }

    private JavaDisabledAlgorithms(string property, string value, string? namedCurves)
    {
        Property = property;
        Value = value;
        _names = Entries(value);
        if (property == TlsProperty)
        {
            foreach (var p in _names.Where(n => n.Contains('*', StringComparison.Ordinal)).ToList())
            {
                if (!p.StartsWith("TLS_", StringComparison.Ordinal))
                {
                    throw new ArgumentException("Wildcard pattern must start with \"TLS_\"");
                }
                _names.Remove(p);
                _patterns.Add(new Regex("^" + Regex.Escape(p).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant));
            }
        }
        if (_names.FirstOrDefault(n => n.Equals("include " + NamedCurvesProperty, StringComparison.OrdinalIgnoreCase)) is { } include)
        {
            _names.Remove(include);
            _names.UnionWith(Entries(namedCurves ?? ""));
        }
        foreach (var entry in _names)
        {
            Add(property, entry.Trim());
        }
    }

    /// <summary>Reads the property's value; throws <see cref="ArgumentException"/> with Java's message when Java would refuse it.</summary>
    public static JavaDisabledAlgorithms Parse(string property, string value, string? namedCurves = null) => new(property, value, namedCurves);

    private static SortedSet<string> Entries(string value)
    {
        var set = new SortedSet<string>(JavaCaseInsensitiveOrder.Instance);
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }
        if (value.Length > 0)
        {
            foreach (var e in value.Split(','))
            {
                set.Add(e.Trim());
            }
        }
        return set;
    }

    private void Add(string property, string entry)
    {
        if (entry.Length == 0)
        {
            return;
        }
        var space = entry.IndexOf(' ', StringComparison.Ordinal);
        var algorithm = (space > 0 ? entry[..space] : entry).Replace("-", "", StringComparison.Ordinal);
        if (!_constraints.TryGetValue(algorithm, out var list))
        {
            list = [];
            foreach (var alias in Aliases(algorithm))
            {
                _constraints.TryAdd(alias, list);
            }
        }
        if (space <= 0 || JavaCurves.Lookup(entry) is not null)
        {
            list.Add(new Condition(ConditionKind.Disabled, algorithm));
            return;
        }
        Condition? last = null;
        var jdkCa = false;
        var denyAfter = false;
        foreach (var raw in entry[(space + 1)..].Split('&'))
        {
            var part = raw.Trim();
            Condition c;
            if (part.StartsWith("keySize", StringComparison.Ordinal))
            {
                var tokens = part.Split([' ', '\t', '\n', '\r', '\f'], StringSplitOptions.RemoveEmptyEntries);
                if (tokens[0] != "keySize" || tokens.Length < 3)
                {
                    throw new ArgumentException("Error in security property. Constraint unknown: " + part);
                }
                if (!int.TryParse(tokens[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                {
                    throw new ArgumentException($"For input string: \"{tokens[2]}\"");
                }
                c = KeySize(algorithm, tokens[1], n);
            }
            else if (part.Equals("jdkCA", StringComparison.OrdinalIgnoreCase))
            {
                if (jdkCa)
                {
                    throw new ArgumentException("Only one jdkCA entry allowed in property. Constraint: " + entry);
                }
                c = new Condition(ConditionKind.JdkCa, algorithm);
                jdkCa = true;
            }
            else if (part.StartsWith("denyAfter", StringComparison.Ordinal) && DenyAfterPattern().Match(part) is { Success: true } m)
            {
                if (denyAfter)
                {
                    throw new ArgumentException("Only one denyAfter entry allowed in property. Constraint: " + entry);
                }
                if (!DateOnly.TryParseExact($"{m.Groups[1].Value}-{m.Groups[2].Value}-{m.Groups[3].Value}", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                {
                    throw new ArgumentException("Invalid denyAfter date");
                }
                c = new Condition(ConditionKind.DenyAfter, algorithm) { DenyAfter = date };
                denyAfter = true;
            }
            else if (part.StartsWith("usage", StringComparison.Ordinal))
            {
                var usages = part[5..].Trim().Split(' ');
                var scopes = property == TlsProperty ? usages.Where(u => TlsScopes.Contains(u)).ToList() : [];
                if (scopes.Count > 0 && scopes.Count != usages.Length)
                {
                    throw new ArgumentException("Can't mix TLS protocol specific constraints with other usage constraints");
                }
                c = new Condition(ConditionKind.Usage, algorithm) { Usages = scopes.Count > 0 ? [] : usages, Scopes = scopes };
            }
            else
            {
                throw new ArgumentException("Error in security property. Constraint unknown: " + part);
            }
            if (last is null)
            {
                list.Add(c);
            }
            else
            {
                last.Next = c;
            }
            last = c;
        }
    }

    private static readonly HashSet<string> TlsScopes = new(StringComparer.OrdinalIgnoreCase) { "HandshakeSignature", "CertificateSignature" };

    private static string[] Aliases(string algorithm) =>
        algorithm.Equals("DH", StringComparison.OrdinalIgnoreCase) || algorithm.Equals("DiffieHellman", StringComparison.OrdinalIgnoreCase)
            ? ["DH", "DiffieHellman"] : [algorithm];

    private static Condition KeySize(string algorithm, string op, int n) => op switch
    {
        "==" => new Condition(ConditionKind.KeySize, algorithm) { MinSize = 0, MaxSize = int.MaxValue, ProhibitedSize = n },
        "!=" => new Condition(ConditionKind.KeySize, algorithm) { MinSize = n, MaxSize = n },
        "<" => new Condition(ConditionKind.KeySize, algorithm) { MinSize = n, MaxSize = int.MaxValue },
        "<=" => new Condition(ConditionKind.KeySize, algorithm) { MinSize = n + 1, MaxSize = int.MaxValue },
        ">" => new Condition(ConditionKind.KeySize, algorithm) { MinSize = 0, MaxSize = n },
        ">=" => new Condition(ConditionKind.KeySize, algorithm) { MinSize = 0, MaxSize = n > 1 ? n - 1 : 0 },
        _ => throw new ArgumentException($"Error in security property. {op} is not a legal Operator"),
    };

    /// <summary>AbstractAlgorithmConstraints.checkAlgorithm (+ the TLS patterns): false when the name itself, or one
    /// of the parts AlgorithmDecomposer.decompose gives ("SHA1withRSA": SHA1, SHA-1, RSA), is a bare entry.</summary>
    public bool PermitsName(string algorithm)
    {
        if (_names.Contains(algorithm) || Decompose(algorithm).Any(_names.Contains))
        {
            return false;
        }
        return !_patterns.Any(p => p.IsMatch(algorithm));
    }

    /// <summary>DisabledAlgorithmConstraints.permits(String, Set&lt;SSLScope&gt;): no usage condition names one of the scopes.</summary>
    public bool PermitsInScope(string algorithm, string scope) =>
        !_constraints.TryGetValue(algorithm, out var list) || list.All(c => c.Kind != ConditionKind.Usage || !c.Scopes.Contains(scope, StringComparer.OrdinalIgnoreCase));

    /// <summary>
    /// DisabledAlgorithmConstraints.permits(algorithm, ConstraintsParameters, checkKey=true) for one certificate: the
    /// named curves of its key first, then every condition of the signature algorithm, its parts and the key's
    /// algorithm, in the order Java's HashSet iterates them. Returns the CertPathValidatorException's message, or null.
    /// </summary>
    internal string? CheckCertificate(string signatureAlgorithm, JavaKey key, CertificateUse use)
    {
        foreach (var curve in key.CurveNames)
        {
            if (!PermitsName(curve))
            {
                return "Algorithm constraints check failed on disabled algorithm: " + curve;
            }
        }
        var algorithms = new JavaStringHashSet();
        foreach (var part in DecomposeOneHash(signatureAlgorithm))
        {
            algorithms.Add(part);
        }
        algorithms.Add(signatureAlgorithm);
        algorithms.Add(key.Algorithm);
        foreach (var alg in algorithms)
        {
            if (!_constraints.TryGetValue(alg, out var list))
            {
                continue;
            }
            foreach (var c in list)
            {
                if (c.Check(key, use) is { } failure)
                {
                    return failure;
                }
            }
        }
        return null;
    }

    /// <summary>DisabledAlgorithmConstraints.permits(primitives, Key) ("old style"): the key's algorithm and curves are
    /// not bare entries, and each condition on the key's algorithm lets it through.</summary>
    internal bool PermitsKey(JavaKey key, DateTimeOffset now)
    {
        if (!PermitsName(key.Algorithm) || key.CurveNames.Any(c => !PermitsName(c)))
        {
            return false;
        }
        return !_constraints.TryGetValue(key.Algorithm, out var list) || list.All(c => c.PermitsKey(key, now));
    }

    private static IEnumerable<string> Split(string algorithm) =>
        algorithm.Split('/').SelectMany(t => DecomposePattern().Split(t)).Where(t => t.Length > 0);

    /// <summary>AlgorithmDecomposer.decompose: the parts, with SHA-1/SHA1 (and the SHA-2 names) in both spellings.</summary>
    internal static HashSet<string> Decompose(string algorithm)
    {
        var parts = new HashSet<string>(Split(algorithm), StringComparer.Ordinal);
        foreach (var (a, b) in ShaSpellings)
        {
            if (parts.Contains(a) || parts.Contains(b))
            {
                parts.Add(a);
                parts.Add(b);
            }
        }
        return parts;
    }

    /// <summary>AlgorithmDecomposer.decomposeOneHash: the parts in Java's HashSet order, "SHA-256" spelled "SHA256".</summary>
    internal static JavaStringHashSet DecomposeOneHash(string algorithm)
    {
        var set = new JavaStringHashSet();
        foreach (var part in Split(algorithm))
        {
            set.Add(part);
        }
        foreach (var (dashed, plain) in ShaSpellings)
        {
            if (set.Remove(dashed))
            {
                set.Add(plain);
            }
        }
        return set;
    }

    private static readonly (string Dashed, string Plain)[] ShaSpellings = [("SHA-1", "SHA1"), ("SHA-224", "SHA224"), ("SHA-256", "SHA256"), ("SHA-384", "SHA384"), ("SHA-512", "SHA512")];

    [GeneratedRegex("with|and|(?<!padd)in", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DecomposePattern();

    [GeneratedRegex(@"^denyAfter\s+(\d{4})-(\d{2})-(\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex DenyAfterPattern();

    private enum ConditionKind
    {
        Disabled,
        KeySize,
        JdkCa,
        DenyAfter,
        Usage,
    }

    /// <summary>One condition of an entry (DisabledAlgorithmConstraints' Constraint subclasses); Next is the one after '&amp;'.</summary>
    private sealed class Condition(ConditionKind kind, string algorithm)
    {
        public ConditionKind Kind { get; } = kind;
        public string Algorithm { get; } = algorithm;
        public Condition? Next { get; set; }
        public int MinSize { get; init; }
        public int MaxSize { get; init; }
        public int ProhibitedSize { get; init; } = -1;
        public DateOnly DenyAfter { get; init; }
        public IReadOnlyList<string> Usages { get; init; } = [];
        public IReadOnlyList<string> Scopes { get; init; } = [];

        /// <summary>permits(ConstraintsParameters): the exception's message, or null when allowed.</summary>
        public string? Check(JavaKey key, CertificateUse use)
        {
            switch (Kind)
            {
                case ConditionKind.Disabled:
                    return $"Algorithm constraints check failed on disabled algorithm: {Algorithm}{use.ExtendedMessage}";
                case ConditionKind.JdkCa:
                    if (!use.AnchorIsJdkCa)
                    {
                        return null;
                    }
                    return Next is not null ? Next.Check(key, use) : $"Algorithm constraints check failed on certificate anchor limits. {Algorithm}{use.ExtendedMessage}";
                case ConditionKind.DenyAfter:
                    var deny = new DateTimeOffset(DenyAfter.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
                    if (deny > use.Date)
                    {
                        return null;
                    }
                    return Next is not null ? Next.Check(key, use)
                        : $"denyAfter constraint check failed: {Algorithm} used with Constraint date: {DenyAfter:yyyy-MM-dd}; params date: {JavaInstant(use.Date)}{use.ExtendedMessage}";
                case ConditionKind.Usage:
                    foreach (var usage in Usages)
                    {
                        var match = usage.ToLowerInvariant() switch
                        {
                            "tlsserver" => use.Variant == "tls server",
                            "tlsclient" => use.Variant == "tls client",
                            _ => false,
                        };
                        if (match)
                        {
                            return Next is not null ? Next.Check(key, use) : $"Usage constraint {usage} check failed: {Algorithm}{use.ExtendedMessage}";
                        }
                    }
                    return null;
                default:
                    if (PermitsSize(key))
                    {
                        return null;
                    }
                    return Next is not null ? Next.Check(key, use)
                        : $"Algorithm constraints check failed on keysize limits: {Algorithm} {key.Size} bit key{use.ExtendedMessage}";
            }
        }

        /// <summary>permits(Key), the check without certificate context: jdkCA and usage conditions let any key through.</summary>
        public bool PermitsKey(JavaKey key, DateTimeOffset now) => Kind switch
        {
            ConditionKind.Disabled => false,
            ConditionKind.KeySize => Next is not null && Next.PermitsKey(key, now) || PermitsSize(key),
            ConditionKind.DenyAfter => Next is not null && Next.PermitsKey(key, now) || new DateTimeOffset(DenyAfter.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) > now,
            _ => true,
        };

        private bool PermitsSize(JavaKey key)
        {
            if (!string.Equals(Algorithm, key.Algorithm, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
            return key.Size != 0 && (key.Size < 0 || !(key.Size < MinSize || key.Size > MaxSize || key.Size == ProhibitedSize));
        }
    }

    /// <summary>The validation date as the message quotes it: a java.util.Date (milliseconds) through Instant.toString(),
    /// ISO-8601 in UTC with the milliseconds only when not zero.</summary>
    internal static string JavaInstant(DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        var text = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return (utc.Millisecond != 0 ? text + "." + utc.Millisecond.ToString("D3", CultureInfo.InvariantCulture) : text) + "Z";
    }
}

/// <summary>A public key as Java's constraints see it: Key.getAlgorithm(), KeyUtil.getKeySize, the curve's names (CurveDB).</summary>
internal sealed record JavaKey(string Algorithm, int Size, IReadOnlyList<string> CurveNames)
{
    public static JavaKey Of(CertificateInfo cert) => new(
        cert.PublicKeyOid switch
        {
            "1.2.840.113549.1.1.10" => "RSASSA-PSS",
            "1.3.101.112" or "1.3.101.113" => "EdDSA",
            _ => cert.PublicKeyAlgorithm,
        },
        cert.PublicKeySize,
        cert.EcCurveOid is { } oid ? JavaCurves.NamesOf(oid) : []);
}

/// <summary>CertPathConstraintsParameters: the validator variant ("tls server"), the anchor, the date and the certificate named in messages.</summary>
internal sealed record CertificateUse(string Variant, bool AnchorIsJdkCa, DateTimeOffset Date, string Subject)
{
    public string ExtendedMessage => " used with certificate: " + Subject;
}

/// <summary>String.CASE_INSENSITIVE_ORDER: char by char, upper case then lower case, then length.</summary>
internal sealed class JavaCaseInsensitiveOrder : IComparer<string>
{
    public static readonly JavaCaseInsensitiveOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        x ??= "";
        y ??= "";
        var n = Math.Min(x.Length, y.Length);
        for (var i = 0; i < n; i++)
        {
            var c1 = x[i];
            var c2 = y[i];
            if (c1 == c2)
            {
                continue;
            }
            c1 = char.ToUpperInvariant(c1);
            c2 = char.ToUpperInvariant(c2);
            if (c1 == c2)
            {
                continue;
            }
            c1 = char.ToLowerInvariant(c1);
            c2 = char.ToLowerInvariant(c2);
            if (c1 != c2)
            {
                return c1 - c2;
            }
        }
        return x.Length - y.Length;
    }
}

/// <summary>
/// java.util.HashSet&lt;String&gt;'s iteration order, which decides which of several failing conditions Java reports:
/// buckets by (h ^ h &gt;&gt;&gt; 16) &amp; (capacity - 1) with String.hashCode, insertion order within a bucket, the table
/// doubling past 0.75 of its 16 slots.
/// </summary>
internal sealed class JavaStringHashSet : IEnumerable<string>
{
    private List<string>[] _buckets = NewTable(16);
    private int _count;

    private static List<string>[] NewTable(int n) => Enumerable.Range(0, n).Select(_ => new List<string>()).ToArray();

    public static int JavaHashCode(string s)
    {
        var h = 0;
        foreach (var c in s)
        {
            h = unchecked(31 * h + c);
        }
        return h;
    }

    private int Bucket(string s, int capacity)
    {
        var h = JavaHashCode(s);
        return (h ^ (int)((uint)h >> 16)) & (capacity - 1);
    }

    public bool Add(string s)
    {
        var b = _buckets[Bucket(s, _buckets.Length)];
        if (b.Contains(s, StringComparer.Ordinal))
        {
            return false;
        }
        b.Add(s);
        if (++_count > _buckets.Length * 3 / 4)
        {
            var old = this.ToList();
            _buckets = NewTable(_buckets.Length * 2);
            foreach (var o in old)
            {
                _buckets[Bucket(o, _buckets.Length)].Add(o);
            }
        }
        return true;
    }

    public bool Remove(string s)
    {
        if (_buckets[Bucket(s, _buckets.Length)].Remove(s))
        {
            _count--;
            return true;
        }
        return false;
    }

    public IEnumerator<string> GetEnumerator() => _buckets.SelectMany(b => b).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
