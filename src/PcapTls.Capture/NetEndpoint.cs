using System.Net;

namespace PcapTls.Capture;

/// <summary>An IPv4 or IPv6 address and TCP port, stored inline (no allocation per packet).</summary>
public readonly record struct NetEndpoint(UInt128 Address, bool IsIPv6, ushort Port)
{
    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, Address);
        return IsIPv6 ? new IPAddress(bytes) : new IPAddress(bytes[12..]);
    }

    /// <summary>"ip:port", or "[v6]:port" for IPv6. IPv4 is written without an IPAddress (one string per report of a
    /// busy capture's 100,000 clients).</summary>
    public override string ToString()
    {
        if (IsIPv6)
        {
            return $"[{ToIPAddress()}]:{Port}";
        }
        var v4 = (uint)Address;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{v4 >> 24}.{(v4 >> 16) & 0xFF}.{(v4 >> 8) & 0xFF}.{v4 & 0xFF}:{Port}");
    }
}
