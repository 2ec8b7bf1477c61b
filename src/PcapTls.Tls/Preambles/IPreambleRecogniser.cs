namespace PcapTls.Tls.Preambles;

/// <summary>Which end of the exchange a side's first bytes belong to.</summary>
public enum PreambleRole
{
    /// <summary>Not enough bytes to tell yet.</summary>
    NeedMore,

    /// <summary>Not this protocol.</summary>
    None,

    /// <summary>The side that asks for the tunnel or the upgrade (the TLS client).</summary>
    Client,

    /// <summary>The side that grants or refuses it (the TLS server).</summary>
    Server,
}

/// <summary>
/// One plaintext protocol that comes before TLS on the same TCP connection: a proxy handshake (HTTP CONNECT,
/// SOCKS) or an in-place upgrade (STARTTLS and its relatives). Each implementation follows its specification;
/// all are span parsers that never throw on data.
/// </summary>
public interface IPreambleRecogniser
{
    /// <summary>The protocol's name in reports ("HTTP CONNECT", "SOCKS5", "SMTP", ...).</summary>
    string Protocol { get; }

    /// <summary>
    /// Whether a side's first bytes begin this protocol, and as which role. peerProtocol: what the other side
    /// was recognised as (null when not, or not yet); server replies of binary protocols are too short to
    /// tell alone and match only after their client's request. final: no more first bytes will come.
    /// </summary>
    PreambleRole Recognise(ReadOnlySpan<byte> first, string? peerProtocol, bool final);

    /// <summary>
    /// The server's refusal in a preamble that never switched to TLS (status line, reply code, result code),
    /// or null when it shows none. server: the server side's plaintext; client: the client side's (may be empty).
    /// </summary>
    string? FindRefusal(ReadOnlySpan<byte> server, ReadOnlySpan<byte> client);

    /// <summary>What the client's preamble says about where the TLS goes (the proxy's target), when it does.</summary>
    PreambleTarget? FindTarget(ReadOnlySpan<byte> client);
}

/// <summary>A tunnel's target as the client's request names it: a host name or an address literal, and a port.</summary>
/// <param name="Variant">A finer protocol name when the request shows one ("SOCKS4a"), else null.</param>
public sealed record PreambleTarget(string Host, int Port, string? Variant = null);
