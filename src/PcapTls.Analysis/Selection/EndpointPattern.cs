using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PcapTls.Analysis.Selection;

/// <summary>
/// One side of a connection as the user names it: an IP address, a CIDR block or a host name, each with an
/// optional port (<c>10.1.2.3</c>, <c>10.0.0.0/8:443</c>, <c>[fd00::1]:8443</c>, <c>backend.example.com:443</c>,
/// <c>*.example.com</c>). A host name matches the handshake's SNI or the host it was checked against (a CONNECT
/// target, --host), never a DNS lookup: the capture's time is long gone.
/// </summary>
public sealed class EndpointPattern
{
    private readonly IPNetwork? _network;
    private readonly NamePattern? _name;

    private EndpointPattern(string text, IPNetwork? network, NamePattern? name, int? port)
    {
        Text = text;
        _network = network;
        _name = name;
        Port = port;
    }

    public string Text { get; }

    public int? Port { get; }

    public bool IsName => _name is not null;

    /// <summary>Parses HOST[:PORT]; false with a reason for what cannot be an address, a block or a name.</summary>
    public static bool TryParse(string text, bool allowNames, out EndpointPattern? pattern, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        pattern = null;
        error = null;
        var host = text.Trim();
        int? port = null;
        if (host.StartsWith('['))
        {
            // [v6] or [v6]:port or [v6/len]:port
            var close = host.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = "a '[' without its ']'";
                return false;
            }
            var rest = host[(close + 1)..];
            host = host[1..close];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':') || !TryPort(rest[1..], out var p))
                {
                    error = $"'{rest}' after ']' is not ':PORT'";
                    return false;
                }
                port = p;
            }
        }
        else if (host.Count(c => c == ':') == 1)
        {
            // host:port, a.b.c.d:port or a.b.c.d/len:port (a bare IPv6 address has several colons).
            var colon = host.IndexOf(':', StringComparison.Ordinal);
            if (!TryPort(host[(colon + 1)..], out var p))
            {
                error = $"'{host[(colon + 1)..]}' is not a port (1-65535)";
                return false;
            }
            port = p;
            host = host[..colon];
        }
        if (host.Length == 0)
        {
            error = "no host";
            return false;
        }
        if (host.Contains('/', StringComparison.Ordinal))
        {
            if (!IPNetwork.TryParse(host, out var block))
            {
                error = $"'{host}' is not a CIDR block (e.g. 10.0.0.0/8, fd00::/8)";
                return false;
            }
            pattern = new EndpointPattern(text, block, null, port);
            return true;
        }
        if (IPAddress.TryParse(host, out var ip) && (ip.AddressFamily == AddressFamily.InterNetworkV6 || host.Count(c => c == '.') == 3))
        {
            pattern = new EndpointPattern(text, new IPNetwork(ip, ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128), null, port);
            return true;
        }
        if (!allowNames)
        {
            error = $"'{host}' is not an IP address or CIDR block";
            return false;
        }
        if (!NamePattern.TryParse(host, out var name))
        {
            error = $"'{host}' is not an IP address, CIDR block or host name";
            return false;
        }
        pattern = new EndpointPattern(text, null, name, port);
        return true;
    }

    private static bool TryPort(string text, out int port)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;

    /// <summary>Whether the endpoint <paramref name="endpoint"/> ("ip:port", "[v6]:port" as the report writes it),
    /// or for a name the handshake's SNI or host checked, is this one.</summary>
    public bool Matches(string endpoint, string? sni, string? hostChecked)
    {
        if (!TrySplit(endpoint, out var ip, out var port))
        {
            return false;
        }
        if (Port is { } p && p != port)
        {
            return false;
        }
        if (_network is { } block)
        {
            return block.Contains(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);
        }
        return (sni is not null && _name!.Matches(sni)) || (hostChecked is not null && _name!.Matches(hostChecked));
    }

    internal static bool TrySplit(string endpoint, out IPAddress ip, out int port)
    {
        ip = IPAddress.None;
        port = 0;
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            return false;
        }
        var host = endpoint.AsSpan(0, colon).Trim('[').Trim(']');
        return IPAddress.TryParse(host, out ip!);
    }
}
