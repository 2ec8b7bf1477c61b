using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Validation.Tests;

[TestClass]
public sealed class CorpusPkiSmokeTests
{
    private static byte[] Der(string name) => CertificateFile.Read(File.ReadAllBytes(Path.Combine(RepoPaths.Captures, "pki", name + ".pem")))[0].Der;

    [TestMethod]
    public void Smoke()
    {
        if (!Directory.Exists(Path.Combine(RepoPaths.Captures, "pki")))
        {
            Assert.Inconclusive("no captures/pki");
        }
        var root = TrustStore.Load(Path.Combine(RepoPaths.Captures, "truststores", "root.pem"));
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        foreach (var (chain, store, host) in new[]
        {
            (new[] { "backend", "intermediate" }, "root.pem", "backend.pcaptls.test"),
            (new[] { "backend" }, "root.pem", "backend.pcaptls.test"),
            (new[] { "backend", "intermediate" }, "unrelated-root.pem", "backend.pcaptls.test"),
            (new[] { "backend", "intermediate" }, "impostor-root.pem", "backend.pcaptls.test"),
            (new[] { "backend", "intermediate" }, "intermediate-only.pem", "backend.pcaptls.test"),
            (new[] { "expired", "intermediate" }, "root.pem", "backend.pcaptls.test"),
            (new[] { "other", "intermediate" }, "root.pem", "backend.pcaptls.test"),
            (new[] { "backend", "intermediate" }, "root.pem", "127.0.0.1"),
            (new[] { "cn-only-other", "intermediate" }, "root.pem", "backend.pcaptls.test"),
            (new[] { "backend", "intermediate" }, "root-openssl-nokeys.p12", "backend.pcaptls.test"),
        })
        {
            var ts = TrustStore.Load(Path.Combine(RepoPaths.Captures, "truststores", store), "changeit");
            foreach (var profile in new[] { ClientProfile.Java, ClientProfile.OpenSsl })
            {
                var v = ChainValidator.Validate(new ValidationRequest(chain.Select(Der).ToList(), ts, host, at, profile));
                Console.WriteLine($"{string.Join("+", chain)} / {store} / {host} / {profile}: trusted={v.Trusted} alert={v.PredictedAlert} msg={v.ClientMessage}");
                foreach (var f in v.Findings)
                {
                    Console.WriteLine($"   {f.Code.ToCode()} [{f.Certainty}] {f.Summary} | {f.Evidence} | {f.Fix}");
                }
                Console.WriteLine("   needed: " + string.Join(", ", v.NeededInTrustStore.Select(c => c.Subject)) + " quality: " + string.Join("; ", v.Quality.Issues));
                if (profile == ClientProfile.Java) Console.Write(v.Explanation.Render());
            }
        }
        _ = root;
    }
}
