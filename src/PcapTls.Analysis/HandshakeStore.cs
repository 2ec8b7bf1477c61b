using System.Buffers;
using System.Collections;
using PcapTls.Validation;

namespace PcapTls.Analysis;

/// <summary>
/// The handshake reports of one analysis, in the order of their first packet. The first
/// <see cref="AnalysisOptions.HandshakesInMemory"/> stay in memory; beyond that every report is written to a
/// temporary file (deleted when closed) and read back when the report is rendered, so a capture of millions of
/// handshakes needs disk, not memory: what stays in memory per handshake is its position in the file (20 bytes).
/// Shared objects (certificate summaries and DER, verdicts: one per distinct chain) are kept once in a table and
/// referred to by number, as are the long texts every report repeats (cause summaries and fixes, outcome details,
/// ladder rungs; at most <see cref="MaxSharedTexts"/>, the rest are written out). Thread-safe for <see cref="Add"/>; read only after <see cref="Seal"/>.
/// </summary>
public sealed class HandshakeStore : IReadOnlyList<HandshakeReport>, IDisposable
{
    /// <summary>Distinct texts kept in the table; later ones are written into each record (hostile captures make
    /// every text unique, and then the table would grow with the handshakes).</summary>
    internal const int MaxSharedTexts = 50_000;

    /// <summary>Shorter texts are written into the record: the table entry would not pay.</summary>
    internal const int MinSharedTextLength = 24;

    private readonly int inMemory;
    private readonly Lock gate = new();
    private List<HandshakeReport>? reports = [];
    private FileStream? file;
    private BinaryWriter? writer;
    private List<Spilled>? spilled;
    private readonly List<object> shared = [];
    private readonly Dictionary<object, int> sharedIndex = new(ReferenceEqualityComparer.Instance);
    private readonly List<string> texts = [];
    private readonly Dictionary<string, int> textIndex = new(StringComparer.Ordinal);
    // The texts come interned (ReportTexts): looked up by reference first, no hashing of a long text.
    private readonly Dictionary<object, int> textByReference = new(ReferenceEqualityComparer.Instance);
    private bool sealed_;

    private readonly string directory;

