using PcapTls.Support.Correlation;

namespace PcapTls.Support;

/// <summary>
/// What the support case's other inputs say about the capture's handshakes: the Message Processor logs joined to
/// them (and, as they are added, the router log and Apigee's own artefacts). Immutable; rendered by Reporting.
/// </summary>
public sealed record SupportCase
{
    public MpLogCorrelation? MessageProcessor { get; init; }
}
