using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using PcapTls.Analysis;
using PcapTls.Capture;
using PcapTls.Testing;

namespace PcapTls.Robustness.Tests;

/// <summary>
/// Deterministic mutations of small corpus captures (fixed seed), each analyzed in-process as `pcaptls analyze`
/// does and rendered as JSON and console text. Whatever the damage: no exception escapes (a destroyed file
/// header may give CaptureFormatException, the documented answer), each run ends within a bound, and no run
/// allocates more than a bound. A failing mutant is kept on disk and named in the failure message.
/// </summary>
[TestClass]
public sealed class MutationTests
{
    private const int Seed = 20260101;

    /// <summary>Generous: a mutant of a 3 KB capture takes milliseconds; a hang is what this catches.</summary>
    private static readonly TimeSpan PerMutantBound = TimeSpan.FromSeconds(10);

    /// <summary>Bytes allocated by one run (analysis + both renderers) of a capture of a few KB.</summary>
    private const long AllocatedBytesBound = 256L << 20;

    /// <summary>Managed heap after all runs (and a full collection): nothing may be kept across runs.</summary>
    private const long RetainedBytesBound = 512L << 20;

    private const int MinimumMutants = 3500;

    /// <summary>Small captures of each kind: TLS 1.2 and 1.3, each client, pcapng, nanosecond, SLL, SLL2, IPv6,
    /// snaplen 96, gzip, a plain-HTTP and a rejected-hello connection; VXLAN with fragments, GRE/ERSPAN/VXLAN,
    /// MPLS, PPPoE, HTTP CONNECT, SOCKS5 and MySQL's switch to TLS.</summary>
    private static readonly string[] Sources =
    [
        "tls12/openssl/leaf-only.pcap",
        "tls12/curl/untrusted-root.pcap",
        "tls12/java/leaf-only.pcap",
        "tls13/openssl/leaf-only.pcap",
        "tls13/java/leaf-only.pcap",
        "tls13/curl/server-rejects-hello.pcap",
        "tls12/curl/plain-http.pcap",
        "variants/pcapng/tls12/openssl/untrusted-root.pcapng",
        "variants/nanosecond/tls12/openssl/untrusted-root.pcap",
        "variants/sll/tls12/openssl/untrusted-root.pcap",
        "variants/sll2/tls12/openssl/untrusted-root.pcap",
        "variants/ipv6/tls12/openssl/untrusted-root.pcap",
        "variants/snaplen96/tls12/java/ok.pcap",
        "variants/gzip/tls12/openssl/untrusted-root.pcap.gz",
        // The real-world surfaces (issue 14): tunnels, the plaintext before TLS, the MySQL switch.
        "tunnels/vxlan-frag-untrusted-root.pcap",
        "preambles/connect-untrusted-root.pcap",
        "preambles/socks5-untrusted-root.pcap",
        "arkime/gre-erspan-vxlan.pcap",
        "arkime/mpls-basic.pcap",
        "arkime/pppoe.pcap",
        "arkime/mysql-tls.pcap",
    ];

    /// <summary>Cut at every record boundary (and inside each record) of these.</summary>
    private static readonly string[] TruncationSources =
    [
        "tls12/openssl/leaf-only.pcap",
        "tls13/java/leaf-only.pcap",
        "variants/pcapng/tls12/openssl/untrusted-root.pcapng",
    ];

