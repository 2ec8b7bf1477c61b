using System.Globalization;
using System.Reflection;
using Org.BouncyCastle.Tls;

namespace PcapTls.Probe;

/// <summary>
/// Parses a client's cipher suite list as Java and Apigee write it: IANA names (TLS_AES_128_GCM_SHA256,
/// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), comma or space separated; a wire value in hex (0x1301) also works.
/// </summary>
public static class CipherSuiteList
{
    /// <summary>A list longer than this is a mistake (there are fewer than 400 registered suites).</summary>
    public const int MaxSuites = 512;

    // BouncyCastle names every registered suite as a public constant; that is the IANA registry as a lookup.
    private static readonly Lazy<Dictionary<string, int>> ByName = new(() => typeof(CipherSuite)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(int))
        .GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase)
        .ToDictionary(g => g.Key, g => (int)g.First().GetRawConstantValue()!, StringComparer.OrdinalIgnoreCase));

    public static bool TryParse(string? text, out IReadOnlyList<int> suites, out string error)
    {
        suites = [];
        error = "";
        var parts = (text ?? "").Split([',', ' ', ':'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            error = "the cipher suite list is empty";
            return false;
        }
        if (parts.Length > MaxSuites)
        {
            error = $"{parts.Length} cipher suites is more than the {MaxSuites} a list can hold";
            return false;
        }
        var list = new List<int>(parts.Length);
        foreach (var p in parts)
        {
            if (p.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(p.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var wire) && wire is >= 0 and <= 0xFFFF)
            {
                list.Add(wire);
            }
            else if (ByName.Value.TryGetValue(p, out var named))
            {
                list.Add(named);
            }
            else
            {
                error = $"'{p}' is not a cipher suite (use IANA names such as TLS_AES_128_GCM_SHA256, or 0x1301)";
                return false;
            }
        }
        suites = list.Distinct().ToList();
        return true;
    }
}
