using System.Buffers.Binary;
using System.Text.Json;
using PcapTls.Testing;
using PcapTls.Validation;

namespace PcapTls.Validation.Tests;

/// <summary>
/// For every base capture in captures/manifest.json whose client judged the server's chain (Java, s_client, curl), the
/// message and alert this core predicts equal what the real client printed and sent. The chain is rebuilt from the
/// PEM files the manifest names (captures/pki), not from the capture: this test does not depend on the capture parser.
/// </summary>
[TestClass]
public sealed class CaptureManifestTests
{
    /// <summary>Scenarios where the client's decision is about the server's chain and name (the others fail elsewhere: mTLS, hello, plaintext).</summary>
    private static readonly HashSet<string> ChainScenarios =
    [
        "ok", "untrusted-root", "impostor-root", "leaf-only", "wrong-host", "cn-only", "cn-only-other", "ip-literal",
        "expired", "not-yet-valid", "intermediate-only", "empty-truststore",
    ];

    private const uint PcapMagicMicro = 0xa1b2c3d4;
    private const uint PcapMagicNano = 0xa1b23c4d;
    private const int PcapGlobalHeaderLength = 24;

    private static JsonElement Captures()
    {
        var path = RepoPaths.Capture("manifest.json");
        if (!File.Exists(path))
        {
            Assert.Inconclusive("skipped: captures/manifest.json does not exist (run tools/make-captures)");
        }
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.GetProperty("captures").Clone();
    }

    /// <summary>The time of the capture's first packet (pcap global header, then the first record's ts_sec), else now.</summary>
    private static DateTimeOffset CaptureTime(string file)
    {
        var path = RepoPaths.Capture(file);
        if (!File.Exists(path))
        {
            return DateTimeOffset.UtcNow;
        }
        var head = new byte[PcapGlobalHeaderLength + 4];
        using (var f = File.OpenRead(path))
        {
            if (f.Read(head) < head.Length)
            {
                return DateTimeOffset.UtcNow;
            }
        }
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(head);
        var little = magic is PcapMagicMicro or PcapMagicNano;
        var seconds = little ? BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(PcapGlobalHeaderLength)) : BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(PcapGlobalHeaderLength));
        return seconds == 0 ? DateTimeOffset.UtcNow : DateTimeOffset.FromUnixTimeSeconds(seconds);
    }

    private static TrustStore LoadStore(JsonElement entry, string client)
    {
        var ts = entry.GetProperty("truststore");
        var file = RepoPaths.Capture(ts.GetProperty(client == "java" ? "jks" : "pem").GetString()!);
        if (new FileInfo(file).Length == 0)
        {
            return TrustStore.FromCertificates("empty", []);
        }
        return TrustStore.Load(file, ts.GetProperty("password").GetString());
    }

    [TestMethod]
    public void PredictedMessageAndAlertEqualWhatTheRealClientsDid()
    {
        var checkedCount = 0;
        var failures = new List<string>();
        foreach (var e in Captures().EnumerateArray())
        {
            var client = e.GetProperty("client").GetString()!;
            var scenario = e.GetProperty("scenario").GetString()!;
            if (e.GetProperty("variant").GetString() != "base" || client is not ("java" or "openssl" or "curl") || !ChainScenarios.Contains(scenario))
            {
                continue;
            }
            var chain = e.GetProperty("serverChain").EnumerateArray()
                .SelectMany(p => CertificateFile.Read(File.ReadAllBytes(RepoPaths.Capture(p.GetString()!))))
                .Select(c => c.Der).ToList();
            var tls = e.GetProperty("tlsVersion").GetString() == "1.3" ? (ushort)0x0304 : (ushort)0x0303;
            var request = new ValidationRequest(chain, LoadStore(e, client), e.GetProperty("host").GetString(), CaptureTime(e.GetProperty("file").GetString()!),
                client switch { "java" => ClientProfile.Java, "curl" => ClientProfile.Curl, _ => ClientProfile.OpenSsl })
            { TlsVersion = tls };
            var verdict = ChainValidator.Validate(request);
            var result = e.GetProperty("clientResult");
            var realMessage = result.GetProperty("message").ValueKind == JsonValueKind.String ? result.GetProperty("message").GetString() : null;
            byte? realAlert = result.GetProperty("alertSent").ValueKind == JsonValueKind.Number ? (byte)result.GetProperty("alertSent").GetInt32() : null;
            var expectedOutcome = e.GetProperty("expected").GetProperty("outcome").GetString();
            var id = $"{e.GetProperty("file").GetString()} ({client}, {scenario}, TLS {e.GetProperty("tlsVersion").GetString()})";
            checkedCount++;

            if (expectedOutcome == "completed")
            {
                if (!verdict.Trusted)
                {
                    failures.Add($"{id}: the client accepted, the core says not trusted: {verdict.ClientMessage}");
                }
                continue;
            }
            if (verdict.Trusted)
            {
                failures.Add($"{id}: the client rejected ({realMessage}), the core says trusted");
                continue;
            }
            var predicted = client == "openssl" ? $"verify error:num={verdict.OpenSslErrorNumber}:{verdict.ClientMessage}" : verdict.ClientMessage;
            if (predicted != realMessage)
            {
                failures.Add($"{id}: message\n    real: {realMessage}\n    core: {predicted}");
            }
            if (realAlert != verdict.PredictedAlert && (realAlert is not null || client == "curl"))
            {
                failures.Add($"{id}: alert real {realAlert}, core {verdict.PredictedAlert}");
            }
            var expectedCause = e.GetProperty("expected").GetProperty("causes").EnumerateArray().Select(c => c.GetString()).FirstOrDefault();
            if (expectedCause is not null && verdict.Findings.FirstOrDefault()?.Code.ToCode() != expectedCause)
            {
                failures.Add($"{id}: cause expected {expectedCause}, core {verdict.Findings.FirstOrDefault()?.Code.ToCode()}");
            }
        }
        if (checkedCount == 0)
        {
            Assert.Inconclusive("skipped: the manifest lists no Java or s_client capture of a chain scenario");
        }
        Assert.IsEmpty(failures, $"{failures.Count} of {checkedCount} captures disagree:\n" + string.Join("\n", failures));
    }
}
