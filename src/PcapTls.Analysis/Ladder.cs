using System.Globalization;
using PcapTls.Flows;
using PcapTls.Tls;


namespace PcapTls.Analysis;

/// <summary>
/// Builds the packet ladder of a connection, as the vendor guide draws it: one rung per packet and direction,
/// naming what the packet carried (SYN, ClientHello, ServerHello+Certificate, alert, FIN, RST, ...).
/// </summary>
/// <remarks>
/// Runs once per handshake (100,000 times on a busy proxy's capture), so it allocates only the rungs: the events
/// are collected as structs in a per-thread buffer, and each rung's text is written into a pooled character buffer
/// and looked up in the analysis's <see cref="ReportTexts"/>, which hands back the shared string without making one.
/// </remarks>
internal static class Ladder
{
    internal const int MaxSteps = 40;

    /// <summary>Order of a SYN or SYN/ACK within its packet: before anything else.</summary>
    private const int OpeningOrder = -1;

    /// <summary>Order of a "not TLS" note: after the TLS content of its packet.</summary>
    private const int NotTlsOrder = 1_000_000;

    /// <summary>Order of a FIN or RST: a FIN or RST closes the packet's contents, so it is listed after the TLS
    /// content (and any "not TLS" note) of the same packet.</summary>
    private const int ClosingOrder = 2_000_000;

    /// <summary>Marks an event text without a number.</summary>
    private const int NoNumber = -1;

    [ThreadStatic]
    private static Event[]? buffer;

    [ThreadStatic]
    private static LadderStep[]? stepBuffer;

    /// <summary>Handshake message names by type ("ClientHello"; null for a type without a name), and with
    /// " (decrypted)" appended: made once, where Enum.IsDefined and ToString per message cost a lookup and a string.</summary>
    private static readonly string?[] MessageNames = MakeMessageNames(null);

    private static readonly string?[] DecryptedMessageNames = MakeMessageNames(" (decrypted)");

    /// <summary>"Alert ..." texts by level (warning or not), description and decrypted flag, made once each.</summary>
    private static readonly string?[] AlertTexts = new string?[2 * 2 * 256];

    /// <summary>One event on the wire. Its text is <see cref="Head"/>, <see cref="Middle"/>, <see cref="Number"/>
    /// (when not <see cref="NoNumber"/>) and <see cref="Tail"/> written one after the other, so nothing is formatted
    /// until the rung's text is written.</summary>
    private readonly record struct Event(long Packet, long Time, int Side, int Order, string Head, string? Middle, int Number, string? Tail)
    {
        public void WriteTo(ref TextBuffer text)
        {
            text.Append(Head);
            if (Middle is not null)
            {
                text.Append(Middle);
            }
            if (Number != NoNumber)
            {
                text.Append(Number);
            }
            if (Tail is not null)
            {
                text.Append(Tail);
            }
        }
    }

    /// <summary>The ladder, its texts shared through <paramref name="texts"/>.</summary>
    public static IReadOnlyList<LadderStep> Build(HandshakeObservation o, ReportTexts texts)
    {
        var capacity = o.Controls.Count + o.Messages.Count + o.Alerts.Count + o.Records.Count + 2 + 3;   // not-TLS notes, preambles and a refusal
        var events = buffer is { } b && b.Length >= capacity ? b : (buffer = new Event[Math.Max(capacity, 64)]);
        var count = Collect(o, events);
        try
        {
            var items = events.AsSpan(0, count);
            Span<int> order = count <= 256 ? stackalloc int[count] : new int[count];
            SortStable(items, order);
            return Rungs(o, items, order, texts);
        }
        finally
        {
            // The buffer is reused by the next handshake on this thread: it must not keep this one's texts alive.
            events.AsSpan(0, count).Clear();
        }
    }

