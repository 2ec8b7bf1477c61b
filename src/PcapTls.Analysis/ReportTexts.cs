namespace PcapTls.Analysis;

/// <summary>
/// One copy of each repeated report text (cause summaries and fixes, outcome details, ladder rungs, SNI, cipher
/// names) per analysis: 100,000 handshakes of a busy proxy say the same few dozen sentences, and a report kept for
/// each must not keep a copy of each sentence. Texts unique to a handshake (evidence with packet numbers) are not
/// worth a table entry and are left alone by the caller.
/// </summary>
internal sealed class ReportTexts
{
    /// <summary>Distinct texts kept; beyond it the table starts over (memory stays bounded on hostile input).</summary>
    internal const int MaxEntries = 20_000;

    /// <summary>Longer texts are not looked up (hashing them costs more than the copy saves).</summary>
    internal const int MaxLength = 2048;

    private readonly Dictionary<string, string> texts;
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> bySpan;
    private readonly Lock gate = new();

    public ReportTexts()
    {
        texts = new(StringComparer.Ordinal);
        bySpan = texts.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count
    {
        get
        {
            lock (gate)
            {
                return texts.Count;
            }
        }
    }

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    public string? Intern(string? text)
    {
        if (text is null || text.Length > MaxLength)
        {
            return text;
        }
        lock (gate)
        {
            if (texts.TryGetValue(text, out var shared))
            {
                return shared;
            }
            if (texts.Count >= MaxEntries)
            {
                texts.Clear();
            }
            texts.Add(text, text);
            return text;
        }
    }

    /// <summary>The shared copy of a text built in a buffer: a string is allocated only the first time the text is seen
    /// (the ladder formats its rungs into a reused buffer, and most rungs say what an earlier handshake's said).</summary>
    public string Intern(ReadOnlySpan<char> text)
    {
        if (text.Length > MaxLength)
        {
            return new string(text);
        }
        lock (gate)
        {
            if (bySpan.TryGetValue(text, out _, out var shared))
            {
                return shared;
            }
            if (texts.Count >= MaxEntries)
            {
                texts.Clear();
            }
            var made = new string(text);
            texts.Add(made, made);
            return made;
        }
    }
}
