using System.Globalization;

namespace PcapTls.Decryption;

/// <summary>The labels of the NSS key log format; unknown labels are counted and otherwise ignored.</summary>
public enum KeyLogLabel
{
    ClientRandom,
    ClientEarlyTrafficSecret,
    ClientHandshakeTrafficSecret,
    ServerHandshakeTrafficSecret,
    ClientTrafficSecret0,
    ServerTrafficSecret0,
    ExporterSecret,
    EarlyExporterSecret,
}

/// <summary>A line of a key log that could not be used; the run goes on without it.</summary>
public sealed record KeyLogProblem(string File, int Line, string Detail)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Detail}" : $"{File}: {Detail}";
}

/// <summary>An expected user error (a key log file that cannot be read): one line, no stack trace.</summary>
public sealed class KeyLogException : Exception
{
    public KeyLogException(string message) : base(message) { }

    public KeyLogException(string message, Exception inner) : base(message, inner) { }

    public KeyLogException() { }
}

/// <summary>
/// The secrets of an NSS SSLKEYLOGFILE (https://firefox-source-docs.mozilla.org/security/nss/legacy/key_log_format/),
/// possibly merged from several files (a client's and a backend's). Each line is
/// <c>LABEL &lt;client_random: 64 hex&gt; &lt;secret: hex&gt;</c>; '#' starts a comment line.
/// Connections are looked up by the ClientHello random, which both sides log.
/// </summary>
public sealed class KeyLog
{
    /// <summary>Longer lines are reported, not parsed: the longest real line is a label, 64 + 96 hex digits.</summary>
    public const int MaxLineLength = 1024;

    /// <summary>Problems kept per load; a garbage file must not become a garbage report.</summary>
    public const int MaxProblems = 100;

    /// <summary>Distinct client randoms kept; a key log is small, a file this large is not one.</summary>
    public const int MaxClientRandoms = 1_000_000;

    private const int ClientRandomLength = 32;

    /// <summary>TLS 1.2 master secret (RFC 5246 section 8.1).</summary>
    private const int Tls12MasterSecretLength = 48;

    private readonly Dictionary<string, Dictionary<KeyLogLabel, byte[]>> _byClientRandom = new(StringComparer.Ordinal);
    private readonly List<KeyLogProblem> _problems = [];
    private readonly Dictionary<string, string> _sourceByClientRandom = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sources = new(StringComparer.Ordinal);
    private int _suppressedProblems;
    private string _lastSuppressedFile = "";

    private readonly int _clientRandomLimit;

    private KeyLog(int clientRandomLimit = MaxClientRandoms) => _clientRandomLimit = clientRandomLimit;

    public static KeyLog Empty { get; } = new();

    /// <summary>Number of distinct client randoms (connections) with at least one known secret.</summary>
    public int Count => _byClientRandom.Count;

    /// <summary>Lines that carried an unknown label (kept for the summary only: new labels appear over time).</summary>
    public int UnknownLabelLines { get; private set; }

    /// <summary>Malformed lines, with file and line number; at most <see cref="MaxProblems"/> plus one summary entry.</summary>
    public IReadOnlyList<KeyLogProblem> Problems => _problems;

    /// <summary>Reads and merges key log files; a file that cannot be read is a <see cref="KeyLogException"/>,
    /// a malformed line is only a <see cref="Problems"/> entry.</summary>
    public static KeyLog Load(params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var log = new KeyLog();
        foreach (var path in paths)
        {
            StreamReader reader;
            try
            {
                reader = new StreamReader(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                var reason = e is FileNotFoundException or DirectoryNotFoundException ? "not found" : e.Message;
                throw new KeyLogException($"cannot read key log '{path}': {reason}", e);
            }
            using (reader)
            {
                try
                {
                    log.ParseInto(reader, path);
                }
                catch (IOException e)
                {
                    throw new KeyLogException($"cannot read key log '{path}': {e.Message}", e);
                }
            }
        }
        log.FinishProblems();
        return log;
    }

    /// <summary>Key log files and key log texts found elsewhere (pcapng Decryption Secrets Blocks: Name says where),
    /// merged into one; for a client random given twice the first source's secrets are kept.</summary>
    public static KeyLog Load(IReadOnlyList<string> paths, IReadOnlyList<(string Name, string Text)> texts)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(texts);
        var log = paths.Count > 0 ? Load([.. paths]) : new KeyLog();
        foreach (var (name, text) in texts)
        {
            log.ParseInto(new StringReader(text), name);
        }
        log.FinishProblems();
        return log;
    }

