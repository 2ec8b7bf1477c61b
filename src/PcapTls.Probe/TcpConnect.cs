using System.Net.Sockets;

namespace PcapTls.Probe;

/// <summary>How opening a TCP connection before a deadline ended.</summary>
internal enum TcpConnectOutcome
{
    Connected,
    /// <summary>The deadline passed first (a firewall dropping SYNs).</summary>
    TimedOut,
    /// <summary>Refused, unreachable or not resolved: <see cref="TcpConnectResult.Error"/> says which.</summary>
    Failed,
}

internal readonly record struct TcpConnectResult(TcpConnectOutcome Outcome, SocketError Error = SocketError.Success);

/// <summary>The one way the probe and the client-authentication check open their connection: before the deadline,
/// with the caller's own cancellation still thrown as cancellation (not turned into a timeout).</summary>
internal static class TcpConnect
{
    public static async Task<TcpConnectResult> BeforeDeadlineAsync(TcpClient tcp, string host, int port, CancellationToken deadline, CancellationToken cancellation)
    {
        try
        {
            await tcp.ConnectAsync(host, port, deadline).ConfigureAwait(false);
            return new TcpConnectResult(TcpConnectOutcome.Connected);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return new TcpConnectResult(TcpConnectOutcome.TimedOut);
        }
        catch (SocketException e)
        {
            return new TcpConnectResult(TcpConnectOutcome.Failed, e.SocketErrorCode);
        }
    }
}
