using System.Runtime.InteropServices;
using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>
/// Every distinct certificate of one analysis, parsed once: a busy proxy's capture sends the same few chains tens
/// of thousands of times, and parsing each copy (BouncyCastle) cost more than all the packet work, and keeping each
/// copy's summary and DER in its report made memory grow with the number of handshakes. Reports share the one
/// <see cref="CertificateSummary"/> and DER array per distinct certificate instead.
/// </summary>
internal sealed class SeenCertificates
{
    /// <summary>Distinct certificates kept; beyond it the table starts over (a hostile capture of endless distinct
    /// certificates costs parsing time, never unbounded memory).</summary>
    internal const int MaxEntries = 10_000;

    private readonly Dictionary<byte[], Seen> byDer = new(DerComparer.Instance);
    private readonly Lock gate = new();

    public int Count
    {
        get
        {
            lock (gate)
            {
                return byDer.Count;
            }
        }
    }

    /// <summary>The parsed certificate, its report summary and the shared copy of its DER.</summary>
    public Seen Get(byte[] der)
    {
        lock (gate)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrNullRef(byDer, der);
            if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref slot))
            {
                return slot;
            }
        }
        // Parsed outside the lock: two threads may parse the same certificate once each, both results are equal.
        var info = CertificateInfo.Parse(der);
        var seen = new Seen(info, CertificateSummary.From(info), der);
        lock (gate)
        {
            if (byDer.Count >= MaxEntries)
            {
                byDer.Clear();
            }
            return byDer.TryAdd(der, seen) ? seen : byDer[der];
        }
    }

    internal sealed record Seen(CertificateInfo Info, CertificateSummary Summary, byte[] Der);
}
