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

    /// <summary>"ip:port", or "[v6]:port" for IPv6.</summary>
    public override string ToString() => IsIPv6 ? $"[{ToIPAddress()}]:{Port}" : $"{ToIPAddress()}:{Port}";
}