    /// <param name="directory">Where the temporary file goes; null: the system's (TMPDIR).</param>
    public HandshakeStore(int inMemory, string? directory = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inMemory);
        this.inMemory = inMemory;
        this.directory = directory ?? Path.GetTempPath();
    }

    /// <summary>True once reports went to the temporary file.</summary>
    public bool IsSpilled => file is not null;

    public int Count
    {
        get
        {
            lock (gate)
            {
                return reports?.Count ?? spilled!.Count;
            }
        }
    }

    public void Add(HandshakeReport report)
    {
        lock (gate)
        {
            if (sealed_)
            {
                throw new InvalidOperationException("the store is sealed");
            }
            if (reports is not null && reports.Count < inMemory)
            {
                reports.Add(report);
                return;
            }
            try
            {
                if (reports is not null)
                {
                    Open();
                    foreach (var r in reports)
                    {
                        Write(r);
                    }
                    reports = null;
                }
                Write(report);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new HandshakeStoreException(
                    $"handshake reports beyond {inMemory} are kept in a temporary file, which cannot be written in {directory} ({e.Message}); set TMPDIR to a folder with space", e);
            }
        }
    }

    /// <summary>No more reports: sorts them by first packet (each packet belongs to one connection, so first packets
    /// are distinct) and makes the store readable.</summary>
    public void Seal(Comparison<HandshakeReport> order)
    {
        lock (gate)
        {
            if (sealed_)
            {
                return;
            }
            sealed_ = true;
            if (reports is not null)
            {
                reports.Sort(order);
                return;
            }
            writer!.Flush();
            // Ties cannot happen (see above); the stable order by offset keeps the arrival order if they did.
            spilled!.Sort((a, b) => a.StartPacket != b.StartPacket ? a.StartPacket.CompareTo(b.StartPacket) : a.Offset.CompareTo(b.Offset));
        }
    }

    public HandshakeReport this[int index]
    {
        get
        {
            if (reports is not null)
            {
                return reports[index];
            }
            var s = spilled![index];
            var buffer = ArrayPool<byte>.Shared.Rent(s.Length);
            try
            {
                RandomAccess.Read(file!.SafeFileHandle, buffer.AsSpan(0, s.Length), s.Offset);
                using var reader = new BinaryReader(new MemoryStream(buffer, 0, s.Length, writable: false));
                return Read(reader);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public IEnumerator<HandshakeReport> GetEnumerator()
    {
        var count = Count;
        for (var i = 0; i < count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        lock (gate)
        {
            writer?.Dispose();
            file?.Dispose();
        }
    }

    private void Open()
    {
        var path = Path.Combine(directory, $"pcaptls-handshakes-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.DeleteOnClose | FileOptions.RandomAccess);
        if (!OperatingSystem.IsWindows())
        {
            // Gone from the directory at once, the open handle keeps it: nothing is left behind if the process is killed.
            File.Delete(path);
        }
        writer = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true);
        spilled = [];
    }

    private readonly record struct Spilled(long StartPacket, long Offset, int Length);

    // ---- the record format: fields in declaration order; lists as a count then items; null strings as a flag ----

    private void Write(HandshakeReport h)
    {
        var w = writer!;
        var start = file!.Position;
        w.Write(h.Client);
        w.Write(h.Server);
        w.Write(h.StartPacket);
        WriteTime(w, h.StartTime);
        WriteText(w, h.Sni);
        WriteText(w, h.Version);
        WriteText(w, h.Cipher);
        w.Write((byte)h.Outcome);
        WriteSharedText(w, h.OutcomeDetail);
        WriteShared(w, h.ServerCertificates);
        WriteShared(w, h.ClientCertificates);
        w.Write((byte)((h.CertificateRequested ? 1 : 0) | (h.CertificateEncrypted ? 2 : 0) | (h.ServerCertificateMessage ? 4 : 0) | (h.ClientCertificateMessage ? 8 : 0)));
        w.Write(h.Alerts.Count);
        foreach (var a in h.Alerts)
        {
            w.Write((byte)a.From);
            w.Write(a.Level);
            w.Write(a.Description);
            w.Write(a.Code ?? -1);
            w.Write(a.Packet);
            WriteTime(w, a.Time);
            w.Write(a.Encrypted);
        }
        w.Write(h.Teardown.Count);
        foreach (var t in h.Teardown)
        {
            w.Write((byte)t.From);
            w.Write(t.Kind);
            w.Write(t.Packet);
            WriteTime(w, t.Time);
        }
        w.Write(h.Causes.Count);
        foreach (var c in h.Causes)
        {
            w.Write((int)c.Code);
            WriteSharedText(w, c.Summary);
            w.Write(c.Evidence);
            WriteSharedText(w, c.Fix);
        }
        w.Write(h.Ladder.Count);
        foreach (var l in h.Ladder)
        {
            w.Write(l.Packet);
            WriteTime(w, l.Time);
            w.Write((byte)l.From);
            WriteSharedText(w, l.What);
        }
        WriteText(w, h.HostChecked);
        WriteText(w, h.HostSource);
        w.Write(h.ValidatedAt.HasValue);
        if (h.ValidatedAt is { } at)
        {
            WriteTime(w, at);
        }
        WriteText(w, h.KeyLog);
        w.Write(h.Verdict is null ? -1 : Share(h.Verdict));
        WriteShared(w, h.ServerChainDer);
        w.Write(h.LastPacket);
        WriteSharedText(w, h.Path);
        spilled!.Add(new Spilled(h.StartPacket, start, checked((int)(file.Position - start))));
    }

    private HandshakeReport Read(BinaryReader r)
    {
        var client = r.ReadString();
        var server = r.ReadString();
        var startPacket = r.ReadInt64();
        var startTime = ReadTime(r);
        var sni = ReadText(r);
        var version = ReadText(r);
        var cipher = ReadText(r);
        var outcome = (HandshakeOutcome)r.ReadByte();
        var detail = ReadSharedText(r)!;
        var serverCertificates = ReadShared<CertificateSummary>(r);
        var clientCertificates = ReadShared<CertificateSummary>(r);
        var flags = r.ReadByte();
        var alerts = new AlertEvent[r.ReadInt32()];
        for (var i = 0; i < alerts.Length; i++)
        {
            var from = (Peer)r.ReadByte();
            var level = r.ReadString();
            var description = r.ReadString();
            var code = r.ReadInt32();
            alerts[i] = new AlertEvent(from, level, description, code < 0 ? null : code, r.ReadInt64(), ReadTime(r), r.ReadBoolean());
        }
        var teardown = new TeardownEvent[r.ReadInt32()];
        for (var i = 0; i < teardown.Length; i++)
        {
            teardown[i] = new TeardownEvent((Peer)r.ReadByte(), r.ReadString(), r.ReadInt64(), ReadTime(r));
        }
        var causes = new Cause[r.ReadInt32()];
        for (var i = 0; i < causes.Length; i++)
        {
            causes[i] = new Cause((CauseCode)r.ReadInt32(), ReadSharedText(r)!, r.ReadString(), ReadSharedText(r)!);
        }
        var ladder = new LadderStep[r.ReadInt32()];
        for (var i = 0; i < ladder.Length; i++)
        {
            ladder[i] = new LadderStep(r.ReadInt64(), ReadTime(r), (Peer)r.ReadByte(), ReadSharedText(r)!);
        }
        var hostChecked = ReadText(r);
        var hostSource = ReadText(r);
        DateTimeOffset? validatedAt = r.ReadBoolean() ? ReadTime(r) : null;
        var keyLog = ReadText(r);
        var verdictIndex = r.ReadInt32();
        ChainVerdict? verdict;
        lock (gate)
        {
            verdict = verdictIndex < 0 ? null : (ChainVerdict)shared[verdictIndex];
        }
        var chain = ReadShared<byte[]>(r);
        var lastPacket = r.ReadInt64();
        var path = ReadSharedText(r) ?? "";
        return new HandshakeReport(client, server, startPacket, startTime, sni, version, cipher, outcome, detail,
            serverCertificates, clientCertificates, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0,
            alerts, teardown, causes, ladder, hostChecked, hostSource, validatedAt, keyLog, verdict, chain, lastPacket)
        { Path = path };
    }

    private int Share(object o)
    {
        if (!sharedIndex.TryGetValue(o, out var i))
        {
            i = shared.Count;
            shared.Add(o);
            sharedIndex.Add(o, i);
        }
        return i;
    }

    private void WriteShared<T>(BinaryWriter w, IReadOnlyList<T> items) where T : class
    {
        w.Write(items.Count);
        foreach (var x in items)
        {
            w.Write(Share(x));
        }
    }

    private T[] ReadShared<T>(BinaryReader r) where T : class
    {
        var items = new T[r.ReadInt32()];
        lock (gate)
        {
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = (T)shared[r.ReadInt32()];
            }
        }
        return items;
    }

    /// <summary>-1: null; 0: the text follows; n: the table's text n - 1.</summary>
    private void WriteSharedText(BinaryWriter w, string? s)
    {
        if (s is null)
        {
            w.Write(-1);
            return;
        }
        if (s.Length >= MinSharedTextLength)
        {
            if (textByReference.TryGetValue(s, out var i))
            {
                w.Write(i + 1);
                return;
            }
            if (textIndex.TryGetValue(s, out i))
            {
                if (textByReference.Count < 2 * MaxSharedTexts)
                {
                    textByReference.Add(s, i);
                }
                w.Write(i + 1);
                return;
            }
            if (texts.Count < MaxSharedTexts)
            {
                textIndex.Add(s, texts.Count);
                textByReference.Add(s, texts.Count);
                texts.Add(s);
                w.Write(texts.Count);
                return;
            }
        }
        w.Write(0);
        w.Write(s);
    }

    private string? ReadSharedText(BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n <= 0)
        {
            return n < 0 ? null : r.ReadString();
        }
        lock (gate)
        {
            return texts[n - 1];
        }
    }

    private static void WriteText(BinaryWriter w, string? s)
    {
        w.Write(s is not null);
        if (s is not null)
        {
            w.Write(s);
        }
    }

    private static string? ReadText(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static void WriteTime(BinaryWriter w, DateTimeOffset t)
    {
        w.Write(t.UtcTicks);
        w.Write((short)t.Offset.TotalMinutes);
    }

    private static DateTimeOffset ReadTime(BinaryReader r)
    {
        var ticks = r.ReadInt64();
        var offset = TimeSpan.FromMinutes(r.ReadInt16());
        return new DateTimeOffset(ticks + offset.Ticks, offset);
    }
}

/// <summary>The temporary file of a <see cref="HandshakeStore"/> cannot be written (no space, no such folder, no
/// permission): an output problem of the machine, not damage in the capture.</summary>
public sealed class HandshakeStoreException(string message, Exception inner) : IOException(message, inner);
