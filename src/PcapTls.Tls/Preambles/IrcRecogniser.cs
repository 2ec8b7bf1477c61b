namespace PcapTls.Tls.Preambles;

/// <summary>
/// IRC STARTTLS (IRCv3 tls extension): the client sends "STARTTLS"; numeric 670 RPL_STARTTLS starts TLS,
/// 691 ERR_STARTTLS refuses it. Server lines carry a ":prefix".
/// </summary>
public sealed class IrcRecogniser : IPreambleRecogniser
{
    public string Protocol => "IRC";

    public PreambleRole Recognise(ReadOnlySpan<byte> first, string? peerProtocol, bool final)
    {
        var line = PreambleText.FirstLine(first, final);
        if (line is null)
        {
            return PreambleRole.NeedMore;
        }
        if (line.StartsWith(':') || PreambleText.Starts(line, "NOTICE "))
        {
            return PreambleRole.Server;
        }
        return PreambleText.Starts(line, "CAP ") || PreambleText.Starts(line, "NICK ") || PreambleText.Starts(line, "STARTTLS")
            ? PreambleRole.Client : PreambleRole.None;
    }

    public string? FindRefusal(ReadOnlySpan<byte> server, ReadOnlySpan<byte> client)
    {
        foreach (var line in PreambleText.Lines(server))
        {
            var parts = line.Split(' ', 3);
            if (parts.Length >= 2 && parts[0].StartsWith(':') && parts[1] == "691")
            {
                return PreambleText.Quote(line);
            }
        }
        return null;
    }

    public PreambleTarget? FindTarget(ReadOnlySpan<byte> client) => null;
}
