using System.Globalization;

namespace PcapTls.Live;

/// <summary>Parses --duration values: a number with an optional unit, "90", "90s", "5m", "2h", "1d", "1m30s".</summary>
public static class LiveDuration
{
    /// <summary>Longer than anyone means; also keeps the sum far from TimeSpan's limits.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(366);

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var s = text.Trim().ToLowerInvariant();
        var total = 0.0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }
            if (i == start || !double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }
            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }
            var seconds = s[unitStart..i] switch
            {
                "" or "s" or "sec" => 1.0,
                "ms" => 0.001,
                "m" or "min" => 60.0,
                "h" => 3600.0,
                "d" => 86400.0,
                _ => double.NaN,
            };
            if (double.IsNaN(seconds) || (unitStart == i && i < s.Length))
            {
                return false;
            }
            total += value * seconds;
            if (total > Max.TotalSeconds)
            {
                return false;
            }
        }
        if (total <= 0)
        {
            return false;
        }
        duration = TimeSpan.FromSeconds(total);
        return true;
    }
}
