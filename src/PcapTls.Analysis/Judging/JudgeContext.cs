using PcapTls.Capture;
using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>Validation settings shared by every handshake of one analysis run.</summary>
internal sealed record JudgeContext(
    TrustStore TrustStore,
    bool TrustStoreIsSystemRoots,
    AnalysisOptions Options,
    ValidationCache Cache,
    int? SnapLength,
    CaptureFacts Facts)
{
    /// <summary>Each distinct certificate parsed once per analysis, its summary and DER shared by the reports.</summary>
    public SeenCertificates Certificates { get; } = new();

    /// <summary>Repeated report texts shared by the reports (memory per kept report, not per sentence).</summary>
    public ReportTexts Texts { get; } = new();

    /// <summary>Client-CA names of CertificateRequests, each decoded once per analysis.</summary>
    public DistinguishedNames DistinguishedNames { get; } = new();

    /// <summary>Server endpoint texts ("10.0.0.1:443"), each made once per analysis: a busy proxy talks to a few
    /// backends, and each report names one.</summary>
    public EndpointTexts ServerEndpoints { get; } = new();
}

/// <summary>The text of each distinct endpoint (as <see cref="NetEndpoint.ToString"/> writes it), made once.</summary>
internal sealed class EndpointTexts
{
    /// <summary>Distinct endpoints kept; beyond it the table starts over (memory stays bounded on hostile input).</summary>
    internal const int MaxEntries = 4_096;

    private readonly Dictionary<NetEndpoint, string> texts = [];
    private readonly Lock gate = new();

    public string Text(NetEndpoint endpoint)
    {
        lock (gate)
        {
            if (texts.TryGetValue(endpoint, out var known))
            {
                return known;
            }
        }
        var text = endpoint.ToString();
        lock (gate)
        {
            if (texts.Count >= MaxEntries)
            {
                texts.Clear();
            }
            texts.TryAdd(endpoint, text);
        }
        return text;
    }
}

/// <summary>
/// The text of each distinct distinguished name (a CertificateRequest's client-CA list), decoded once: a server
/// asking 10,000 clients for a certificate sends the same list each time, and decoding it costs a crypto call.
/// </summary>
internal sealed class DistinguishedNames
{
    /// <summary>Distinct names kept; beyond it the table starts over (memory stays bounded on hostile input).</summary>
    internal const int MaxEntries = 1_000;

    /// <summary>Longer encodings are decoded each time, not kept.</summary>
    internal const int MaxLength = 1024;

    private readonly Dictionary<byte[], string> byDer = new(DerComparer.Instance);
    private readonly Lock gate = new();

    public string Text(byte[] der)
    {
        if (der.Length > MaxLength)
        {
            return EvidenceText.DistinguishedNameText(der);
        }
        lock (gate)
        {
            if (byDer.TryGetValue(der, out var known))
            {
                return known;
            }
        }
        var text = EvidenceText.DistinguishedNameText(der);
        lock (gate)
        {
            if (byDer.Count >= MaxEntries)
            {
                byDer.Clear();
            }
            byDer.TryAdd(der, text);
        }
        return text;
    }
}

/// <summary>What the pipeline has learned about the capture so far (read when a connection is judged).</summary>
internal sealed class CaptureFacts
{
    public long TruncatedPackets { get; set; }

    /// <summary>The longest captured length of a cut frame: the snapshot length when the file header does not say.</summary>
    public int ObservedSnapLength { get; set; }
}
