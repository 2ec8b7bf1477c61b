using System.Globalization;
using PcapTls.Decryption;

namespace PcapTls.Analysis;

/// <summary>
/// The TLS 1.3 connections that ended with protected records unread while the secrets for them may still be
/// written to a growing key log (live: a server logs a connection's lines as it derives them, and the capture can
/// see the connection end first). Each waits until the key log gains what it lacks (it is then decoded again from
/// its recording) or <see cref="SecretsWaitLimits.Wait"/> passes on the capture's clock; then it is judged. Time is
/// the pipeline's clock (packets and <see cref="HandshakePipeline.AdvanceClock"/>), never the wall clock.
/// </summary>
internal sealed class AwaitingSecrets(IGrowingKeyLog keyLog, SecretsWaitLimits limits)
{
    private sealed class Waiting(HandshakeObservation observation, ConnectionRecording recording, long deadline, Tls13Secrets? known)
    {
        public HandshakeObservation Observation { get; set; } = observation;
        public ConnectionRecording Recording { get; } = recording;
        public long Deadline { get; } = deadline;
        public Tls13Secrets? Known { get; set; } = known;
    }

    private readonly List<Waiting> waiting = [];
    private long nextRead = long.MinValue;

    public RecordingBudget Budget { get; } = new(limits.MaxBytesInAll);

    public SecretsWaitLimits Limits => limits;

    public int Count => waiting.Count;

    /// <summary>Connections that waited.</summary>
    public long Held { get; private set; }

    /// <summary>Of those, the ones whose secrets arrived while they waited.</summary>
    public long Arrived { get; private set; }

    /// <summary>Of those, the ones judged without them (the wait passed, or the capture ended).</summary>
    public long Expired { get; private set; }

    public ConnectionRecording NewRecording(PcapTls.Flows.TcpConnectionInfo connection) => new(connection, Budget, limits.MaxBytesPerConnection);

    /// <summary>Keeps an ended connection waiting when its unread records could open with secrets the key log
    /// does not hold yet; false (and the recording dropped) when it is to be judged now.</summary>
    public bool TryHold(HandshakeObservation observation, ConnectionRecording? recording, long nowNanos)
    {
        if (recording is null || recording.Dropped || observation.ClientHello is null)
        {
            recording?.Drop();
            return false;
        }
        var known = keyLog.Secrets(observation.ClientHello.Random);
        if (!LacksSecrets(observation, known))
        {
            recording.Drop();
            return false;
        }
        Held++;
        waiting.Add(new Waiting(observation, recording, nowNanos + limits.Wait.Ticks * 100, known));
        return true;
    }

    /// <summary>
    /// A TLS 1.3 connection with protected records that did not open, from a side whose traffic secrets the key
    /// log lacks (a side with all of them known and still unread has another reason; waiting would not help).
    /// </summary>
    internal static bool LacksSecrets(HandshakeObservation o, Tls13Secrets? known)
    {
        if (o.ServerHello is not { IsHelloRetryRequest: false, NegotiatedVersion: 0x0304 })
        {
            return false;
        }
        var serverUnread = o.EncryptedRecords[o.ServerSide] > 0
            && (known?.ServerHandshakeTrafficSecret is null || known.ServerTrafficSecret0 is null);
        var clientUnread = o.EncryptedRecords[o.ClientSide] > 0
            && (known?.ClientHandshakeTrafficSecret is null || known.ClientTrafficSecret0 is null);
        return serverUnread || clientUnread;
    }

    /// <summary>
    /// Reads the key log again (at most every <see cref="SecretsWaitLimits.RetryInterval"/> of capture time) and
    /// hands each connection that is done waiting to <paramref name="judge"/>: decoded again by
    /// <paramref name="replay"/> when its secrets grew, as it was seen when the wait passed. <paramref name="final"/>
    /// (the capture ends): one last read, then every connection is judged.
    /// </summary>
    public void Poll(long nowNanos, bool final, Func<ConnectionRecording, HandshakeObservation> replay, Action<HandshakeObservation> judge)
    {
        if (waiting.Count == 0 || (!final && nowNanos < nextRead))
        {
            return;
        }
        nextRead = nowNanos + limits.RetryInterval.Ticks * 100;
        var grew = keyLog.ReadAppended();
        var done = new List<HandshakeObservation>();
        for (var i = 0; i < waiting.Count; i++)
        {
            var w = waiting[i];
            var finished = false;
            if (grew && keyLog.Secrets(w.Observation.ClientHello!.Random) is { } now && !Same(now, w.Known))
            {
                w.Known = now;
                w.Observation = replay(w.Recording);
                if (!LacksSecrets(w.Observation, now))
                {
                    Arrived++;
                    finished = true;
                }
            }
            if (!finished && (final || nowNanos >= w.Deadline))
            {
                Expired++;
                w.Observation.KeyLogNote = ExpiredNote(w.Observation.KeyLogNote);
                finished = true;
            }
            if (finished)
            {
                w.Recording.Drop();
                done.Add(w.Observation);
                waiting.RemoveAt(i--);
            }
        }
        foreach (var o in done)
        {
            judge(o);
        }
    }

    private string ExpiredNote(string? note)
    {
        var wait = limits.Wait.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        return note is null
            ? $"the key log had no secrets for this connection within {wait} s after it ended"
            : $"{note} (the rest did not arrive within {wait} s after the connection ended)";
    }

    /// <summary>Whether the same secrets are known (a secret never changes once logged, so which are present is enough).</summary>
    private static bool Same(Tls13Secrets a, Tls13Secrets? b) => b is not null && Mask(a) == Mask(b);

    private static int Mask(Tls13Secrets s) =>
        (s.ClientEarlyTrafficSecret is null ? 0 : 1) | (s.ClientHandshakeTrafficSecret is null ? 0 : 2)
        | (s.ServerHandshakeTrafficSecret is null ? 0 : 4) | (s.ClientTrafficSecret0 is null ? 0 : 8)
        | (s.ServerTrafficSecret0 is null ? 0 : 16);
}
