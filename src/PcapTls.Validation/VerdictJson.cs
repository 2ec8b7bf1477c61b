using System.Text.Json;

namespace PcapTls.Validation;

/// <summary>
/// The JSON of a verdict and of a cause, written the same way by every report that carries one (analyze's document,
/// live's lines, the probe's document): one place for names that are part of the README's contract.
/// </summary>
public static class VerdictJson
{
    /// <summary>"trusted", "clientMessage", "predictedAlert" (when the profile predicts one), "javaCauseChain" (Java
    /// profile: the exception and each Caused by, outermost first; empty when trusted), "explanation" (the probe
    /// shows the path search) and "neededInTruststore", inside the caller's "validation" object.</summary>
    public static void WriteDecision(Utf8JsonWriter w, ChainVerdict v, bool withExplanation)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(v);
        w.WriteBoolean("trusted", v.Trusted);
        if (v.ClientMessage is { } message)
        {
            w.WriteString("clientMessage", message);
        }
        else
        {
            w.WriteNull("clientMessage");
        }
        if (v.PredictedAlert is { } pa)
        {
            w.WriteNumber("predictedAlert", pa);
        }
        if (v.Profile == ClientProfile.Java)
        {
            // The exception and every "Caused by:", outermost first, as a Message Processor's log prints them.
            w.WriteStartArray("javaCauseChain");
            foreach (var line in v.JavaCauseChain)
            {
                w.WriteStringValue(line);
            }
            w.WriteEndArray();
        }
        if (withExplanation)
        {
            w.WriteString("explanation", v.Explanation.Render());
        }
        w.WriteStartArray("neededInTruststore");
        foreach (var c in v.NeededInTrustStore)
        {
            w.WriteStartObject();
            w.WriteString("subject", c.Subject);
            w.WriteString("sha256", c.Sha256Hex);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>One element of a "causes" array.</summary>
    public static void WriteCause(Utf8JsonWriter w, CauseCode code, string summary, string evidence, string fix)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("code", code.ToCode());
        w.WriteString("summary", summary);
        w.WriteString("evidence", evidence);
        w.WriteString("fix", fix);
        w.WriteEndObject();
    }
}
