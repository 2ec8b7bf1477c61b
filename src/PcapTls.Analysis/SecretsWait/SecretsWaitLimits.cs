namespace PcapTls.Analysis;

/// <summary>
/// How long and how much a pipeline holds a TLS 1.3 connection whose protected records did not open while the key
/// log it follows may still gain the secrets (<see cref="IGrowingKeyLog"/>). The connection's TCP payload is
/// recorded as it arrives (at most <see cref="MaxBytesPerConnection"/>, and <see cref="MaxBytesInAll"/> over all
/// connections); when it ends with records unread and secrets missing, it waits until they arrive or
/// <see cref="Wait"/> has passed on the capture's clock, and is then judged (with the secrets: replayed from the
/// recording). A connection beyond a byte bound is judged when it ends, as without a growing key log.
/// </summary>
public sealed record SecretsWaitLimits
{
    public static SecretsWaitLimits Default { get; } = new();

    /// <summary>Capture time a connection waits after its end for the secrets it lacks.</summary>
    public TimeSpan Wait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>TCP payload recorded per connection (both directions, from its first byte): a TLS 1.3 handshake,
    /// chain included, is a few KB; 64 KiB holds the largest chains the corpus has.</summary>
    public int MaxBytesPerConnection { get; init; } = 64 << 10;

    /// <summary>Recorded payload over all connections at once.</summary>
    public long MaxBytesInAll { get; init; } = 64L << 20;

    /// <summary>How often (capture time) the key log is read again while connections wait: each read opens the
    /// file, so not on every packet.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(10);
}
