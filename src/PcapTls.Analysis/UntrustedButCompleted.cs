using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>
/// A handshake can complete although the chain fails a Java client's checks: the client did not validate (curl -k),
/// trusted it by exception, or is not Java. The outcome stays "completed", and the verdict still gets its causes,
/// worded as what a Java client with this truststore would do; so do the Java size limits (<see cref="JavaLimits"/>).
/// </summary>
internal static class UntrustedButCompleted
{
    private const string Prefix = "Completed, but a Java client with this truststore would reject it because: ";

    /// <summary>The causes of a completed handshake: the untrusted verdict's findings, and the Java limits.</summary>
    public static IReadOnlyList<CauseFact> Causes(HandshakeFacts f, ChainVerdict? verdict, IReadOnlyList<CauseFact> already)
    {
        var causes = new List<CauseFact>(already);
        if (verdict is { Trusted: false })
        {
            foreach (var c in RejectionRules.VerdictCauses(verdict, null))
            {
                causes.Add(c with { AfterCompletion = true });
            }
        }
        if (JavaLimits.Check(f.Observation) is not null)
        {
            causes.Add(new CauseFact(CauseKind.JavaHandshakeLimit, AfterCompletion: true));
        }
        return causes;
    }

    public static Cause Reword(Cause c) => c with
    {
        Summary = c.Code == CauseCode.JavaHandshakeLimit
            ? "Completed, but a Java client with default settings would reject it: " + LowerFirst(c.Summary)
            : Prefix + LowerFirst(c.Summary),
    };

    private static string LowerFirst(string s) => s.Length > 1 && char.IsUpper(s[0]) && !char.IsUpper(s[1]) ? char.ToLowerInvariant(s[0]) + s[1..] : s;
}
