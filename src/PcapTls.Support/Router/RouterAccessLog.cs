using System.Globalization;
using System.Text;
using PcapTls.Support.Logs;

namespace PcapTls.Support.Router;

/// <summary>
/// One request in the Edge router's NGINX access log (<c>/opt/apigee/var/log/edge-router/nginx/ORG~ENV.PORT_access_log</c>),
/// fields separated by '|' in the order of Private Cloud 4.18.05's log_format:
/// <code>
/// 0 $time_iso8601 | 1 $remote_addr:$remote_port | 2 $hostname | 3 $upstream_addr (the MP) | 4 $request_time | 5 - | 6 - |
/// 7 $status | 8 $upstream_status | 9 $request_length | 10 $bytes_body | 11 $request | 12 X-Apigee-Message-ID |
/// 13 $http_user_agent | 14 $hostname-$pid-$connection-$connection_requests | 15 X-Forwarded-For | 16 X-Apigee-fault-flag |
/// 17 X-Apigee-fault-source | 18 X-Apigee-fault-code | 19 fault-policy | 20 fault-flow | 21 fault-revision | 22 dp-color |
/// 23 target latency | 24 X-Apigee-proxy | 25 ... (later fields, read but not used)
/// </code>
/// A '-' is an empty value.
/// </summary>
public sealed record RouterRequest(
    MessageProcessor.LogLocation At,
    DateTimeOffset Time,
    string? Client,
    string? Router,
    string? MessageProcessor,
    int Status,
    int? UpstreamStatus,
    string? Request,
    string? MessageId,
    string? FaultSource,
    string? FaultCode,
    string? Proxy)
{
    public const string SslHandshakeFailed = "messaging.adaptors.http.flow.SslHandshakeFailed";
}

/// <summary>What the router logs gave: the failing requests (status 5xx or a fault code) and how each file read.</summary>
public sealed record RouterLogResult(IReadOnlyList<RouterRequest> Requests, IReadOnlyList<LogReadSummary> Files, long EventsNotKept);

/// <summary>Streams router access logs and keeps only the failed requests (bounded by <see cref="LogLimits.MaxKeptEvents"/>).</summary>
public sealed class RouterAccessLogParser
{
    private const int MinimumFields = 19;
    private readonly List<RouterRequest> _requests = [];
    private readonly List<LogReadSummary> _files = [];
    private long _notKept;

    public void Read(string path, CancellationToken cancel = default)
    {
        var s = new FileState(path);
        Finish(s, LogLineReader.Read(path, (line, n) => OnLine(s, line, n), cancel));
    }

    public void Read(string name, Stream stream, CancellationToken cancel = default)
    {
        var s = new FileState(name);
        var summary = new LogReadSummary(name);
        LogLineReader.ReadLines(stream, summary, (line, n) => OnLine(s, line, n), cancel);
        Finish(s, summary);
    }

    public RouterLogResult Result() => new(_requests, _files, _notKept);

    private void Finish(FileState s, LogReadSummary summary)
    {
        if (s.Requests == 0 && s.Unknown > 0 && !summary.Anomalies.Any(a => a.Kind is LogAnomalyKind.BinaryData))
        {
            summary.Add(new LogAnomaly(s.File, 0, LogAnomalyKind.WrongFormat, summary.Lines));
        }
        else if (s.Unknown > 0)
        {
            summary.Add(new LogAnomaly(s.File, s.FirstUnknown, LogAnomalyKind.UnknownLines, s.Unknown));
        }
        if (s.NotKept > 0)
        {
            summary.Add(new LogAnomaly(s.File, 0, LogAnomalyKind.TooManyEvents, s.NotKept));
        }
        _files.Add(summary);
    }

    private bool OnLine(FileState s, ReadOnlySpan<byte> line, long number)
    {
        if (line.Trim((byte)' ').IsEmpty)
        {
            return true;
        }
        Span<Range> fields = stackalloc Range[32];
        var count = SplitFields(line, fields);
        if (count < MinimumFields || !TryTime(line[fields[0]], out var time) || !TryInt(line[fields[7]], out var status))
        {
            s.Unknown++;
            s.FirstUnknown = s.FirstUnknown == 0 ? number : s.FirstUnknown;
            if (s.Requests == 0 && s.Unknown >= LogLimits.MaxLinesWithoutRecord)
            {
                s.Unknown = LogLimits.MaxLinesWithoutRecord;
                return false;
            }
            return true;
        }
        s.Requests++;
        var faultCode = Value(line[fields[18]]);
        if (status < 500 && faultCode is null)
        {
            return true;
        }
        if (_requests.Count >= LogLimits.MaxKeptEvents)
        {
            _notKept++;
            s.NotKept++;
            return true;
        }
        _requests.Add(new RouterRequest(
            new MessageProcessor.LogLocation(s.File, number),
            time,
            Value(line[fields[1]]),
            Value(line[fields[2]]),
            Value(line[fields[3]]),
            status,
            TryInt(line[fields[8]], out var up) ? up : null,
            Value(line[fields[11]]),
            Value(line[fields[12]]),
            Value(line[fields[17]]),
            faultCode,
            count > 24 ? Value(line[fields[24]]) : null));
        return true;
    }

    /// <summary>The ranges of the '|'-separated fields (at most <paramref name="fields"/>.Length; the last holds the rest).</summary>
    private static int SplitFields(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        var count = 0;
        var start = 0;
        while (count < fields.Length - 1)
        {
            var bar = line[start..].IndexOf((byte)'|');
            if (bar < 0)
            {
                break;
            }
            fields[count++] = new Range(start, start + bar);
            start += bar + 1;
        }
        fields[count++] = new Range(start, line.Length);
        return count;
    }

    private static string? Value(ReadOnlySpan<byte> v)
    {
        v = v.Trim((byte)' ');
        return v.IsEmpty || v.SequenceEqual("-"u8) ? null : Encoding.UTF8.GetString(v);
    }

    private static bool TryInt(ReadOnlySpan<byte> v, out int value) => int.TryParse(v.Trim((byte)' '), NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static bool TryTime(ReadOnlySpan<byte> v, out DateTimeOffset time)
    {
        Span<char> chars = stackalloc char[40];
        v = v.Trim((byte)' ');
        time = default;
        if (v.Length > chars.Length)
        {
            return false;
        }
        var n = Encoding.ASCII.GetChars(v, chars);
        return DateTimeOffset.TryParseExact(chars[..n], ["yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFzzz"], CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
    }

    private sealed class FileState(string file)
    {
        public string File { get; } = file;
        public long Requests { get; set; }
        public long Unknown { get; set; }
        public long FirstUnknown { get; set; }
        public long NotKept { get; set; }
    }
}
