using PcapTls.Support.Apigee;
using PcapTls.Support.Correlation;

namespace PcapTls.Support;

/// <summary>
/// What the support case's other inputs say about the capture's handshakes: the Message Processor logs and the
/// router's access log joined to them, and the management API's truststore listing compared with their chains.
/// Immutable; rendered by Reporting.
/// </summary>
public sealed record SupportCase
{
    public MpLogCorrelation? MessageProcessor { get; init; }

    public RouterLogCorrelation? Router { get; init; }

    public TruststoreListing? Listing { get; init; }

    /// <summary>The listing against each failed handshake that carries a chain.</summary>
    public IReadOnlyList<ListingComparison> ListingComparisons { get; init; } = [];
}
