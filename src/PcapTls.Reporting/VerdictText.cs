using PcapTls.Validation;

namespace PcapTls.Reporting;

/// <summary>Lines that describe a validation verdict's path, explanation and chain quality.</summary>
internal static class VerdictText
{
    public static IEnumerable<string> Describe(ChainVerdict v)
    {
        yield break;
    }
}