    private static int Collect(HandshakeObservation o, Event[] events)
    {
        var n = 0;
        foreach (var x in o.Controls)
        {
            var what = x.Kind switch
            {
                TcpControlKind.Syn => "SYN",
                TcpControlKind.SynAck => "SYN/ACK",
                TcpControlKind.Fin => "FIN",
                TcpControlKind.Rst => "RST",
                _ => x.Kind.ToString(),
            };
            events[n++] = new Event(x.Packet, x.TimeNanos, x.Side, x.Kind is TcpControlKind.Syn or TcpControlKind.SynAck ? OpeningOrder : ClosingOrder + x.Seq,
                what, null, NoNumber, null);
        }
        foreach (var m in o.Messages)
        {
            if (m.CarriedBy > 1 && HasFragmentLabels(o, m))
            {
                // Its records are labelled "Certificate (fragment 3 of 21)" instead.
                continue;
            }
            events[n++] = MessageEvent(m);
        }
        foreach (var a in o.Alerts)
        {
            events[n++] = new Event(a.Packet, a.TimeNanos, a.Side, a.Seq, AlertText(a.Alert), null, NoNumber, null);
        }
        var clientFlight = ClientFlightAfterServerHello(o);
        var tls13 = o.IsTls13;
        var decrypting = o.Decrypting;
        foreach (var r in o.Records)
        {
            if (r.IsFragment)
            {
                events[n++] = new Event(r.Packet, r.TimeNanos, r.Side, r.Seq, FragmentHead(r.FragmentOf), " (fragment ", r.FragmentIndex, FragmentTail(r.FragmentCount));
                continue;
            }
            var (head, tail) = r.Type switch
            {
                TlsContentType.ChangeCipherSpec => ("ChangeCipherSpec", null),
                TlsContentType.ApplicationData when tls13 && !decrypting =>
                    LooksLikeAlert(o, r, clientFlight) ? ("encrypted record (", " bytes, alert-sized)") : ("encrypted record (", " bytes)"),
                TlsContentType.ApplicationData when tls13 => HasDecoded(o, r) ? (null, null) : ("application data (", " bytes)"),
                TlsContentType.ApplicationData => ("application data (", " bytes)"),
                TlsContentType.Handshake when !HasDecoded(o, r) => ("encrypted handshake (", " bytes)"),
                TlsContentType.Alert when !HasAlert(o, r) => ("alert record (", " bytes)"),
                _ => ((string?)null, (string?)null),
            };
            if (head is not null)
            {
                events[n++] = new Event(r.Packet, r.TimeNanos, r.Side, r.Seq, head, null, tail is null ? NoNumber : r.Length, tail);
            }
        }
        var order = NotTlsOrder;
        for (var i = 0; i < 2; i++)
        {
            if (o.NotTlsPreview[i] is { } preview)
            {
                events[n++] = new Event(o.NotTlsPacket[i], o.NotTlsTime[i], i, order++, "not TLS: \"", preview, NoNumber, "\"");
            }
            if (o.Preamble[i] is { } preamble)
            {
                // Listed before the TLS content of the packet where TLS began.
                var proxy = preamble.Target is not null ? o.EndpointOf(1 - i).ToString() : null;
                events[n++] = new Event(o.PreamblePacket[i], o.PreambleTime[i], i, OpeningOrder, PreambleWording.LadderLine(preamble, proxy), null, NoNumber, null);
            }
        }
        if (o.Refusal is { } refusal)
        {
            events[n++] = new Event(refusal.Packet, refusal.TimeNanos, refusal.Side, order, $"{refusal.Protocol} refused: \"", refusal.Answer, NoNumber, "\"");
        }
        return n;
    }

    private static bool HasFragmentLabels(HandshakeObservation o, MessageSeen m)
    {
        foreach (var r in o.Records)
        {
            if (r.IsFragment && r.Side == m.Side && r.FragmentOf == m.Type && r.FragmentIndex == r.FragmentCount && r.Packet == m.Packet)
            {
                return true;
            }
        }
        return false;
    }

    private static string FragmentHead(TlsHandshakeType type)
        => MessageNames[(byte)type] ?? "handshake type " + ((byte)type).ToString(CultureInfo.InvariantCulture);

    /// <summary>" of 21)" texts, made once per count.</summary>
    private static readonly string?[] FragmentTails = new string?[MaxFragmentTailCached + 1];

