using System.Net;
using System.Net.Sockets;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PcapTls.Live;

/// <summary>One interface libpcap can capture on.</summary>
/// <param name="Addresses">IPv4/IPv6 addresses with their prefix length ("127.0.0.1/8").</param>
public sealed record CaptureInterface(string Name, string? Description, IReadOnlyList<string> Addresses, bool IsLoopback, bool IsUp, bool IsRunning);

/// <summary>The capture interfaces, as libpcap's pcap_findalldevs lists them (works without root).</summary>
public static class CaptureInterfaces
{
    // pcap_if_t.flags (pcap/pcap.h).
    private const uint PcapIfLoopback = 0x1;
    private const uint PcapIfUp = 0x2;
    private const uint PcapIfRunning = 0x4;

    public static IReadOnlyList<CaptureInterface> List()
        => WithLibpcap(() => LibPcapLiveDeviceList.New().Select(Describe).ToList());

    internal static CaptureInterface Describe(LibPcapLiveDevice d)
    {
        var addresses = new List<string>();
        foreach (var a in d.Addresses)
        {
            if (a.Addr?.ipAddress is not { } ip || ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            {
                continue;
            }
            var prefix = a.Netmask?.ipAddress is { } mask && mask.AddressFamily == ip.AddressFamily ? PrefixLength(mask) : -1;
            addresses.Add(prefix >= 0 ? $"{ip}/{prefix}" : ip.ToString());
        }
        return new CaptureInterface(d.Name, string.IsNullOrWhiteSpace(d.Description) ? null : d.Description, addresses,
            (d.Flags & PcapIfLoopback) != 0 || d.Loopback, (d.Flags & PcapIfUp) != 0, (d.Flags & PcapIfRunning) != 0);
    }

    /// <summary>Leading one bits of a netmask; -1 when the mask is not contiguous.</summary>
    internal static int PrefixLength(IPAddress mask)
    {
        var bits = 0;
        var ended = false;
        foreach (var b in mask.GetAddressBytes())
        {
            for (var i = 7; i >= 0; i--)
            {
                var one = ((b >> i) & 1) != 0;
                if (one && ended)
                {
                    return -1;
                }
                if (one)
                {
                    bits++;
                }
                else
                {
                    ended = true;
                }
            }
        }
        return bits;
    }

    /// <summary>Runs a SharpPcap call, turning a missing native libpcap into one clear error.</summary>
    internal static T WithLibpcap<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (IsLibpcapMissing(e))
        {
            throw new LiveCaptureException(LiveCaptureError.LibpcapMissing,
                "libpcap is not installed (Debian/Ubuntu: apt-get install libpcap0.8; RHEL/Fedora: dnf install libpcap)", e);
        }
    }

    private static bool IsLibpcapMissing(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return true;
            }
        }
        return false;
    }
}
