using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.JavaDiff.Tests;

/// <summary>
/// The differential test of the validation core against real Java (issue #16): every defect chain of
/// <see cref="DefectMatrix"/> is served by a real openssl s_server over TLS 1.2 and TLS 1.3, a real JSSE client
/// (DiffClient.java, endpoint identification HTTPS, a keytool-made truststore) connects, and PcapTls's verdict for
/// the same chain, truststore and host must equal what Java did: trusted or not, the message, the whole cause chain
/// (each exception's class and message), and the alert the server received.
/// </summary>
[TestClass]
public sealed partial class JavaDifferentialTests
{
    private const int Parallelism = 6;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(600_000, CooperativeCancellation = true)]
    public async Task EveryDefectChainIsJudgedAsRealJavaJudgesIt()
    {
        var openssl = Requires.Tool("openssl");
        var java = Requires.Tool("java");
        var keytool = Requires.Tool("keytool");
        var pki = DefectPki.Create(openssl, DefectMatrix.Certificates);
        try
        {
            using var client = new JavaClient(java, Path.Combine(AppContext.BaseDirectory, "DiffClient.java"), Parallelism);
            var stores = MakeTrustStores(pki, keytool);
            await client.WaitReadyAsync();
            var release = JavaRelease.ForVersion(client.Version);
            if (release is null)
            {
                Assert.Inconclusive($"skipped: the differential test models JDK 17, and java is {client.Version}");
            }
            TestContext.WriteLine($"java {client.Version}: predicted as JDK {release!.Version}");

            foreach (var c in DefectMatrix.Cases.Where(c => c.Chain.Length > 1))
            {
                // What s_server sends after the leaf (-cert_chain), in the case's order; written once for both TLS versions.
                File.WriteAllText(Path.Combine(pki.Directory, $"served-{c.Id}.pem"), string.Concat(c.Chain.Skip(1).Select(n => File.ReadAllText(pki.Pem(n)))));
            }
            var rows = new ConcurrentBag<Row>();
            // The same cases again under each java.security override, each with its own JVM (started now, ready by the time it is needed).
            var overrides = SecurityOverride.All.Select(o =>
            {
                var file = Path.Combine(pki.Directory, $"{o.Name}.security");
                File.WriteAllText(file, o.Properties);
                return (Override: o, Security: JavaSecurity.Load(file), Client: new JavaClient(java, Path.Combine(AppContext.BaseDirectory, "DiffClient.java"), Parallelism, file));
            }).ToList();
            try
            {
                var runs = DefectMatrix.Cases.Select(c => (Case: c, Override: (string?)null, Client: client, Security: JavaSecurity.Jdk17))
                    .Concat(overrides.SelectMany(o => o.Override.CaseIds.Select(id => (Case: DefectMatrix.Cases.Single(c => c.Id == id), Override: (string?)o.Override.Name, o.Client, o.Security))))
                    .SelectMany(r => (bool[])[.. r.Case.Tls12 ? [false] : Array.Empty<bool>(), .. r.Case.Tls13 ? [true] : Array.Empty<bool>()],
                        (r, tls13) => (r.Case, r.Override, r.Client, r.Security, Tls13: tls13)).ToList();
                foreach (var o in overrides)
                {
                    await o.Client.WaitReadyAsync();
                }
                await Parallel.ForEachAsync(runs, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = TestContext.CancellationToken },
                    async (run, _) => rows.Add(await RunCaseAsync(pki, openssl, run.Client, stores, run.Case, run.Tls13, release, run.Override, run.Security)));
            }
            finally
            {
                foreach (var o in overrides)
                {
                    o.Client.Dispose();
                }
            }

            var ordered = rows.OrderBy(r => r.Override is null ? -1 : Array.FindIndex(SecurityOverride.All, o => o.Name == r.Override))
                .ThenBy(r => Array.FindIndex(DefectMatrix.Cases, c => c.Id == r.Case.Id)).ThenBy(r => r.Tls13).ToList();
            var table = Table(ordered);
            File.WriteAllText(Path.Combine(pki.Directory, "matrix.md"), table);
            TestContext.WriteLine(table);
            var compared = ordered.Count(r => r.Comparable);
            var disagreements = ordered.Where(r => r.Comparable && r.Difference is not null).ToList();
            TestContext.WriteLine($"{DefectMatrix.Cases.Length} cases and {SecurityOverride.All.Length} java.security overrides, {ordered.Count} connections, {compared} compared, {compared - disagreements.Count} agree");
            Assert.IsGreaterThanOrEqualTo(40, DefectMatrix.Cases.Length);
            Assert.AreEqual(ordered.Count, compared, "connections where the server itself failed the handshake: "
                + string.Join("; ", ordered.Where(r => !r.Comparable).Select(r => $"{r.Case.Id} {r.Tls}: {r.Java.Message}")));
            Assert.IsEmpty(disagreements, "PcapTls and Java disagree:\n" + string.Join("\n", disagreements.Select(d => $"{d.Case.Id} {d.Override ?? "default"} {d.Tls}: {d.Difference}")));
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("PCAPTLS_KEEP_JAVADIFF") is null)
            {
                Directory.Delete(pki.Directory, recursive: true);
            }
        }
    }

    private static Dictionary<string, string> MakeTrustStores(DefectPki pki, string keytool)
    {
        var sets = DefectMatrix.Cases.Select(c => StoreKey(c.Anchors)).Distinct(StringComparer.Ordinal).ToList();
        var stores = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        // keytool is a JVM start per call: a few at a time.
        Parallel.ForEach(sets, new ParallelOptions { MaxDegreeOfParallelism = 3 },
            key => stores[key] = pki.TrustStore(keytool, key.Length == 0 ? [] : key.Split('+')));
        return new Dictionary<string, string>(stores, StringComparer.Ordinal);
    }

    private static string StoreKey(string[] anchors) => string.Join('+', anchors);

    private static async Task<Row> RunCaseAsync(DefectPki pki, string openssl, JavaClient client, Dictionary<string, string> stores, DefectCase c, bool tls13, JavaRelease release,
        string? overrideName, JavaSecurity security)
    {
        var chainFile = c.Chain.Length > 1 ? Path.Combine(pki.Directory, $"served-{c.Id}.pem") : null;
        var id = $"{overrideName}{c.Id}/{(tls13 ? "1.3" : "1.2")}";
        using var server = await ChainServer.StartAsync(openssl, pki.Pem(c.Chain[0]), pki.KeyFile(c.Chain[0]), chainFile, tls13);
        var store = stores[StoreKey(c.Anchors)];
        var java = await client.ConnectAsync(id, server.Port, c.Host, store, tls13);
        var alert = await server.ClientAlertAsync();

        var verdict = ChainValidator.Validate(new ValidationRequest(
            c.Chain.Select(n => System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(pki.Pem(n))).RawData).ToList(),
            TrustStore.Load(store, "changeit"), c.Host, DateTimeOffset.UtcNow)
        { TlsVersion = tls13 ? (ushort)0x0304 : (ushort)0x0303, Java = release, JavaSecurity = security });
        return new Row(c, tls13, java, alert, verdict, overrideName);
    }

    private static string Table(IReadOnlyList<Row> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| case | java.security | TLS | Java | alert | PcapTls | alert | agrees |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            sb.AppendLine($"| {r.Case.Id} | {r.Override ?? "default"} | {r.Tls} | {(r.Java.Ok ? "trusted" : string.Join(" / caused by ", r.Java.Chain))} | {r.Alert?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} "
                + $"| {(r.Verdict.Trusted ? "trusted" : r.Verdict.ClientMessage)} | {r.Verdict.PredictedAlert?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} "
                + $"| {(!r.Comparable ? "server failed" : r.Difference is null ? "yes" : "NO: " + r.Difference)} |");
        }
        return sb.ToString();
    }

    private sealed record Row(DefectCase Case, bool Tls13, JavaOutcome Java, int? Alert, ChainVerdict Verdict, string? Override)
    {
        public string Tls => Tls13 ? "1.3" : "1.2";

        /// <summary>Java saw the certificate: the server did not end the handshake itself (its alert to Java).</summary>
        public bool Comparable => Java.Ok || !Java.Message!.Contains("Received fatal alert", StringComparison.Ordinal);

        public string? Difference
        {
            get
            {
                if (Verdict.Trusted != Java.Ok)
                {
                    return $"Java {(Java.Ok ? "trusts" : "refuses")} the chain, PcapTls {(Verdict.Trusted ? "trusts" : "refuses")} it";
                }
                if (!Java.Ok && Normalise(Verdict.ClientMessage) != Normalise(Java.Message))
                {
                    return $"message: Java \"{Java.Message}\", PcapTls \"{Verdict.ClientMessage}\"";
                }
                if (!Java.Ok && !Java.Chain.Select(Normalise).SequenceEqual(Verdict.JavaCauseChain.Select(Normalise)))
                {
                    return $"cause chain: Java [{string.Join(" / ", Java.Chain)}], PcapTls [{string.Join(" / ", Verdict.JavaCauseChain)}]";
                }
                if (Verdict.PredictedAlert != Alert)
                {
                    return $"alert: Java sent {Alert?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, PcapTls predicts {Verdict.PredictedAlert?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}";
                }
                return null;
            }
        }
    }

    /// <summary>White space, and the instant a denyAfter failure quotes: the JVM's own clock when it checked
    /// (Instant.now(), TLS sets no validation date), which PcapTls cannot know; it quotes its validation time.</summary>
    private static string Normalise(string? text) => ParamsDate().Replace(Whitespace().Replace(text ?? "", " ").Trim(), "params date: (validation time)");

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"params date: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")]
    private static partial Regex ParamsDate();
}