    private const int MaxFragmentTailCached = 256;

    private static string FragmentTail(int count)
        => count <= MaxFragmentTailCached
            ? FragmentTails[count] ??= $" of {count.ToString(CultureInfo.InvariantCulture)})"
            : $" of {count.ToString(CultureInfo.InvariantCulture)})";

    private static Event MessageEvent(MessageSeen m)
    {
        if (!m.Decrypted && m.Type == TlsHandshakeType.Finished)
        {
            return new Event(m.Packet, m.TimeNanos, m.Side, m.Seq, "Finished (encrypted)", null, NoNumber, null);
        }
        if ((m.Decrypted ? DecryptedMessageNames : MessageNames)[(byte)m.Type] is not { } name)
        {
            return new Event(m.Packet, m.TimeNanos, m.Side, m.Seq, "handshake type ", null, (byte)m.Type, m.Decrypted ? " (decrypted)" : null);
        }
        return new Event(m.Packet, m.TimeNanos, m.Side, m.Seq, name, null, NoNumber, null);
    }

    private static string?[] MakeMessageNames(string? suffix)
    {
        var names = new string?[256];
        for (var i = 0; i < names.Length; i++)
        {
            var type = (TlsHandshakeType)i;
            names[i] = Enum.IsDefined(type) ? type.ToString() + suffix : null;
        }
        return names;
    }

    private static string AlertText(TlsAlert alert)
    {
        if (alert.Description is not { } d)
        {
            return "Alert (encrypted)";
        }
        var index = ((alert.Level == TlsAlertLevel.Warning ? 1 : 0) * 2 + (alert.Encrypted ? 1 : 0)) * 256 + d;
        return AlertTexts[index] ??= $"Alert {EvidenceText.AlertText(alert)}{(alert.Encrypted ? " (decrypted)" : "")}";
    }

