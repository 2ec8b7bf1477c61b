using System.Net;
using System.Text;

namespace PcapTls.Support.MessageProcessor;

/// <summary>
/// The handshake-failed message of the MP's HTTP client:
/// <code>HTTPClient$Context.handshakeFailed() : SSLClientChannel[Connected: Remote:10.1.2.3:443 Local:192.168.194.140:55102]@64596 useCount=1 ... handshake failed, message: General SSLEngine problem</code>
/// Remote is the backend, Local the MP's end (its port names the connection in a capture).
/// </summary>
internal static class SslClientChannel
{
    public static bool IsHandshakeFailed(ReadOnlySpan<byte> message) => message.IndexOf("handshakeFailed("u8) >= 0;

    /// <returns>False when the channel's addresses cannot be read (reported as an anomaly; the record is still kept).</returns>
    public static bool TryRead(ReadOnlySpan<byte> message, out IPEndPoint? remote, out IPEndPoint? local, out string? channelId, out string? failure)
    {
        remote = null;
        local = null;
        channelId = null;
        failure = null;
        var marker = "handshake failed, message:"u8;
        var m = message.IndexOf(marker);
        if (m >= 0)
        {
            failure = Encoding.UTF8.GetString(message[(m + marker.Length)..].Trim((byte)' '));
        }
        var open = message.IndexOf("SSLClientChannel["u8);
        if (open < 0)
        {
            return false;
        }
        var inside = message[(open + "SSLClientChannel["u8.Length)..];
        // "]@N" ends the channel; a bracketed IPv6 address inside it has its own ']'.
        var close = inside.IndexOf("]@"u8);
        if (close < 0)
        {
            close = inside.IndexOf("] "u8);
        }
        if (close < 0)
        {
            close = inside.LastIndexOf((byte)']');
        }
        if (close < 0)
        {
            return false;
        }
        var after = inside[(close + 1)..];
        if (after.Length > 1 && after[0] == '@')
        {
            var digits = after[1..];
            var n = 0;
            while (n < digits.Length && digits[n] >= '0' && digits[n] <= '9')
            {
                n++;
            }
            if (n > 0)
            {
                channelId = Encoding.ASCII.GetString(digits[..n]);
            }
        }
        inside = inside[..close];
        remote = Endpoint(inside, "Remote:"u8);
        local = Endpoint(inside, "Local:"u8);
        return remote is not null && local is not null;
    }

    /// <summary><c>Remote:10.1.2.3:443</c>, <c>Remote:/10.1.2.3:443</c>, <c>Remote:host/10.1.2.3:443</c> (Java's InetSocketAddress) or <c>[::1]:443</c>.</summary>
    private static IPEndPoint? Endpoint(ReadOnlySpan<byte> s, ReadOnlySpan<byte> name)
    {
        var at = s.IndexOf(name);
        if (at < 0)
        {
            return null;
        }
        var v = s[(at + name.Length)..];
        var end = v.IndexOfAny((byte)' ', (byte)',');
        if (end >= 0)
        {
            v = v[..end];
        }
        var slash = v.LastIndexOf((byte)'/');
        if (slash >= 0)
        {
            v = v[(slash + 1)..];
        }
        var text = Encoding.ASCII.GetString(v);
        if (IPEndPoint.TryParse(text, out var ep) && ep.Port != 0)
        {
            return ep;
        }
        // Java prints IPv6 socket addresses without brackets (0:0:0:0:0:0:0:1:443): the port is after the last colon.
        var colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), out var port) && port is > 0 and < 65536 && IPAddress.TryParse(text.AsSpan(0, colon), out var ip))
        {
            return new IPEndPoint(ip, port);
        }
        return null;
    }
}
