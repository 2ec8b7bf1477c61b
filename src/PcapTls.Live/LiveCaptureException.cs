namespace PcapTls.Live;

/// <summary>Why a live capture could not start.</summary>
public enum LiveCaptureError
{
    /// <summary>The native libpcap library is not installed.</summary>
    LibpcapMissing,
    /// <summary>Not root and no CAP_NET_RAW/CAP_NET_ADMIN.</summary>
    NoPermission,
    NoSuchInterface,
    /// <summary>libpcap could not compile the BPF filter.</summary>
    BadFilter,
    /// <summary>libpcap refused to open the interface for another reason (its message says which).</summary>
    OpenFailed,
}

/// <summary>A live capture could not start; the message is one line meant for the user.</summary>
public sealed class LiveCaptureException(LiveCaptureError error, string message, Exception? inner = null) : Exception(message, inner)
{
    public LiveCaptureError Error { get; } = error;
}