    /// <summary>Insertion sort of the events' indexes by packet, then order within the packet; stable (equal keys
    /// keep their collection order, as OrderBy/ThenBy did). Indexes move, not the events (no copies of their
    /// references). The tracker keeps at most a few dozen events of each kind per connection.</summary>
    private static void SortStable(ReadOnlySpan<Event> items, Span<int> order)
    {
        for (var i = 0; i < order.Length; i++)
        {
            var x = items[i];
            var j = i - 1;
            while (j >= 0 && (items[order[j]].Packet > x.Packet || (items[order[j]].Packet == x.Packet && items[order[j]].Order > x.Order)))
            {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = i;
        }
    }

    /// <summary>
    /// One rung per (packet, side), in order of first appearance, its events' distinct texts joined with ", " (what
    /// GroupBy then Distinct and string.Join did). Events of one packet are adjacent after the sort, so a rung's
    /// events are looked for only within its packet's run.
    /// </summary>
    private static LadderStep[] Rungs(HandshakeObservation o, ReadOnlySpan<Event> items, ReadOnlySpan<int> order, ReportTexts texts)
    {
        Span<bool> taken = items.Length <= 256 ? stackalloc bool[items.Length] : new bool[items.Length];
        taken.Clear();
        Span<int> starts = items.Length <= 128 ? stackalloc int[items.Length] : new int[items.Length];
        var steps = stepBuffer ??= new LadderStep[MaxSteps];
        var written = 0;
        var text = new TextBuffer();
        try
        {
            var runStart = 0;
            while (runStart < items.Length && written < MaxSteps)
            {
                var runEnd = runStart + 1;
                while (runEnd < items.Length && items[order[runEnd]].Packet == items[order[runStart]].Packet)
                {
                    runEnd++;
                }
                for (var first = runStart; first < runEnd && written < MaxSteps; first++)
                {
                    if (taken[first])
                    {
                        continue;
                    }
                    text.Clear();
                    var segments = 0;
                    for (var k = first; k < runEnd; k++)
                    {
                        if (taken[k] || items[order[k]].Side != items[order[first]].Side)
                        {
                            continue;
                        }
                        taken[k] = true;
                        var start = text.Length;
                        if (segments > 0)
                        {
                            text.Append(", ");
                        }
                        var textStart = text.Length;
                        items[order[k]].WriteTo(ref text);
                        if (SeenBefore(text.Written, starts[..segments], textStart))
                        {
                            text.Truncate(start);
                        }
                        else
                        {
                            starts[segments++] = textStart;
                        }
                    }
                    var head = items[order[first]];
                    steps[written++] = new LadderStep(head.Packet, HandshakeJudge.FromNanos(head.Time), o.PeerOf(head.Side), texts.Intern(text.Written));
                }
                runStart = runEnd;
            }
            return steps.AsSpan(0, written).ToArray();
        }
        finally
        {
            text.Dispose();
            steps.AsSpan(0, written).Clear();
        }
    }

    /// <summary>Whether the text from <paramref name="last"/> to the end equals one of the earlier segments (each ends
    /// where the next one's ", " begins).</summary>
    private static bool SeenBefore(ReadOnlySpan<char> written, ReadOnlySpan<int> starts, int last)
    {
        var candidate = written[last..];
        for (var i = 0; i < starts.Length; i++)
        {
            var end = i + 1 < starts.Length ? starts[i + 1] - 2 : last - 2;
            if (written[starts[i]..end].SequenceEqual(candidate))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The client's first encrypted record after the ServerHello (default when none).</summary>
    private static RecordSeen ClientFlightAfterServerHello(HandshakeObservation o)
    {
        foreach (var x in o.Records)
        {
            if (x.Side == o.ClientSide && x.Type == TlsContentType.ApplicationData && x.Packet > o.ServerHelloPacket)
            {
                return x;
            }
        }
        return default;
    }

    /// <summary>A short encrypted record is an alert only where a Finished or data was due: from the client, or from
    /// the server after the client's flight (the server's own flight has short EncryptedExtensions records).</summary>
    private static bool LooksLikeAlert(HandshakeObservation o, RecordSeen r, RecordSeen clientFlight)
    {
        if (!Tls13Rules.IsAlertSized(r.Length))
        {
            return false;
        }
        if (r.Side == o.ClientSide)
        {
            return true;
        }
        return clientFlight.Packet != 0 && r.Seq > clientFlight.Seq;
    }

    private static bool HasDecoded(HandshakeObservation o, RecordSeen r)
    {
        foreach (var m in o.Messages)
        {
            if (m.Packet == r.Packet && m.Side == r.Side)
            {
                return true;
            }
        }
        return HasAlert(o, r);
    }

    private static bool HasAlert(HandshakeObservation o, RecordSeen r)
    {
        foreach (var a in o.Alerts)
        {
            if (a.Packet == r.Packet && a.Side == r.Side)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A growable character buffer, reused by the thread's next ladders (the rung texts are built here, then
    /// interned); a buffer grown past <see cref="MaxKeptChars"/> is dropped after use.</summary>
    private ref struct TextBuffer
    {
        private const int MaxKeptChars = 4096;

        [ThreadStatic]
        private static char[]? kept;

        private char[] chars;

        public TextBuffer()
        {
            chars = kept ?? new char[256];
            kept = null;
        }

        public int Length { get; private set; }

        public readonly ReadOnlySpan<char> Written => chars.AsSpan(0, Length);

        public void Clear() => Length = 0;

        public void Truncate(int length) => Length = length;

        public void Append(string s)
        {
            Reserve(s.Length);
            s.CopyTo(chars.AsSpan(Length));
            Length += s.Length;
        }

        public void Append(int n)
        {
            Reserve(11);
            n.TryFormat(chars.AsSpan(Length), out var w, default, CultureInfo.InvariantCulture);
            Length += w;
        }

        public readonly void Dispose()
        {
            if (chars.Length <= MaxKeptChars)
            {
                kept = chars;
            }
        }

        private void Reserve(int more)
        {
            if (Length + more <= chars.Length)
            {
                return;
            }
            var bigger = new char[Math.Max(chars.Length * 2, Length + more)];
            Written.CopyTo(bigger);
            chars = bigger;
        }
    }
}
