using System.Text;

namespace PcapTls.Analysis;

/// <summary>Turns the layers' anomaly enums into the report's kebab-case kinds.</summary>
public static class AnomalyKinds
{
    public static string Name<T>(T kind) where T : struct, Enum
    {
        var s = kind.ToString();
        var sb = new StringBuilder(s.Length + 8);
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsUpper(s[i]) && i > 0)
            {
                sb.Append('-');
            }
            sb.Append(char.ToLowerInvariant(s[i]));
        }
        return sb.ToString();
    }
}
