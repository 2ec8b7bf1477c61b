namespace PcapTls.Analysis;

/// <summary>
/// The note on a completed handshake whose client sent data early: TLS 1.2 False Start (RFC 7918, Chrome and
/// Firefox: application data after the client's own Finished, before the server's) or TLS 1.3 0-RTT early data
/// (before the ServerHello). Both directions are judged on their own, so neither changes the outcome.
/// </summary>
internal static class EarlyTraffic
{
    public static string Note(HandshakeObservation o)
    {
        var note = "";
        if (o.FalseStartPacket != 0)
        {
            note += $"; False Start: the client sent application data {EvidenceText.Packet(o.FalseStartPacket)} before the server's Finished (RFC 7918)";
        }
        if (o.EarlyDataRecords > 0)
        {
            note += $"; the client sent {o.EarlyDataRecords} record(s) of 0-RTT early data before the ServerHello, from {EvidenceText.Packet(o.EarlyDataPacket)}";
        }
        return note;
    }
}
