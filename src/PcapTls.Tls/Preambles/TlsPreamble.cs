namespace PcapTls.Tls.Preambles;

/// <summary>
/// The plaintext a side sent before its first TLS record. Protocol is null when no recogniser knew it (TLS
/// was then found by its ClientHello within <see cref="PreambleRecognisers.UnrecognisedScanLimit"/> bytes).
/// Target: the tunnel's target from the client's request (CONNECT, SOCKS), when there is one.
/// </summary>
public sealed record TlsPreamble(string? Protocol, long Length, PreambleTarget? Target)
{
    public bool Recognised => Protocol is not null;
}
