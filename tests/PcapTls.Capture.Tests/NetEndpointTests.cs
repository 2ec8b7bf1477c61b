using System.Buffers.Binary;
using System.Net;

namespace PcapTls.Capture.Tests;

[TestClass]
public sealed class NetEndpointTests
{
    /// <summary>The endpoint's text is what IPAddress prints, for both families (the IPv4 path writes it itself).</summary>
    [TestMethod]
    [DataRow("127.0.0.1", 443)]
    [DataRow("10.255.0.7", 65535)]
    [DataRow("0.0.0.0", 0)]
    [DataRow("255.255.255.255", 1)]
    [DataRow("2001:db8::1", 8443)]
    [DataRow("::ffff:10.1.2.3", 443)]
    public void TextIsIpAddressAndPort(string address, int port)
    {
        var ip = IPAddress.Parse(address);
        var bytes = new byte[16];
        var v6 = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        ip.GetAddressBytes().CopyTo(bytes, v6 ? 0 : 12);
        var endpoint = new NetEndpoint(BinaryPrimitives.ReadUInt128BigEndian(bytes), v6, (ushort)port);
        Assert.AreEqual(v6 ? $"[{ip}]:{port}" : $"{ip}:{port}", endpoint.ToString());
        Assert.AreEqual(ip, endpoint.ToIPAddress());
    }
}
