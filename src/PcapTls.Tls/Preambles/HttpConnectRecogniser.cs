using System.Globalization;

namespace PcapTls.Tls.Preambles;

/// <summary>
/// HTTP CONNECT (RFC 7231 section 4.3.6, RFC 9110 section 9.3.6): "CONNECT host:port HTTP/1.1", header
/// lines, an empty line; the proxy answers with a status line, and any 2xx means the tunnel is open and the
/// next bytes are the target's. A proxy may first answer 407 and the client retry on the same connection.
/// </summary>
public sealed class HttpConnectRecogniser : IPreambleRecogniser
{
    public string Protocol => "HTTP CONNECT";

    public PreambleRole Recognise(ReadOnlySpan<byte> first, string? peerProtocol, bool final)
    {
        ReadOnlySpan<byte> method = "CONNECT "u8;
        ReadOnlySpan<byte> status = "HTTP/1."u8;
        // The method token is case-sensitive (RFC 9110 section 9.1).
        if (PreambleBytes.Starts(first, method) is var asClient && asClient != PreambleRole.None)
        {
            return asClient == PreambleRole.NeedMore ? (final ? PreambleRole.None : PreambleRole.NeedMore) : PreambleRole.Client;
        }
        if (peerProtocol != Protocol)
        {
            return PreambleRole.None;
        }
        var asServer = PreambleBytes.Starts(first, status);
        return asServer == PreambleRole.NeedMore ? (final ? PreambleRole.None : PreambleRole.NeedMore) : asServer == PreambleRole.None ? PreambleRole.None : PreambleRole.Server;
    }

    public string? FindRefusal(ReadOnlySpan<byte> server, ReadOnlySpan<byte> client)
    {
        // The last status line decides: an earlier 407 may have been answered by a retry with credentials.
        string? last = null;
        foreach (var line in PreambleText.Lines(server))
        {
            if (StatusCode(line) >= 0)
            {
                last = line;
            }
        }
        return last is not null && StatusCode(last) is < 200 or >= 300 ? PreambleText.Quote(last) : null;
    }

    /// <summary>The status code of "HTTP/1.x NNN reason", else -1.</summary>
    internal static int StatusCode(string line)
        => line.Length >= 12 && line.StartsWith("HTTP/1.", StringComparison.Ordinal) && line[8] == ' '
           && int.TryParse(line.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code)
            ? code
            : -1;

    public PreambleTarget? FindTarget(ReadOnlySpan<byte> client)
    {
        // The last CONNECT request names the tunnel that opened (a retry after 407 repeats it).
        PreambleTarget? target = null;
        foreach (var line in PreambleText.Lines(client))
        {
            if (!line.StartsWith("CONNECT ", StringComparison.Ordinal))
            {
                continue;
            }
            var rest = line.AsSpan(8);
            var space = rest.IndexOf(' ');
            target = ParseAuthority(space < 0 ? rest : rest[..space]) ?? target;
        }
        return target;
    }

    /// <summary>authority-form: host ":" port, the host a name, IPv4 literal or "[" IPv6 "]" (RFC 3986 section 3.2.2).</summary>
    internal static PreambleTarget? ParseAuthority(ReadOnlySpan<char> authority)
    {
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return null;
        }
        var host = authority[..colon];
        if (host.Length > 2 && host[0] == '[' && host[^1] == ']')
        {
            host = host[1..^1];
        }
        return host.IsEmpty ? null : new PreambleTarget(host.ToString(), port);
    }
}
