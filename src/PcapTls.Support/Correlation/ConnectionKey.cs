using System.Net;

namespace PcapTls.Support.Correlation;

/// <summary>A TCP connection named by its two ends, compared by address and port (IPv4-mapped IPv6 folded to IPv4).</summary>
public readonly record struct ConnectionKey(IPAddress LocalAddress, int LocalPort, IPAddress RemoteAddress, int RemotePort)
{
    public static ConnectionKey Of(IPEndPoint local, IPEndPoint remote) => new(Fold(local.Address), local.Port, Fold(remote.Address), remote.Port);

    /// <summary>A handshake's client ("ip:port", "[v6]:port") is the MP's Local, its server the MP's Remote.</summary>
    public static ConnectionKey? OfHandshake(string client, string server) =>
        IPEndPoint.TryParse(client, out var c) && IPEndPoint.TryParse(server, out var s) ? Of(c, s) : null;

    private static IPAddress Fold(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}
