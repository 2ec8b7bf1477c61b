namespace PcapTls.Capture.Encapsulations;

/// <summary>What a decoder says after looking at its header.</summary>
internal enum LayerOutcome : byte
{
    /// <summary>Header consumed; <see cref="FrameWalk.Next"/> says which decoder takes the rest.</summary>
    Continue,
    NotIp,
    NotTcp,
    Truncated,
    Malformed,
    /// <summary>An identifier no table row knows: <see cref="FrameWalk.UnknownTable"/> and value say which.</summary>
    Unknown,
    /// <summary>An IP fragment; the walk stays at the fragment's IP header.</summary>
    Fragment,
}

/// <summary>
/// The state of one frame's walk from the link header inwards: the bytes from the current header on, the
/// decoder that takes them next, the path so far and the innermost IP addresses seen. Each decoder consumes its
/// header and names the next one (Zeek's packet_analysis AnalyzePacket/ForwardPacket, without allocation).
/// </summary>
internal ref struct FrameWalk
{
    /// <summary>Stacked VLAN tags beyond this are not a real frame (and bound the walk).</summary>
    public const int MaxVlanTags = 4;

    /// <summary>The captured bytes from the current header on.</summary>
    public ReadOnlySpan<byte> Data;

    /// <summary>The current header and what follows it as on the wire (at least Data.Length); bounds lengths
    /// a header announces when the snapshot length cut the frame.</summary>
    public int WireLength;

    public Layer Next;

    public EncapsulationPath Path;

    public int VlanTags;

    public bool HasIp;
    public bool IsIPv6;
    public UInt128 Source;
    public UInt128 Destination;

    /// <summary>Where the innermost IP header starts in the frame (valid after an IP decoder ran).</summary>
    public int IpOffset;

    /// <summary>Offset of <see cref="Data"/> in the frame.</summary>
    public int Offset;

    public DispatchTable UnknownTable;
    public uint UnknownValue;

    public FrameWalk(ReadOnlySpan<byte> data, int wireLength, Layer first)
    {
        Data = data;
        WireLength = Math.Max(wireLength, data.Length);
        Next = first;
    }

    /// <summary>The decoder read <paramref name="length"/> bytes of header; <paramref name="next"/> takes the rest.
    /// A header longer than the bytes left is a truncated frame (each decoder checks first; this is the backstop).</summary>
    public LayerOutcome Consume(int length, Layer next)
    {
        if ((uint)length > (uint)Data.Length)
        {
            return LayerOutcome.Truncated;
        }
        Data = Data[length..];
        WireLength -= length;
        Offset += length;
        Next = next;
        return LayerOutcome.Continue;
    }

    /// <summary>The wire says this layer ends after <paramref name="length"/> bytes (Ethernet padding, trailers).</summary>
    public void LimitTo(int length)
    {
        if (length < WireLength)
        {
            WireLength = length;
        }
        if (length < Data.Length)
        {
            Data = Data[..length];
        }
    }

    public LayerOutcome Record(Layer layer, uint value = 0) =>
        Path.TryAdd(layer, value) ? LayerOutcome.Continue : LayerOutcome.Malformed;

    public LayerOutcome Unknown(DispatchTable table, uint value)
    {
        UnknownTable = table;
        UnknownValue = value;
        return LayerOutcome.Unknown;
    }

    /// <summary>A new IP header: the one before it becomes tunnel context (its endpoints in a fixed order, so
    /// both directions get the same context).</summary>
    public void EnterIp(UInt128 source, UInt128 destination, bool isIPv6)
    {
        if (HasIp)
        {
            var (low, high) = Source <= Destination ? (Source, Destination) : (Destination, Source);
            Path.MixContext((ulong)low);
            Path.MixContext((ulong)(low >> 64));
            Path.MixContext((ulong)high);
            Path.MixContext((ulong)(high >> 64));
        }
        HasIp = true;
        Source = source;
        Destination = destination;
        IsIPv6 = isIPv6;
        IpOffset = Offset;
    }
}
