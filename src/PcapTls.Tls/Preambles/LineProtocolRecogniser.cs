namespace PcapTls.Tls.Preambles;

/// <summary>
/// Line protocols in lockstep, where the server greets, then answers each client command line with one reply:
/// SMTP (RFC 5321; STARTTLS, RFC 3207: 220 go ahead, 454/501/5xx refused), FTP (RFC 959; AUTH TLS, RFC 4217:
/// 234 go ahead, 4xx/5xx refused), NNTP (RFC 3977; STARTTLS, RFC 4642: 382 continue, 502/580 refused) and POP3
/// (RFC 1939; STLS, RFC 2595: +OK go ahead, -ERR refused). The refusal is the reply to the upgrade command,
/// found by counting replies: the greeting is reply 0, the client's command k gets reply k + 1.
/// </summary>
public sealed class LineProtocolRecogniser : IPreambleRecogniser
{
    private readonly Func<string, bool> isGreeting;
    private readonly Func<string, bool> isClientFirst;
    private readonly Func<string, bool> isUpgrade;
    private readonly Func<string, string, bool> opensDataBlock;
    private readonly bool numeric;

    private LineProtocolRecogniser(string protocol, bool numeric, Func<string, bool> isGreeting, Func<string, bool> isClientFirst,
        Func<string, bool> isUpgrade, Func<string, string, bool> opensDataBlock)
    {
        Protocol = protocol;
        this.numeric = numeric;
        this.isGreeting = isGreeting;
        this.isClientFirst = isClientFirst;
        this.isUpgrade = isUpgrade;
        this.opensDataBlock = opensDataBlock;
    }

    private static bool Starts(string s, string p) => PreambleText.Starts(s, p);

    private static bool Is(string s, string command) => s.Equals(command, StringComparison.OrdinalIgnoreCase) || Starts(s, command + " ");

    /// <summary>FTP servers greet with 220 like SMTP ones; the banner says FTP.</summary>
    public static readonly LineProtocolRecogniser Ftp = new("FTP", numeric: true,
        l => PreambleText.ReplyCode(l) == 220 && l.Contains("FTP", StringComparison.OrdinalIgnoreCase),
        l => Starts(l, "AUTH TLS") || Starts(l, "AUTH SSL") || Is(l, "FEAT") || Starts(l, "USER "),
        l => Starts(l, "AUTH TLS") || Starts(l, "AUTH SSL"),
        (_, _) => false);

    public static readonly LineProtocolRecogniser Smtp = new("SMTP", numeric: true,
        l => PreambleText.ReplyCode(l) == 220,
        l => Starts(l, "EHLO ") || Starts(l, "HELO ") || Starts(l, "LHLO "),
        l => Is(l, "STARTTLS"),
        (_, _) => false);

    /// <summary>NNTP greets 200 or 201; some replies are followed by a data block ending in a lone ".".</summary>
    public static readonly LineProtocolRecogniser Nntp = new("NNTP", numeric: true,
        l => PreambleText.ReplyCode(l) is 200 or 201,
        l => Is(l, "CAPABILITIES") || Starts(l, "MODE READER"),
        l => Is(l, "STARTTLS"),
        (_, reply) => PreambleText.ReplyCode(reply) is 100 or 101 or 215 or 220 or 221 or 222 or 224 or 225 or 230 or 231);

    /// <summary>POP3: a +OK to CAPA, RETR, TOP, and LIST or UIDL without argument, is followed by a data block ending in ".".</summary>
    public static readonly LineProtocolRecogniser Pop3 = new("POP3", numeric: false,
        l => Starts(l, "+OK"),
        l => Is(l, "CAPA") || Is(l, "STLS") || Starts(l, "USER ") || Starts(l, "APOP "),
        l => Is(l, "STLS"),
        (command, reply) => Starts(reply, "+OK") && (Is(command, "CAPA") || Starts(command, "RETR ") || Starts(command, "TOP ")
            || command.Equals("LIST", StringComparison.OrdinalIgnoreCase) || command.Equals("UIDL", StringComparison.OrdinalIgnoreCase)));

    public string Protocol { get; }

    public PreambleRole Recognise(ReadOnlySpan<byte> first, string? peerProtocol, bool final)
    {
        var line = PreambleText.FirstLine(first, final);
        if (line is null)
        {
            return PreambleRole.NeedMore;
        }
        if (peerProtocol == Protocol)
        {
            // The server greeted first: whatever the client says is this protocol's command.
            return PreambleRole.Client;
        }
        if (isGreeting(line))
        {
            return PreambleRole.Server;
        }
        return isClientFirst(line) ? PreambleRole.Client : PreambleRole.None;
    }

    public string? FindRefusal(ReadOnlySpan<byte> server, ReadOnlySpan<byte> client)
    {
        var commands = PreambleText.Lines(client);
        var upgrade = commands.FindLastIndex(c => isUpgrade(c));
        if (upgrade < 0)
        {
            return null;
        }
        var replies = Replies(PreambleText.Lines(server), commands);
        if (upgrade + 1 >= replies.Count)
        {
            return null;
        }
        var reply = replies[upgrade + 1];
        var refused = numeric ? PreambleText.ReplyCode(reply) >= 400 : Starts(reply, "-ERR");
        return refused ? PreambleText.Quote(reply) : null;
    }

    /// <summary>The final reply lines, one per command (the greeting first), skipping continuations, preliminary 1xx replies and data blocks.</summary>
    private List<string> Replies(List<string> lines, List<string> commands)
    {
        var replies = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (numeric)
            {
                var code = PreambleText.ReplyCode(line);
                // "ddd-" continues a multi-line reply; FTP's 1xx replies are preliminary (RFC 959 section 4.2).
                if (code < 0 || line.Length > 3 && line[3] == '-' || (Protocol == "FTP" && code < 200))
                {
                    continue;
                }
            }
            else if (!Starts(line, "+OK") && !Starts(line, "-ERR"))
            {
                continue;
            }
            var command = replies.Count == 0 ? "" : replies.Count - 1 < commands.Count ? commands[replies.Count - 1] : "";
            replies.Add(line);
            if (opensDataBlock(command, line))
            {
                while (i + 1 < lines.Count && lines[i + 1] != ".")
                {
                    i++;
                }
                i++;
            }
        }
        return replies;
    }

    public PreambleTarget? FindTarget(ReadOnlySpan<byte> client) => null;
}
