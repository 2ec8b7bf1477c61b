using System.Text;
using PcapTls.Analysis;
using PcapTls.Capture;
using PcapTls.Decryption;
using PcapTls.Reporting;
using PcapTls.Tls;
using PcapTls.Validation;
using SharpFuzz;

namespace PcapTls.Fuzz;

/// <summary>
/// SharpFuzz entry points, one per input format an attacker controls. `pcaptls-fuzz TARGET` runs TARGET under
/// AFL++ (Fuzzer.OutOfProcess: afl-fuzz starts this process once and feeds it inputs over shared memory);
/// `pcaptls-fuzz TARGET --replay FILE...` runs files once without AFL (to reproduce a crash, or to check the
/// seed corpus). An exception that escapes a target is a crash: the layers promise anomalies, not exceptions.
/// </summary>
public static class Program
{
    /// <summary>Inputs larger than this are cut: the interesting structure of every format fits in it and
    /// AFL++ slows down sharply with large inputs.</summary>
    private const int MaxInput = 1 << 20;

    private static readonly Dictionary<string, Action<byte[]>> Targets = new(StringComparer.Ordinal)
    {
        ["capture"] = FuzzCapture,
        ["tls"] = FuzzTls,
        ["x509"] = FuzzX509,
        ["truststore"] = FuzzTrustStore,
        ["keylog"] = FuzzKeyLog,
        ["encap"] = SurfaceTargets.Encapsulation,
        ["preamble"] = SurfaceTargets.Preamble,
        ["pcapng"] = SurfaceTargets.CaptureStream,
        ["compressed"] = SurfaceTargets.CaptureStream,
        ["supportlog"] = SupportTargets.SupportLog,
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Targets.TryGetValue(args[0], out var target))
        {
            Console.Error.WriteLine($"usage: pcaptls-fuzz {{{string.Join('|', Targets.Keys)}}} [--replay FILE...]");
            Console.Error.WriteLine("       pcaptls-fuzz tls --seeds-from CAPTURE OUTDIR   (one seed per TCP direction)");
            Console.Error.WriteLine("       pcaptls-fuzz preamble --seeds-from CAPTURE OUTDIR   (one seed per TCP connection)");
            Console.Error.WriteLine("       pcaptls-fuzz preamble --seeds OUTDIR   (STARTTLS-like conversations)");
            Console.Error.WriteLine("       pcaptls-fuzz encap --seeds OUTDIR   (one frame per encapsulation)");
            return 2;
        }
        if (args[0] == "tls" && args.Length == 4 && args[1] == "--seeds-from")
        {
            return TlsSeeds.Write(args[2], args[3]);
        }
        if (args[0] == "preamble" && args.Length == 4 && args[1] == "--seeds-from")
        {
            return TlsSeeds.WriteConnections(args[2], args[3]);
        }
        if (args[0] == "preamble" && args.Length == 3 && args[1] == "--seeds")
        {
            return PreambleSeeds.Write(args[2]);
        }
        if (args[0] == "encap" && args.Length == 3 && args[1] == "--seeds")
        {
            return EncapsulationSeeds.Write(args[2]);
        }
        if (args.Length > 1 && args[1] == "--replay")
        {
            foreach (var file in args.Skip(2))
            {
                target(File.ReadAllBytes(file));
                Console.WriteLine($"ok {file}");
            }
            return 0;
        }

        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var data = buffer.Length > MaxInput ? buffer.GetBuffer().AsSpan(0, MaxInput).ToArray() : buffer.ToArray();
            target(data);
        });
        return 0;
    }

    /// <summary>The whole pipeline from a file: reader (pcap, pcapng, gzip), flows, TLS, validation, both
    /// renderers. CaptureFormatException is the documented answer to a file that is not a capture.</summary>
    private static void FuzzCapture(byte[] data)
    {
        var path = Path.Combine(TempFolder, "input.pcap");
        File.WriteAllBytes(path, data);
        AnalysisReport report;
        try
        {
            report = CaptureAnalyzer.AnalyzeFile(path, new AnalysisOptions { TrustStore = EmptyTrustStore, At = FixedTime });
        }
        catch (CaptureFormatException)
        {
            return;
        }
        new JsonReportRenderer().Render(report, TextWriter.Null);
        new ConsoleReportRenderer(color: false).Render(report, TextWriter.Null);
    }

    /// <summary>The TLS decoder alone: the first byte chooses how the rest is cut between the two sides and
    /// into Feed calls, so the fuzzer explores records split by TCP at any point.</summary>
    private static void FuzzTls(byte[] data)
    {
        if (data.Length == 0)
        {
            return;
        }
        var control = data[0];
        var chunk = 1 + (control & 0x3F);
        var body = data.AsSpan(1);
        var decoder = new TlsConnectionDecoder(new CertificateParsingSink());
        var side = 0;
        var packet = 1L;
        for (var offset = 0; offset < body.Length; offset += chunk, packet++)
        {
            var part = body.Slice(offset, Math.Min(chunk, body.Length - offset));
            if ((control & 0x40) != 0 && part[0] == 0x00)
            {
                decoder.Gap(side, part.Length, new TlsPosition(packet, packet));
            }
            else
            {
                decoder.Feed(side, part, new TlsPosition(packet, packet));
            }
            if ((control & 0x80) != 0)
            {
                side ^= 1;
            }
        }
        decoder.EndOfStream(0, new TlsPosition(packet, packet));
        decoder.EndOfStream(1, new TlsPosition(packet, packet));
    }

    /// <summary>One DER certificate through the parser and every property the report or the judge reads.</summary>
    private static void FuzzX509(byte[] data)
    {
        var info = CertificateInfo.Parse(data);
        _ = info.Sha256Hex;
        if (info.IsParsed)
        {
            _ = info.Subject + info.Issuer + info.SerialHex + string.Join(',', info.DnsNames);
            _ = info.IsSelfSigned;
            _ = info.IsValidAt(FixedTime);
            _ = info.AllowsCertificateSigning && info.AllowsDigitalSignature;
            _ = info.ToPem();
        }
    }

    /// <summary>Truststore loading (JKS, PKCS12, PEM, DER): TrustStoreException is the documented answer to a
    /// file that is none of them.</summary>
    private static void FuzzTrustStore(byte[] data)
    {
        try
        {
            var store = TrustStore.Load("fuzz", data, "changeit");
            _ = store.Entries.Count;
        }
        catch (TrustStoreException)
        {
        }
    }

    private static void FuzzKeyLog(byte[] data)
    {
        var log = KeyLog.Parse(new StringReader(Encoding.UTF8.GetString(data)), "fuzz");
        _ = log.Count + log.Problems.Count + log.UnknownLabelLines;
        Span<byte> random = stackalloc byte[32];
        _ = log.TryGetSecrets(random, out _);
    }

    private static readonly DateTimeOffset FixedTime = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Lazy, not static readonly: instrumented code must not run before Fuzzer.OutOfProcess.Run has set up
    // AFL's shared memory (a static constructor would, and crash).
    private static TrustStore? emptyTrustStore;

    private static string? tempFolder;

    private static TrustStore EmptyTrustStore => emptyTrustStore ??= TrustStore.FromCertificates("fuzz (empty)", []);

    private static string TempFolder => tempFolder ??= Directory.CreateTempSubdirectory("pcaptls-fuzz-").FullName;

    /// <summary>Parses every certificate the decoder hands out, as the analysis does.</summary>
    private sealed class CertificateParsingSink : ITlsEventSink
    {
        public void OnRecord(int side, TlsContentType type, ushort version, int length, TlsPosition position) { }
        public void OnClientHello(int side, ClientHelloInfo hello, TlsPosition position) { }
        public void OnServerHello(int side, ServerHelloInfo hello, TlsPosition position) { }
        public void OnCertificate(int side, CertificateMessage message, TlsPosition position)
        {
            foreach (var der in message.Certificates)
            {
                _ = CertificateInfo.Parse(der).Sha256Hex;
            }
        }
        public void OnCertificateRequest(int side, CertificateRequestInfo request, TlsPosition position) { }
        public void OnHandshakeMessage(int side, TlsHandshakeType type, int length, bool decrypted, TlsPosition position) { }
        public void OnChangeCipherSpec(int side, TlsPosition position) { }
        public void OnEncryptedRecord(int side, TlsContentType outerType, int length, TlsPosition position) { }
        public void OnAlert(int side, TlsAlert alert, TlsPosition position) { }
        public void OnApplicationData(int side, int length, TlsPosition position) { }
        public void OnNotTls(int side, string firstBytesPreview, TlsPosition position) { }
        public void OnAnomaly(int side, TlsAnomaly anomaly) { }
    }
}
