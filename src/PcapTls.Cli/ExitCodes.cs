namespace PcapTls.Cli;

/// <summary>The process exit codes, documented in the README. One list, used by every verb.</summary>
public enum ExitCode
{
    /// <summary>The command ran to the end (whatever it found: a failed handshake is a finding, not an error).</summary>
    Ok = 0,
    /// <summary>`verify`/`probe`: the chain was not trusted. (analyze never uses it.)</summary>
    NotTrusted = 1,
    /// <summary>The command line was wrong (unknown option, missing argument, bad value).</summary>
    Usage = 2,
    /// <summary>An input could not be read: missing, unreadable, not a capture, corrupt beyond use, wrong password.</summary>
    InputError = 3,
    /// <summary>An output could not be written.</summary>
    OutputError = 4,
    /// <summary>Live capture could not start: no permission, no libpcap, no such interface, bad filter.</summary>
    CaptureError = 5,
    /// <summary>Interrupted before the end (Ctrl+C during analyze).</summary>
    Interrupted = 130,
    /// <summary>A bug: an unexpected exception (reported in one line; PCAPTLS_DEBUG=1 prints the stack).</summary>
    InternalError = 70,
}

/// <summary>An expected user-facing failure: printed as one line, no stack trace, with its exit code.</summary>
public sealed class UserErrorException(ExitCode code, string message, Exception? inner = null) : Exception(message, inner)
{
    public ExitCode Code { get; } = code;
}
