using System.Runtime.CompilerServices;
using System.Text;

namespace PcapTls.Capture.Encapsulations;

/// <summary>
/// The headers a segment was found under, outermost first, each with its identifying number (VLAN id, MPLS
/// label, VNI, GRE key, ERSPAN session), and a hash of the tunnel context (VLAN ids, VNIs, keys, outer IP
/// endpoints) that keeps two tenants' equal inner addresses apart. Inline, no allocation per packet.
/// </summary>
public struct EncapsulationPath
{
    /// <summary>Headers recorded per packet; decoding stops (malformed) beyond this.</summary>
    public const int MaxLayers = 16;

    private LayerBuffer _layers;
    private byte _count;

    public readonly int Count => _count;

    /// <summary>A hash of everything outside the innermost IP header that tells one tunnel or VLAN from another;
    /// 0 when the segment came without any.</summary>
    public ulong TunnelContext { get; private set; }

    public readonly (Layer Layer, uint Value) this[int index] =>
        ((Layer)(byte)_layers[index], (uint)(_layers[index] >> 8));

    internal bool TryAdd(Layer layer, uint value = 0)
    {
        if (_count >= MaxLayers)
        {
            return false;
        }
        _layers[_count++] = (byte)layer | ((ulong)value << 8);
        return true;
    }

    /// <summary>Same headers and numbers (the tunnel context follows from them).</summary>
    public readonly bool SameLayers(in EncapsulationPath other)
    {
        if (_count != other._count)
        {
            return false;
        }
        for (var i = 0; i < _count; i++)
        {
            if (_layers[i] != other._layers[i])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Mixes an identifier of the tunnel context into <see cref="TunnelContext"/>.</summary>
    internal void MixContext(ulong value)
    {
        var h = (TunnelContext ^ value) * 0x9E3779B97F4A7C15UL;
        TunnelContext = (h ^ (h >> 29)) | 1; // never 0 once something was mixed in
    }

    /// <summary>e.g. <c>ethernet/vlan 10/ipv4/vxlan 42/ethernet/ipv4</c> (UDP and the final TCP left out).</summary>
    public override readonly string ToString()
    {
        var b = new StringBuilder();
        for (var i = 0; i < _count; i++)
        {
            var (layer, value) = this[i];
            var name = Name(layer, value);
            if (name is null)
            {
                continue;
            }
            if (b.Length > 0)
            {
                b.Append('/');
            }
            b.Append(name);
        }
        return b.ToString();
    }

    private static string? Name(Layer layer, uint value) => layer switch
    {
        Layer.Ethernet => "ethernet",
        Layer.Vlan => $"vlan {value}",
        Layer.QinQ => $"vlan {value} (802.1ad)",
        Layer.Mpls => $"mpls {value}",
        Layer.PseudowireControlWord => "pw",
        Layer.PppoeSession => $"pppoe {value}",
        Layer.Ppp => "ppp",
        Layer.CiscoHdlc => "chdlc",
        Layer.LlcSnap => "llc",
        Layer.LinuxSll => "linux-sll",
        Layer.LinuxSll2 => "linux-sll2",
        Layer.BsdLoopback => "null",
        Layer.Nflog => "nflog",
        Layer.Ieee80211 => "802.11",
        Layer.Radiotap => "radiotap",
        Layer.Ppi => "ppi",
        Layer.IPv4 => "ipv4",
        Layer.IPv6 => "ipv6",
        Layer.Gre => value == 0 ? "gre" : $"gre key {value}",
        Layer.ErspanI => "erspan I",
        Layer.ErspanII => $"erspan II {value}",
        Layer.ErspanIII => $"erspan III {value}",
        Layer.Vxlan => $"vxlan {value}",
        Layer.Geneve => $"geneve {value}",
        Layer.GtpU => $"gtp-u {value:x8}",
        _ => null,
    };

    [InlineArray(MaxLayers)]
    private struct LayerBuffer
    {
        private ulong _element;
    }
}
