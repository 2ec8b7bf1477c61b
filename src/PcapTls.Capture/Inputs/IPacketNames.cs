namespace PcapTls.Capture.Inputs;

/// <summary>
/// How the report names a packet when the capture is several files: the file and the file's own frame number
/// ("ring.pcap3#12", what the user opens in Wireshark) instead of the merged number. Safe to call from the
/// analysis's threads while the capture is being read (a packet is named after it was delivered).
/// </summary>
public interface IPacketNames
{
    /// <summary>"name#12" for a delivered packet, or "#number" when its origin is unknown.</summary>
    string Name(long packet);

    /// <summary>Index (in the input's order) of the file the packet came from, or -1 when unknown.</summary>
    int FileOf(long packet);

    /// <summary>The files' names as the report shows them (the file name, without its folder).</summary>
    IReadOnlyList<string> FileNames { get; }
}
