namespace PcapTls.Tls.Preambles;

/// <summary>
/// IMAP (RFC 9051, RFC 3501) STARTTLS (RFC 2595 section 3.1): the server greets "* OK" or "* PREAUTH"; client
/// commands carry a tag ("a002 STARTTLS"); the tagged reply "a002 OK" starts TLS, "a002 NO" or "a002 BAD"
/// refuses it.
/// </summary>
public sealed class ImapRecogniser : IPreambleRecogniser
{
    public string Protocol => "IMAP";

    public PreambleRole Recognise(ReadOnlySpan<byte> first, string? peerProtocol, bool final)
    {
        var line = PreambleText.FirstLine(first, final);
        if (line is null)
        {
            return PreambleRole.NeedMore;
        }
        if (PreambleText.Starts(line, "* OK") || PreambleText.Starts(line, "* PREAUTH"))
        {
            return PreambleRole.Server;
        }
        if (Tag(line) is not { } tag)
        {
            return PreambleRole.None;
        }
        if (peerProtocol == Protocol)
        {
            return PreambleRole.Client;
        }
        var command = line[(tag.Length + 1)..];
        return PreambleText.Starts(command, "CAPABILITY") || PreambleText.Starts(command, "STARTTLS") || PreambleText.Starts(command, "ID ")
            ? PreambleRole.Client : PreambleRole.None;
    }

    /// <summary>The tag of a tagged line: an atom of ASTRING-CHARs without '+' (RFC 9051 section 9), then a space.</summary>
    private static string? Tag(string line)
    {
        var space = line.IndexOf(' ');
        if (space <= 0 || space > 32)
        {
            return null;
        }
        foreach (var c in line.AsSpan(0, space))
        {
            if (c is <= ' ' or >= '\x7F' or '(' or ')' or '{' or '%' or '*' or '"' or '\\' or '+')
            {
                return null;
            }
        }
        return line[..space];
    }

    public string? FindRefusal(ReadOnlySpan<byte> server, ReadOnlySpan<byte> client)
    {
        string? tag = null;
        foreach (var line in PreambleText.Lines(client))
        {
            if (Tag(line) is { } t && PreambleText.Starts(line[(t.Length + 1)..], "STARTTLS"))
            {
                tag = t;
            }
        }
        if (tag is null)
        {
            return null;
        }
        foreach (var line in PreambleText.Lines(server))
        {
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
            {
                var status = line[(tag.Length + 1)..];
                return PreambleText.Starts(status, "NO") || PreambleText.Starts(status, "BAD") ? PreambleText.Quote(line) : null;
            }
        }
        return null;
    }

    public PreambleTarget? FindTarget(ReadOnlySpan<byte> client) => null;
}
