namespace PcapTls.Analysis;

/// <summary>
/// A handshake is judged resumed (no Certificate expected) only when the ServerHello proves it: a TLS 1.2 server
/// that echoes the client's non-empty session ID, or answers a session ticket with its ChangeCipherSpec right after
/// the ServerHello (no ServerHelloDone: RFC 5077 section 3.1); a TLS 1.3 server that selects a pre-shared key
/// (RFC 8446 section 4.2.11). A missing Certificate alone proves nothing: a draft or a capture gap looks the same.
/// </summary>
internal static class ResumptionRules
{
    private const ushort PreSharedKeyExtension = 41;

    public static bool ServerHelloProvesResumption(HandshakeObservation o)
    {
        if (o.ServerHello is not { } sh)
        {
            return false;
        }
        if (o.IsTls13)
        {
            return IsPskResumption(o);
        }
        var echoed = sh.SessionId.Length > 0 && o.ClientHello is { } ch && ch.SessionId.AsSpan().SequenceEqual(sh.SessionId);
        return echoed || !ServerSentHelloDone(o);
    }

    public static bool IsPskResumption(HandshakeObservation o)
        => o.IsTls13 && o.ServerHello is { } sh && sh.ExtensionTypes.Contains(PreSharedKeyExtension);

    private static bool ServerSentHelloDone(HandshakeObservation o)
    {
        foreach (var m in o.Messages)
        {
            if (m.Side == o.ServerSide && m.Type == Tls.TlsHandshakeType.ServerHelloDone)
            {
                return true;
            }
        }
        return false;
    }
}
