using System.Net;

namespace PcapTls.Support.MessageProcessor;

/// <summary>Where a log record starts: the file as given and its 1-based line.</summary>
public sealed record LogLocation(string File, long Line);

/// <summary>One exception of a logged chain: the outermost first, then each <c>Caused by:</c>.</summary>
/// <param name="Message">The exception's message as logged (empty when it has none).</param>
public sealed record JavaException(string Class, string Message)
{
    public override string ToString() => Message.Length == 0 ? Class : $"{Class}: {Message}";
}

/// <summary>The context Apigee writes before each record: <c>org:... env:... api:... rev:... messageid:...</c>.</summary>
public sealed record MpContext(string? Org, string? Env, string? Api, string? Revision, string? MessageId)
{
    public static readonly MpContext None = new(null, null, null, null, null);

    public bool IsEmpty => Org is null && Env is null && Api is null && Revision is null && MessageId is null;
}

/// <summary>
/// A Message Processor's failed backend handshake: the <c>HTTPClient$Context.handshakeFailed()</c> record with the
/// channel's addresses (Remote = the backend, Local = the MP's own address and port, which name the connection),
/// and the exception logged for the same message (same message ID, or the next record of the same thread).
/// </summary>
/// <param name="Time">The record's time converted to UTC with the offset the logs were read with; null when the line has none.</param>
/// <param name="ChannelId">The number after <c>SSLClientChannel[...]@</c>.</param>
/// <param name="HandshakeMessage">The text after <c>handshake failed, message:</c>.</param>
/// <param name="ExceptionAt">Where the exception was logged (null when none was found).</param>
public sealed record MpHandshakeFailure(
    LogLocation At,
    DateTimeOffset? Time,
    MpContext Context,
    string? Thread,
    IPEndPoint? Remote,
    IPEndPoint? Local,
    string? ChannelId,
    string? HandshakeMessage,
    IReadOnlyList<JavaException> Exceptions,
    LogLocation? ExceptionAt);

/// <summary>An exception record about TLS that no handshake-failed record claims (so it has no connection addresses).</summary>
public sealed record MpExceptionRecord(LogLocation At, DateTimeOffset? Time, MpContext Context, string? Thread, IReadOnlyList<JavaException> Exceptions);

/// <summary>What the Message Processor logs gave: the failures, the exceptions left over, and how each file read.</summary>
public sealed record MpLogResult(
    IReadOnlyList<MpHandshakeFailure> Failures,
    IReadOnlyList<MpExceptionRecord> UnclaimedExceptions,
    IReadOnlyList<Logs.LogReadSummary> Files,
    TimeSpan UtcOffset,
    long EventsNotKept);