    [TestMethod]
    public void MutatedCorpusCapturesNeverCrashHangOrExhaustMemory()
    {
        var mutants = Mutants().ToList();
        Assert.IsGreaterThanOrEqualTo(MinimumMutants, mutants.Count, "mutant count");
        Assert.HasCount(mutants.Count, mutants.Select(m => m.Name).Distinct().ToList(), "mutant names are unique");

        var dir = Directory.CreateTempSubdirectory("pcaptls-mutants-").FullName;
        var failures = new ConcurrentBag<string>();
        var formatErrors = 0;
        var handshakes = 0L;
        Parallel.ForEach(mutants, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, m =>
        {
            var path = Path.Combine(dir, m.Name);
            File.WriteAllBytes(path, m.Bytes);
            var outcome = Run(path);
            if (outcome.Failure is not null)
            {
                failures.Add($"{m.Name}: {outcome.Failure} (mutant kept at {path})");
                return;
            }
            if (outcome.FormatError && !m.HeaderTouched)
            {
                failures.Add($"{m.Name}: CaptureFormatException although the file header is intact: {outcome.Detail} (mutant kept at {path})");
                return;
            }
            Interlocked.Add(ref formatErrors, outcome.FormatError ? 1 : 0);
            Interlocked.Add(ref handshakes, outcome.Handshakes);
            File.Delete(path);
        });

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var retained = GC.GetTotalMemory(forceFullCollection: true);
        if (failures.IsEmpty)
        {
            Directory.Delete(dir, recursive: true);
        }
        Assert.IsEmpty(failures, $"{failures.Count} of {mutants.Count} mutants failed:\n" + string.Join("\n", failures.Take(20)));
        Assert.IsLessThan(RetainedBytesBound, retained, "managed heap after all runs");
        // The mutants must mostly still be captures with handshakes in them, or this test tests nothing.
        Assert.IsLessThan(mutants.Count / 4, formatErrors, "mutants rejected as not a capture");
        Assert.IsGreaterThan(mutants.Count / 2, handshakes, "handshakes found over all mutants");
    }