    /// <summary>Where the secrets of a client random came from (the file or block that gave them first).</summary>
    public bool TryGetSource(ReadOnlySpan<byte> clientRandom, out string source) =>
        _sourceByClientRandom.TryGetValue(Convert.ToHexStringLower(clientRandom), out source!);

    /// <summary>Files and blocks read into this key log.</summary>
    public int SourceCount => _sources.Count;

    /// <summary>Parses one key log; <paramref name="name"/> is what problems are reported under.</summary>
    public static KeyLog Parse(TextReader reader, string name) => Parse(reader, name, MaxClientRandoms);

    /// <summary>Tests reach the client-random limit with a smaller one.</summary>
    internal static KeyLog Parse(TextReader reader, string name, int clientRandomLimit)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var log = new KeyLog(clientRandomLimit);
        log.ParseInto(reader, name);
        log.FinishProblems();
        return log;
    }

    /// <summary>The client randoms this log holds lines for (each 32 bytes), in no particular order: a follower of a
    /// growing key log copies each piece's connections into its own bounded table.</summary>
    public IEnumerable<byte[]> ClientRandoms => _byClientRandom.Keys.Select(Convert.FromHexString);

    /// <summary>True when the key log holds any line for this ClientHello random.</summary>
    public bool HasClientRandom(ReadOnlySpan<byte> clientRandom) =>
        clientRandom.Length == ClientRandomLength && _byClientRandom.ContainsKey(Convert.ToHexStringLower(clientRandom));

    /// <summary>True when a TLS 1.2 CLIENT_RANDOM line (the master secret) matches this ClientHello random.</summary>
    public bool HasTls12Secret(ReadOnlySpan<byte> clientRandom) =>
        TryGetEntry(clientRandom, out var entry) && entry.ContainsKey(KeyLogLabel.ClientRandom);

    /// <summary>The TLS 1.3 secrets logged for this ClientHello random; false when none is logged.</summary>
    public bool TryGetSecrets(ReadOnlySpan<byte> clientRandom, out Tls13Secrets secrets)
    {
        if (!TryGetEntry(clientRandom, out var entry))
        {
            secrets = null!;
            return false;
        }
        byte[]? Get(KeyLogLabel label) => entry.TryGetValue(label, out var value) ? value : null;
        secrets = new Tls13Secrets
        {
            ClientEarlyTrafficSecret = Get(KeyLogLabel.ClientEarlyTrafficSecret),
            ClientHandshakeTrafficSecret = Get(KeyLogLabel.ClientHandshakeTrafficSecret),
            ServerHandshakeTrafficSecret = Get(KeyLogLabel.ServerHandshakeTrafficSecret),
            ClientTrafficSecret0 = Get(KeyLogLabel.ClientTrafficSecret0),
            ServerTrafficSecret0 = Get(KeyLogLabel.ServerTrafficSecret0),
            ExporterSecret = Get(KeyLogLabel.ExporterSecret),
            EarlyExporterSecret = Get(KeyLogLabel.EarlyExporterSecret),
        };
        if (secrets is { HasTrafficSecret: false, ExporterSecret: null, EarlyExporterSecret: null })
        {
            // Only a TLS 1.2 line for this random.
            secrets = null!;
            return false;
        }
        return true;
    }

    /// <summary>Maps a key log label to its enum; false for a label this version does not know.</summary>
    public static bool TryParseLabel(ReadOnlySpan<char> text, out KeyLogLabel label)
    {
        switch (text)
        {
            case "CLIENT_RANDOM": label = KeyLogLabel.ClientRandom; return true;
            case "CLIENT_EARLY_TRAFFIC_SECRET": label = KeyLogLabel.ClientEarlyTrafficSecret; return true;
            case "CLIENT_HANDSHAKE_TRAFFIC_SECRET": label = KeyLogLabel.ClientHandshakeTrafficSecret; return true;
            case "SERVER_HANDSHAKE_TRAFFIC_SECRET": label = KeyLogLabel.ServerHandshakeTrafficSecret; return true;
            case "CLIENT_TRAFFIC_SECRET_0": label = KeyLogLabel.ClientTrafficSecret0; return true;
            case "SERVER_TRAFFIC_SECRET_0": label = KeyLogLabel.ServerTrafficSecret0; return true;
            case "EXPORTER_SECRET": label = KeyLogLabel.ExporterSecret; return true;
            case "EARLY_EXPORTER_SECRET": label = KeyLogLabel.EarlyExporterSecret; return true;
            default: label = default; return false;
        }
    }

    private bool TryGetEntry(ReadOnlySpan<byte> clientRandom, out Dictionary<KeyLogLabel, byte[]> entry)
    {
        if (clientRandom.Length != ClientRandomLength)
        {
            entry = null!;
            return false;
        }
        return _byClientRandom.TryGetValue(Convert.ToHexStringLower(clientRandom), out entry!);
    }

    private void ParseInto(TextReader reader, string name)
    {
        _sources.Add(name);
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length > MaxLineLength)
            {
                AddProblem(name, lineNumber, $"line longer than {MaxLineLength.ToString(CultureInfo.InvariantCulture)} characters");
                continue;
            }
            var text = line.AsSpan().Trim();
            if (lineNumber == 1 && text.Length > 0 && text[0] == '\uFEFF')
            {
                text = text[1..].TrimStart();
            }
            if (text.IsEmpty || text[0] == '#')
            {
                continue;
            }
            ParseLine(text, name, lineNumber);
        }
    }

    private void ParseLine(ReadOnlySpan<char> text, string name, int lineNumber)
    {
        Span<Range> fields = stackalloc Range[4];
        var count = text.SplitAny(fields, " \t", StringSplitOptions.RemoveEmptyEntries);
        if (count != 3)
        {
            AddProblem(name, lineNumber, "expected 'LABEL <client random> <secret>' (3 fields)");
            return;
        }
        var labelText = text[fields[0]];
        var randomText = text[fields[1]];
        var secretText = text[fields[2]];
        var known = TryParseLabel(labelText, out var label);

        if (randomText.Length != ClientRandomLength * 2 || !IsHex(randomText))
        {
            AddProblem(name, lineNumber, $"client random must be {ClientRandomLength * 2} hex digits");
            return;
        }
        if (secretText.Length % 2 != 0 || !IsHex(secretText))
        {
            AddProblem(name, lineNumber, "secret is not an even number of hex digits");
            return;
        }
        if (!known)
        {
            UnknownLabelLines++;
            return;
        }
        var secretLength = secretText.Length / 2;
        if (label == KeyLogLabel.ClientRandom ? secretLength != Tls12MasterSecretLength : secretLength is not (32 or 48))
        {
            var expected = label == KeyLogLabel.ClientRandom ? "48" : "32 or 48";
            AddProblem(name, lineNumber, $"{labelText.ToString()} secret is {secretLength.ToString(CultureInfo.InvariantCulture)} bytes, expected {expected}");
            return;
        }

        var key = randomText.ToString().ToLowerInvariant();
        var secret = Convert.FromHexString(secretText);
        if (!_byClientRandom.TryGetValue(key, out var entry))
        {
            if (_byClientRandom.Count >= _clientRandomLimit)
            {
                AddProblem(name, lineNumber, $"more than {_clientRandomLimit.ToString(CultureInfo.InvariantCulture)} client randoms; this line is ignored");
                return;
            }
            entry = [];
            _byClientRandom.Add(key, entry);
            _sourceByClientRandom.Add(key, name);
        }
        if (entry.TryGetValue(label, out var existing))
        {
            // The same line in a client's and a server's log is normal; two different secrets are not.
            if (!existing.AsSpan().SequenceEqual(secret))
            {
                AddProblem(name, lineNumber, $"{labelText.ToString()} for this client random differs from an earlier line; the earlier one is kept");
            }
            return;
        }
        entry.Add(label, secret);
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    private void AddProblem(string file, int line, string detail)
    {
        if (_problems.Count < MaxProblems)
        {
            _problems.Add(new KeyLogProblem(file, line, detail));
        }
        else
        {
            _suppressedProblems++;
            _lastSuppressedFile = file;
        }
    }

    private void FinishProblems()
    {
        if (_suppressedProblems > 0)
        {
            _problems.Add(new KeyLogProblem(_lastSuppressedFile, 0,
                $"{_suppressedProblems.ToString(CultureInfo.InvariantCulture)} further problems not listed"));
            _suppressedProblems = 0;
        }
    }
}
