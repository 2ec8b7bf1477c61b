using PcapTls.Tls.Preambles;

namespace PcapTls.Tls;

// Stream start: TLS, SSLv2, STARTTLS preamble, or not TLS (one part of TlsConnectionDecoder).
public sealed partial class TlsConnectionDecoder
{
    private int FeedDetecting(int side, Side s, ReadOnlySpan<byte> data, TlsPosition position)
    {
        var take = Math.Min(data.Length, PreambleRecognisers.ClassifyWindow - s.Pending.Count);
        s.Pending.Append(data[..take]);
        s.FirstPlaintext ??= position;
        s.LastPlaintext = position;
        // A full window must decide, or a stream of undecidable bytes would never be consumed.
        var start = PreambleRecognisers.Classify(s.Pending.Span, final: s.Pending.Count >= PreambleRecognisers.ClassifyWindow, PeerProtocol(side),
            out var recogniser, out var role);
        switch (start)
        {
            case PreambleRecognisers.StreamStart.Tls:
            case PreambleRecognisers.StreamStart.Sslv2:
                // The bytes held are the start of the first record; the record loop tops them up.
                s.Mode = Mode.Records;
                return take;
            case PreambleRecognisers.StreamStart.Recognised:
            case PreambleRecognisers.StreamStart.Unrecognised:
                // Unrecognised plaintext is still scanned for a ClientHello, over a shorter stretch.
                s.Mode = Mode.Preamble;
                s.Recogniser = recogniser;
                s.Role = role;
                s.PreambleScanFrom = 0;
                return take;
            default:
                return take;
        }
    }

    private int FeedPreamble(int side, Side s, ReadOnlySpan<byte> data, TlsPosition position)
    {
        var room = PreambleLimit(s) + PreambleRecognisers.TlsStartProbeLength - s.Pending.Count;
        var take = Math.Min(data.Length, Math.Max(room, 0));
        s.Pending.Append(data[..take]);
        s.LastPlaintext = position;
        var held = s.Pending.Span;
        // After unknown plaintext only a ClientHello counts, or the server's answer once the peer sent one.
        var serverHello = s.Recogniser is not null || ClientSide == 1 - side;
        for (var i = s.PreambleScanFrom; i < held.Length; i++)
        {
            var probe = PreambleRecognisers.ProbeTlsStart(held[i..], limits.MaxRecordLength, serverHello);
            if (probe == TlsParseResult.Incomplete)
            {
                s.PreambleScanFrom = i;
                return CheckPreambleLimit(side, s, data.Length, take, position);
            }
            if (probe == TlsParseResult.Complete)
            {
                // held[0] sits at stream offset StreamOffset + take - held.Length (a gap may have dropped earlier text).
                var target = s.Role == PreambleRole.Client ? s.Recogniser?.FindTarget(held[..i]) : null;
                s.Preamble = new TlsPreamble(target?.Variant ?? s.Recogniser?.Protocol, s.StreamOffset + take - held.Length + i, target);
                sink.OnStartTls(side, s.Preamble, position);
                s.Pending.Consume(i);
                s.Mode = Mode.Records;
                return take;
            }
        }
        s.PreambleScanFrom = held.Length;
        return CheckPreambleLimit(side, s, data.Length, take, position);
    }

    private int CheckPreambleLimit(int side, Side s, int offered, int taken, TlsPosition position)
    {
        if (s.Pending.Count <= PreambleLimit(s))
        {
            return taken;
        }
        if (s.Recogniser is not null)
        {
            Anomaly(side, TlsAnomalyKind.PreambleTooLong, position,
                $"{s.Recogniser.Protocol} plaintext went on for more than {limits.MaxPlaintextPreamble} bytes without switching to TLS");
        }
        EndPreamble(side, s, position);
        Stop(s, Mode.Stopped);
        return offered;
    }

    private int PreambleLimit(Side s)
        => s.Recogniser is null ? Math.Min(PreambleRecognisers.UnrecognisedScanLimit, limits.MaxPlaintextPreamble) : limits.MaxPlaintextPreamble;

    private string? PeerProtocol(int side) => sides[1 - side].Recogniser?.Protocol;

    /// <summary>A side's plaintext that never switched to TLS: the server's refusal when it shows one, else not TLS.</summary>
    private void EndPreamble(int side, Side s, TlsPosition position)
    {
        if (s.Recogniser is { } r && s.Role == PreambleRole.Server)
        {
            var peer = sides[1 - side];
            var client = peer.Recogniser == r && peer.Preamble is null ? peer.Pending.Span : default;
            if (r.FindRefusal(s.Pending.Span, client) is { } refusal)
            {
                sink.OnPreambleRefused(side, r.Protocol, refusal, client.IsEmpty ? null : r.FindTarget(client), s.LastPlaintext ?? position);
                return;
            }
        }
        // Plaintext nobody knows is quoted where it began (it was decided there before ClientHellos were looked for in it).
        sink.OnNotTls(side, PreambleRecognisers.Preview(s.Pending.Span), s.Recogniser is null ? s.FirstPlaintext ?? position : position);
    }
}