    [TestMethod]
    public void MutantsAreTheSameOnEveryRun()
    {
        var a = Mutants().Take(300).Select(m => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(m.Bytes))).ToList();
        var b = Mutants().Take(300).Select(m => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(m.Bytes))).ToList();
        CollectionAssert.AreEqual(a, b);
        var original = File.ReadAllBytes(RepoPaths.Capture(Sources[0]));
        Assert.IsTrue(Mutants().Take(50).All(m => !m.Bytes.AsSpan().SequenceEqual(original)), "every mutant differs from its source");
    }

    private readonly record struct Outcome(string? Failure, bool FormatError, string? Detail, int Handshakes);

    /// <summary>One mutant through analysis and both renderers on a thread of its own, so that a hang is seen
    /// as a timeout instead of a stuck test run.</summary>
    private static Outcome Run(string path)
    {
        using var cts = new CancellationTokenSource(PerMutantBound);
        Outcome result = default;
        var thread = new Thread(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var report = CaptureAnalyzer.AnalyzeFile(path, Analyze.Options, cancellationToken: cts.Token);
                Analyze.CheckInvariants(report);
                var (json, console) = Analyze.Render(report);
                if (json.Length == 0 || console.Length == 0)
                {
                    result = new Outcome("a renderer wrote nothing", false, null, 0);
                    return;
                }
                result = new Outcome(null, false, null, report.Handshakes.Count);
            }
            catch (CaptureFormatException e)
            {
                result = new Outcome(null, true, e.Message, 0);
            }
            catch (Exception e)
            {
                result = new Outcome($"{e.GetType().Name}: {e.Message}\n{e.StackTrace}", false, null, 0);
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (result.Failure is null && allocated > AllocatedBytesBound)
            {
                result = new Outcome($"allocated {allocated:N0} bytes (bound {AllocatedBytesBound:N0})", false, null, 0);
            }
        }, maxStackSize: 0)
        { IsBackground = true, Name = "mutant " + Path.GetFileName(path) };
        var watch = Stopwatch.StartNew();
        thread.Start();
        if (!thread.Join(PerMutantBound + PerMutantBound))
        {
            return new Outcome($"still running after {watch.Elapsed.TotalSeconds:0} s (bound {PerMutantBound.TotalSeconds:0} s): a hang", false, null, 0);
        }
        // No bound on how long a mutant took: on a loaded machine that is a wall-clock assertion. A hang (the join
        // above) is still one, and the allocation bound catches work that grows with the damage.
        return result;
    }

    internal sealed record Mutant(string Name, byte[] Bytes, bool HeaderTouched);

    /// <summary>All mutants, in a fixed order from a fixed seed.</summary>
    internal static IEnumerable<Mutant> Mutants()
    {
        var random = new Random(Seed);
        foreach (var source in Sources)
        {
            var original = File.ReadAllBytes(RepoPaths.Capture(source));
            var tag = source.Replace('/', '_');
            if (source.EndsWith(".gz", StringComparison.Ordinal))
            {
                // The compressed bytes: damage shows as corrupt gzip data, a shorter capture or garbage frames.
                // The pcap header is inside the deflate stream, so any damage may reach it: a one-line
                // CaptureFormatException is a fair answer to each of these (header length = whole file).
                for (var i = 0; i < 40; i++)
                {
                    yield return Make($"{tag}.bits{i}", BitFlips(original, random, 24), original, original.Length);
                }
                for (var cut = 24; cut < original.Length; cut += Math.Max(1, original.Length / 30))
                {
                    yield return Make($"{tag}.cut{cut}", original[..cut], original, original.Length);
                }
                continue;
            }

            var layout = CaptureLayout.Of(original);
            var header = layout.HeaderLength;
            for (var i = 0; i < 40; i++)
            {
                yield return Make($"{tag}.bits{i}", BitFlips(original, random, header), original, header);
            }
            for (var i = 0; i < 30; i++)
            {
                yield return Make($"{tag}.run{i}", ByteRun(original, random, header), original, header);
            }
            for (var i = 0; i < 12; i++)
            {
                yield return Make($"{tag}.caplen{i}", InflateCapturedLength(original, layout, random), original, header);
                yield return Make($"{tag}.iplen{i}", InflateIpTotalLength(original, layout, random), original, header);
                yield return Make($"{tag}.tcpoff{i}", InflateTcpDataOffset(original, layout, random), original, header);
                yield return Make($"{tag}.reclen{i}", InflateTlsField(original, layout, random, TlsField.RecordLength), original, header);
                yield return Make($"{tag}.hslen{i}", InflateTlsField(original, layout, random, TlsField.HandshakeLength), original, header);
                yield return Make($"{tag}.certlist{i}", InflateTlsField(original, layout, random, TlsField.CertificateListLength), original, header);
            }
            for (var i = 0; i < 8; i++)
            {
                yield return Make($"{tag}.dup{i}", Duplicate(original, layout, random), original, header);
                yield return Make($"{tag}.swap{i}", Swap(original, layout, random), original, header);
                yield return Make($"{tag}.reverse{i}", ReverseWindow(original, layout, random), original, header);
            }
            yield return Make($"{tag}.dupall", DuplicateAll(original, layout), original, header);
            yield return Make($"{tag}.reverseall", Reorder(original, layout, [.. Enumerable.Range(0, layout.Frames.Count).Reverse()]), original, header);
        }

        foreach (var source in TruncationSources)
        {
            var original = File.ReadAllBytes(RepoPaths.Capture(source));
            var layout = CaptureLayout.Of(original);
            var tag = source.Replace('/', '_');
            for (var cut = 0; cut < layout.HeaderLength; cut += 4)
            {
                yield return Make($"{tag}.headcut{cut}", original[..cut], original, layout.HeaderLength);
            }
            foreach (var f in layout.Frames)
            {
                // At the boundary, inside the record header, and inside the frame (as a live file being copied).
                yield return Make($"{tag}.cut{f.Start}", original[..f.Start], original, layout.HeaderLength);
                yield return Make($"{tag}.cut{f.Start + 5}", original[..(f.Start + 5)], original, layout.HeaderLength);
                if (f.CapturedLength > 2)
                {
                    var mid = f.Data + (f.CapturedLength / 2);
                    yield return Make($"{tag}.cut{mid}", original[..mid], original, layout.HeaderLength);
                }
            }
        }
    }

    private static Mutant Make(string name, byte[] bytes, byte[] original, int headerLength)
    {
        var n = Math.Min(headerLength, original.Length);
        var touched = bytes.Length < n || !bytes.AsSpan(0, n).SequenceEqual(original.AsSpan(0, n));
        return new Mutant(name, bytes, touched);
    }

    /// <summary>1 to 8 bits flipped anywhere; one time in four, one in the file header too.</summary>
    private static byte[] BitFlips(byte[] original, Random random, int headerLength)
    {
        var m = (byte[])original.Clone();
        var count = random.Next(1, 9);
        for (var i = 0; i < count; i++)
        {
            var at = random.Next(headerLength, m.Length);
            m[at] ^= (byte)(1 << random.Next(8));
        }
        if (random.Next(4) == 0)
        {
            m[random.Next(headerLength)] ^= (byte)(1 << random.Next(8));
        }
        return m;
    }

    /// <summary>A run of 1 to 64 bytes of 00, FF or noise past the file header (a bad disk sector, a bad copy).</summary>
    private static byte[] ByteRun(byte[] original, Random random, int headerLength)
    {
        var m = (byte[])original.Clone();
        var length = random.Next(1, 65);
        var at = random.Next(headerLength, m.Length - 1);
        var kind = random.Next(3);
        for (var i = at; i < Math.Min(m.Length, at + length); i++)
        {
            m[i] = kind switch { 0 => 0x00, 1 => 0xFF, _ => (byte)random.Next(256) };
        }
        return m;
    }

    private static uint HugeOr(Random random, uint actual) => random.Next(4) switch
    {
        0 => uint.MaxValue,
        1 => 0x7FFFFFFF,
        2 => actual + 1,
        _ => actual + (uint)random.Next(2, 70000),
    };

    private static CaptureLayout.Frame PickFrame(CaptureLayout layout, Random random) => layout.Frames[random.Next(layout.Frames.Count)];

    /// <summary>pcap incl_len or pcapng captured length beyond the record.</summary>
    private static byte[] InflateCapturedLength(byte[] original, CaptureLayout layout, Random random)
    {
        var m = (byte[])original.Clone();
        var f = PickFrame(layout, random);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(f.LengthField), HugeOr(random, (uint)f.CapturedLength));
        return m;
    }

    /// <summary>The IPv4 total length or IPv6 payload length of a frame, beyond the frame.</summary>
    private static byte[] InflateIpTotalLength(byte[] original, CaptureLayout layout, Random random)
    {
        var m = (byte[])original.Clone();
        var f = PickFrame(layout, random);
        if (FindIp(m, f) is var (ip, v6) && ip >= 0)
        {
            var field = ip + (v6 ? 4 : 2);
            var actual = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(field));
            BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(field), random.Next(2) == 0 ? (ushort)0xFFFF : (ushort)(actual + random.Next(1, 2000)));
        }
        return m;
    }

    /// <summary>TCP data offset beyond the segment (up to 15 words = 60 bytes), or below 5 words.</summary>
    private static byte[] InflateTcpDataOffset(byte[] original, CaptureLayout layout, Random random)
    {
        var m = (byte[])original.Clone();
        var f = PickFrame(layout, random);
        if (FindTcp(m, f) is var tcp && tcp >= 0)
        {
            m[tcp + 12] = (byte)((random.Next(3) == 0 ? random.Next(0, 5) : random.Next(11, 16)) << 4 | (m[tcp + 12] & 0x0F));
        }
        return m;
    }

    internal enum TlsField { RecordLength, HandshakeLength, CertificateListLength }

    /// <summary>A TLS record length (16 bits), handshake length (24 bits) or certificate_list length (24 bits)
    /// in a frame's TCP payload, set beyond what follows.</summary>
    private static byte[] InflateTlsField(byte[] original, CaptureLayout layout, Random random, TlsField field)
    {
        var m = (byte[])original.Clone();
        var candidates = new List<int>();
        foreach (var f in layout.Frames)
        {
            var tcp = FindTcp(m, f);
            if (tcp < 0)
            {
                continue;
            }
            var payload = tcp + ((m[tcp + 12] >> 4) * 4);
            var end = f.Data + f.CapturedLength;
            for (var at = payload; at + 9 <= end; at++)
            {
                var isRecord = m[at] is >= 20 and <= 23 && m[at + 1] == 3 && m[at + 2] <= 4;
                if (!isRecord)
                {
                    continue;
                }
                switch (field)
                {
                    case TlsField.RecordLength:
                        candidates.Add(at + 3);
                        break;
                    case TlsField.HandshakeLength when m[at] == 22:
                        candidates.Add(at + 6);
                        break;
                    case TlsField.CertificateListLength when m[at] == 22 && m[at + 5] == 11 && at + 12 <= end:
                        candidates.Add(at + 9);
                        break;
                }
            }
        }
        if (candidates.Count == 0)
        {
            // No such field in this capture (TLS 1.3 hides the Certificate): inflate any record length instead.
            return field == TlsField.RecordLength ? BitFlips(original, random, layout.HeaderLength) : InflateTlsField(original, layout, random, TlsField.RecordLength);
        }
        var pos = candidates[random.Next(candidates.Count)];
        if (field == TlsField.RecordLength)
        {
            var actual = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(pos));
            BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(pos), random.Next(3) switch { 0 => (ushort)0xFFFF, 1 => (ushort)0x4801, _ => (ushort)(actual + random.Next(1, 300)) });
        }
        else
        {
            var actual = (m[pos] << 16) | (m[pos + 1] << 8) | m[pos + 2];
            var v = random.Next(3) switch { 0 => 0xFFFFFF, 1 => actual + 1, _ => actual + random.Next(2, 100_000) };
            TlsBytes.WriteUInt24(m.AsSpan(pos), Math.Min(v, 0xFFFFFF));
        }
        return m;
    }

    private static byte[] Duplicate(byte[] original, CaptureLayout layout, Random random)
    {
        var order = Enumerable.Range(0, layout.Frames.Count).ToList();
        var i = random.Next(order.Count);
        order.Insert(random.Next(2) == 0 ? i + 1 : random.Next(order.Count + 1), i);
        return Reorder(original, layout, order);
    }

    private static byte[] DuplicateAll(byte[] original, CaptureLayout layout) =>
        Reorder(original, layout, [.. Enumerable.Range(0, layout.Frames.Count).SelectMany(i => new[] { i, i })]);

    private static byte[] Swap(byte[] original, CaptureLayout layout, Random random)
    {
        var order = Enumerable.Range(0, layout.Frames.Count).ToList();
        var a = random.Next(order.Count);
        var b = random.Next(order.Count);
        (order[a], order[b]) = (order[b], order[a]);
        return Reorder(original, layout, order);
    }

    private static byte[] ReverseWindow(byte[] original, CaptureLayout layout, Random random)
    {
        var order = Enumerable.Range(0, layout.Frames.Count).ToList();
        var start = random.Next(order.Count);
        var length = Math.Min(order.Count - start, random.Next(2, 8));
        order.Reverse(start, length);
        return Reorder(original, layout, order);
    }

    /// <summary>The file header, the frames' records in the given order, and whatever followed the last record.</summary>
    private static byte[] Reorder(byte[] original, CaptureLayout layout, IReadOnlyList<int> order)
    {
        using var output = new MemoryStream();
        output.Write(original, 0, layout.HeaderLength);
        foreach (var i in order)
        {
            var f = layout.Frames[i];
            output.Write(original, f.Start, f.Length);
        }
        var last = layout.Frames.Count == 0 ? layout.HeaderLength : layout.Frames[^1].Start + layout.Frames[^1].Length;
        output.Write(original, last, original.Length - last);
        return output.ToArray();
    }

    /// <summary>The IP header in a frame, whatever the link layer (Ethernet 14, SLL 16, SLL2 20, raw 0).</summary>
    private static (int Offset, bool V6) FindIp(byte[] m, CaptureLayout.Frame f)
    {
        foreach (var link in (int[])[14, 16, 20, 0, 4])
        {
            var ip = f.Data + link;
            if (ip + 40 > f.Data + f.CapturedLength)
            {
                continue;
            }
            if (m[ip] == 0x45 && m[ip + 9] == 6)
            {
                return (ip, false);
            }
            if (m[ip] >> 4 == 6 && m[ip + 6] == 6)
            {
                return (ip, true);
            }
        }
        return (-1, false);
    }

    private static int FindTcp(byte[] m, CaptureLayout.Frame f)
    {
        var (ip, v6) = FindIp(m, f);
        var tcp = ip < 0 ? -1 : ip + (v6 ? 40 : 20);
        return tcp >= 0 && tcp + 20 <= f.Data + f.CapturedLength ? tcp : -1;
    }
}
