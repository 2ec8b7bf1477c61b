namespace PcapTls.Analysis.Selection;

/// <summary>A host name pattern: letters, digits, '-', '.', '_' and the wildcards '*' (any run of characters,
/// dots included) and '?' (one character); compared without regard to case, as DNS names are.</summary>
public sealed class NamePattern
{
    /// <summary>Longer patterns are refused (a DNS name is at most 253 characters).</summary>
    public const int MaxLength = 255;

    private readonly string _pattern;

    private NamePattern(string pattern)
    {
        _pattern = pattern.ToLowerInvariant();
    }

    public static bool TryParse(string text, out NamePattern? pattern)
    {
        pattern = null;
        if (text.Length is 0 or > MaxLength || !text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '*' or '?'))
        {
            return false;
        }
        pattern = new NamePattern(text);
        return true;
    }

    public bool Matches(string name) => Glob(_pattern, name.ToLowerInvariant());

    /// <summary>Iterative glob match with one backtrack point: linear in practice, no regex, no recursion.</summary>
    private static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }
}
