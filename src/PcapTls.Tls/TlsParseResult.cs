namespace PcapTls.Tls;

/// <summary>What a span parser made of its input. "Incomplete" means call again with more bytes; "Malformed"
/// means more bytes will not help.</summary>
public enum TlsParseResult
{
    Complete,
    Incomplete,
    Malformed,

    /// <summary>Well-formed so far, but beyond a caller-given limit (e.g. too many certificates); nothing allocated.</summary>
    LimitExceeded,
}
