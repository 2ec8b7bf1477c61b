using System.Text;

namespace PcapTls.Support.MessageProcessor;

/// <summary>
/// The head of one Message Processor log record, as log4j/logback writes it in <c>system.log</c>:
/// <code>
/// 2026-11-27 00:29:53,113 org:myorg env:test api:MyProxy rev:1 messageid:myorg-28247-3541813-1 NIOThread@1 ERROR HTTP.CLIENT - HTTPClient$Context.handshakeFailed() : ...
/// [timestamp]             [context, each optional, also on lines of their own before the record] [thread] [level] [logger] - [message]
/// </code>
/// Read from the line's UTF-8 bytes; only what is kept becomes a string.
/// </summary>
internal readonly ref struct MpRecordHeader
{
    public DateTime? Time { get; init; }
    public ReadOnlySpan<byte> Org { get; init; }
    public ReadOnlySpan<byte> Env { get; init; }
    public ReadOnlySpan<byte> Api { get; init; }
    public ReadOnlySpan<byte> Revision { get; init; }
    public ReadOnlySpan<byte> MessageId { get; init; }
    public bool HasContext { get; init; }
    public ReadOnlySpan<byte> Thread { get; init; }
    public ReadOnlySpan<byte> Level { get; init; }
    public ReadOnlySpan<byte> Logger { get; init; }
    public ReadOnlySpan<byte> Message { get; init; }

    private static readonly byte[][] Levels = [.. new[] { "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "FATAL" }.Select(Encoding.ASCII.GetBytes)];

    /// <summary>What a line is: a record's head, a line of context only (for the record that follows), or neither.</summary>
    public enum LineKind
    {
        Other,
        Header,
        ContextOnly,
    }

    public static LineKind Classify(ReadOnlySpan<byte> line, out MpRecordHeader header)
    {
        header = default;
        var rest = line;
        DateTime? time = null;
        if (TryTimestamp(rest, out var t, out var used))
        {
            time = t;
            rest = rest[used..].TrimStart((byte)' ');
        }
        ReadOnlySpan<byte> org = [], env = [], api = [], rev = [], id = [];
        var contextTokens = 0;
        while (rest.Length > 0)
        {
            var token = NextToken(rest, out var after);
            if (token.Length > 4 && token.IndexOf((byte)':') is > 2 and < 10
                && (TryContext(token, "org:"u8, ref org) || TryContext(token, "env:"u8, ref env) || TryContext(token, "api:"u8, ref api)
                || TryContext(token, "rev:"u8, ref rev) || TryContext(token, "messageid:"u8, ref id)))
            {
                contextTokens++;
                rest = after;
                continue;
            }
            break;
        }
        if (rest.IsEmpty)
        {
            if (contextTokens > 0)
            {
                header = new MpRecordHeader { Time = time, Org = org, Env = env, Api = api, Revision = rev, MessageId = id, HasContext = true };
                return LineKind.ContextOnly;
            }
            return LineKind.Other;
        }
        var thread = NextToken(rest, out var r1);
        var level = NextToken(r1, out var r2);
        var logger = NextToken(r2, out var r3);
        var dash = NextToken(r3, out var message);
        if (thread.IsEmpty || !IsLevel(level) || logger.IsEmpty || !dash.SequenceEqual("-"u8))
        {
            return LineKind.Other;
        }
        header = new MpRecordHeader { Time = time, Org = org, Env = env, Api = api, Revision = rev, MessageId = id, HasContext = contextTokens > 0, Thread = thread, Level = level, Logger = logger, Message = message };
        return LineKind.Header;
    }

    private static bool IsLevel(ReadOnlySpan<byte> token)
    {
        foreach (var l in Levels)
        {
            if (token.SequenceEqual(l))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The context as strings: made only for the records that are kept.</summary>
    public MpContext Context => HasContext ? new MpContext(Str(Org), Str(Env), Str(Api), Str(Revision), Str(MessageId)) : MpContext.None;

    private static string? Str(ReadOnlySpan<byte> v) => v.IsEmpty ? null : Encoding.UTF8.GetString(v);

    private static bool TryContext(ReadOnlySpan<byte> token, ReadOnlySpan<byte> prefix, scoped ref ReadOnlySpan<byte> value)
    {
        if (!token.StartsWith(prefix))
        {
            return false;
        }
        value = token[prefix.Length..];
        return true;
    }

    private static ReadOnlySpan<byte> NextToken(ReadOnlySpan<byte> s, out ReadOnlySpan<byte> rest)
    {
        s = s.TrimStart((byte)' ');
        var end = s.IndexOfAny((byte)' ', (byte)'\t');
        if (end < 0)
        {
            rest = [];
            return s;
        }
        rest = s[(end + 1)..].TrimStart((byte)' ');
        return s[..end];
    }

    /// <summary><c>yyyy-MM-dd HH:mm:ss[,.]fff</c> (also with a 'T'), fractions of 1 to 9 digits.</summary>
    internal static bool TryTimestamp(ReadOnlySpan<byte> s, out DateTime time, out int used)
    {
        time = default;
        used = 0;
        if (s.Length < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':')
        {
            return false;
        }
        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)
            || !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second))
        {
            return false;
        }
        used = 19;
        long ticks = 0;
        if (s.Length > 20 && (s[19] == ',' || s[19] == '.') && s[20] >= '0' && s[20] <= '9')
        {
            var i = 20;
            long scale = TimeSpan.TicksPerSecond;
            while (i < s.Length && i < 29 && s[i] >= '0' && s[i] <= '9')
            {
                scale /= 10;
                ticks += (s[i] - '0') * scale;
                i++;
            }
            used = i;
        }
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Clamp(year, 1, 9999), month) || hour > 23 || minute > 59 || second > 59 || year < 1)
        {
            used = 0;
            return false;
        }
        time = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(ticks);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (s[i] < '0' || s[i] > '9')
            {
                return false;
            }
            value = (value * 10) + (s[i] - '0');
        }
        return true;
    }
}
