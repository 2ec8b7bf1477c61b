using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>The words for what happened before TLS: a proxy's or server's refusal, and the preamble's ladder line.</summary>
internal static class PreambleWording
{
    /// <summary>The outcome detail of a refusal: who refused what, and the answer quoted.</summary>
    public static string RefusedDetail(PreambleRefusal r, string serverEndpoint)
    {
        var target = r.Target is { } t ? $" to {HostPort(t.Host, t.Port)}" : "";
        return r.IsProxy
            ? $"the {r.Protocol} proxy {serverEndpoint} refused the tunnel{target}: \"{r.Answer}\""
            : $"the {r.Protocol} server refused the switch to TLS: \"{r.Answer}\"";
    }

    /// <summary>The cause of a refusal (<see cref="CauseKind.ProxyRefused"/> or <see cref="CauseKind.UpgradeRefused"/>).</summary>
    public static Cause RefusedCause(CauseCode code, PreambleRefusal r, string serverEndpoint, string packet)
    {
        var target = r.Target is { } t ? $" to {HostPort(t.Host, t.Port)}" : "";
        return r.IsProxy
            ? new Cause(code,
                $"The {r.Protocol} proxy refused the tunnel{target}",
                $"proxy {serverEndpoint} answered {packet}: \"{r.Answer}\"; no TLS followed",
                "Check the proxy's credentials and access rules for this target (407: the client must send Proxy-Authorization; 403, 5xx or a SOCKS refusal: the proxy's ACL, or its own route to the target).")
            : new Cause(code,
                $"The {r.Protocol} server refused the switch to TLS",
                $"{r.Protocol} server answered {packet}: \"{r.Answer}\"; no TLS followed",
                $"Enable TLS for {r.Protocol} on the server (a certificate and key configured for its STARTTLS or SSL request), or use its implicit-TLS port.");
    }

    /// <summary>"HTTP CONNECT to backend:443 (58 bytes before TLS)", "58 bytes of unrecognised plaintext before TLS".</summary>
    public static string LadderLine(PcapTls.Tls.Preambles.TlsPreamble p, string? proxy)
    {
        if (p.Protocol is null)
        {
            return $"TLS found after {p.Length} bytes of unrecognised preamble";
        }
        var target = p.Target is { } t ? $" to {HostPort(t.Host, t.Port)}{(proxy is null ? "" : $" through proxy {proxy}")}" : "";
        return $"{p.Protocol}{target} ({p.Length} bytes of plaintext before TLS)";
    }

    private static string HostPort(string host, int port)
        => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
}
