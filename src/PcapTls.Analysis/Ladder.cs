using PcapTls.Flows;
using PcapTls.Tls;


namespace PcapTls.Analysis;

/// <summary>
/// Builds the packet ladder of a connection, as the vendor guide draws it: one rung per packet and direction,
/// naming what the packet carried (SYN, ClientHello, ServerHello+Certificate, alert, FIN, RST, ...).
/// </summary>
internal static class Ladder
{
    internal const int MaxSteps = 40;

    public static IReadOnlyList<LadderStep> Build(HandshakeObservation o)
    {
        var items = new List<(long Packet, long Time, int Side, int Order, string What)>();
        var order = 1_000_000;
        foreach (var x in o.Controls)
        {
            var what = x.Kind switch
            {
                TcpControlKind.Syn => "SYN",
                TcpControlKind.SynAck => "SYN/ACK",
                TcpControlKind.Fin => "FIN",
                TcpControlKind.Rst => "RST",
                _ => x.Kind.ToString(),
            };
            // A FIN or RST closes the packet's contents: list it after the TLS content of the same packet.
            items.Add((x.Packet, x.TimeNanos, x.Side, x.Kind is TcpControlKind.Syn or TcpControlKind.SynAck ? -1 : 2_000_000 + x.Seq, what));
        }
        foreach (var m in o.Messages)
        {
            var name = Enum.IsDefined(m.Type) ? m.Type.ToString() : $"handshake type {(byte)m.Type}";
            var encryptedFinished = !m.Decrypted && m.Type == TlsHandshakeType.Finished;
            items.Add((m.Packet, m.TimeNanos, m.Side, m.Seq, m.Decrypted ? name + " (decrypted)" : encryptedFinished ? "Finished (encrypted)" : name));
        }
        foreach (var a in o.Alerts)
        {
            var text = a.Alert.Description is null ? "Alert (encrypted)" : $"Alert {HandshakeJudge.AlertText(a.Alert)}{(a.Alert.Encrypted ? " (decrypted)" : "")}";
            items.Add((a.Packet, a.TimeNanos, a.Side, a.Seq, text));
        }
        foreach (var r in o.Records)
        {
            string? what = r.Type switch
            {
                TlsContentType.ChangeCipherSpec => "ChangeCipherSpec",
                TlsContentType.ApplicationData when o.IsTls13 && !o.Decrypting =>
                    LooksLikeAlert(o, r) ? $"encrypted record ({r.Length} bytes, alert-sized)" : $"encrypted record ({r.Length} bytes)",
                TlsContentType.ApplicationData when o.IsTls13 => HasDecoded(o, r) ? null : $"application data ({r.Length} bytes)",
                TlsContentType.ApplicationData => $"application data ({r.Length} bytes)",
                TlsContentType.Handshake when !HasDecoded(o, r) => $"encrypted handshake ({r.Length} bytes)",
                TlsContentType.Alert when !o.Alerts.Any(a => a.Packet == r.Packet && a.Side == r.Side) => $"alert record ({r.Length} bytes)",
                _ => null,
            };
            if (what is not null)
            {
                items.Add((r.Packet, r.TimeNanos, r.Side, r.Seq, what));
            }
        }
        for (var i = 0; i < 2; i++)
        {
            if (o.NotTlsPreview[i] is { } preview)
            {
                items.Add((o.NotTlsPacket[i], o.NotTlsTime[i], i, order++, $"not TLS: \"{preview}\""));
            }
        }

        var steps = new List<LadderStep>();
        foreach (var group in items.OrderBy(x => x.Packet).ThenBy(x => x.Order).GroupBy(x => (x.Packet, x.Side)))
        {
            if (steps.Count == MaxSteps)
            {
                break;
            }
            var first = group.First();
            var what = string.Join(", ", group.Select(x => x.What).Distinct());
            steps.Add(new LadderStep(first.Packet, HandshakeJudge.FromNanos(first.Time), o.PeerOf(first.Side), what));
        }
        return steps;
    }

    /// <summary>A short encrypted record is an alert only where a Finished or data was due: from the client, or from
    /// the server after the client's flight (the server's own flight has short EncryptedExtensions records).</summary>
    private static bool LooksLikeAlert(HandshakeObservation o, RecordSeen r)
    {
        if (!HandshakeJudge.IsAlertSized(r.Length))
        {
            return false;
        }
        if (r.Side == o.ClientSide)
        {
            return true;
        }
        var clientFlight = o.Records.FirstOrDefault(x => x.Side == o.ClientSide && x.Type == TlsContentType.ApplicationData && x.Packet > o.ServerHelloPacket);
        return clientFlight.Packet != 0 && r.Seq > clientFlight.Seq;
    }

    private static bool HasDecoded(HandshakeObservation o, RecordSeen r)
        => o.Messages.Any(m => m.Packet == r.Packet && m.Side == r.Side) || o.Alerts.Any(a => a.Packet == r.Packet && a.Side == r.Side);
}
