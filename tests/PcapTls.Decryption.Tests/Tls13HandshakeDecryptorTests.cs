using static PcapTls.Decryption.Tests.Rfc8448Vectors;

namespace PcapTls.Decryption.Tests;

[TestClass]
public sealed class Tls13HandshakeDecryptorTests
{
    private static readonly byte[] ServerHs = Enumerable.Range(1, 48).Select(i => (byte)i).ToArray();
    private static readonly byte[] ServerAp = Enumerable.Range(101, 48).Select(i => (byte)i).ToArray();
    private static readonly byte[] ClientEarly = Enumerable.Range(151, 48).Select(i => (byte)i).ToArray();
    private static readonly byte[] ClientHs = Enumerable.Range(51, 48).Select(i => (byte)i).ToArray();
    private static readonly byte[] ClientAp = Enumerable.Range(201, 48).Select(i => (byte)i).ToArray();

    // Alert(level fatal = 2, description certificate_unknown = 46).
    private static readonly byte[] Alert46 = [2, 46];

    private static byte[] S(byte[] secret, Tls13CipherSuiteParameters suite) => secret[..suite.HashLength];

    public static IEnumerable<object[]> Suites =>
    [
        [(ushort)0x1301, false], [(ushort)0x1302, false], [(ushort)0x1303, false], [(ushort)0x1304, false], [(ushort)0x1305, false],
        [(ushort)0x1301, true], [(ushort)0x1302, true], [(ushort)0x1303, true], [(ushort)0x1304, true], [(ushort)0x1305, true],
    ];

    [TestMethod]
    [DynamicData(nameof(Suites))]
    public void EverySuiteOpensWhatItsPeerSealed(ushort code, bool bouncyCastle)
    {
        var suite = Rfc8448Tests.Suite(code);
        var sealer = new RecordSealer(suite, S(ServerHs, suite));
        var protection = new Tls13RecordProtection(suite, Tls13KeySchedule.DeriveTrafficKeys(suite, S(ServerHs, suite))) { UseBouncyCastle = bouncyCastle };

        for (var i = 0; i < 3; i++)
        {
            var record = sealer.Seal(22, [8, 0, 0, 2, 0, (byte)i], padding: i * 7);
            Assert.IsTrue(protection.TryOpen(record.AsSpan(0, 5), record.AsSpan(5), out var content, out var type), $"record {i}");
            Assert.AreEqual((byte)22, type);
            CollectionAssert.AreEqual(new byte[] { 8, 0, 0, 2, 0, (byte)i }, content, "padding stripped");
        }
        Assert.AreEqual(3UL, protection.SequenceNumber);
    }

    [TestMethod]
    public void ServerSwitchesToApplicationKeysForAnAlertAfterTheHandshake()
    {
        var suite = Rfc8448Tests.Suite(0x1302);
        var hs = new RecordSealer(suite, ServerHs);
        var ap = new RecordSealer(suite, ServerAp);
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1302, new Tls13Secrets { ServerHandshakeTrafficSecret = ServerHs, ServerTrafficSecret0 = ServerAp }, out var d));

        Assert.IsTrue(d.Open(TrafficDirection.Server, hs.Seal(22, [8, 0, 0, 0]), out _, out _));
        Assert.IsTrue(d.Open(TrafficDirection.Server, hs.Seal(22, [11, 0, 0, 0]), out _, out _));
        Assert.AreEqual(Tls13KeyStage.Handshake, d.CurrentStage(TrafficDirection.Server));
        Assert.IsTrue(d.Open(TrafficDirection.Server, ap.Seal(23, [1, 2, 3]), out _, out var t1));
        Assert.AreEqual((byte)23, t1);
        Assert.IsTrue(d.Open(TrafficDirection.Server, ap.Seal(21, Alert46), out var alert, out var t2));
        Assert.AreEqual((byte)21, t2);
        CollectionAssert.AreEqual(Alert46, alert);
        Assert.AreEqual(Tls13KeyStage.Application, d.CurrentStage(TrafficDirection.Server));

        // Once on application keys, a handshake-key record (out of order, replayed) is refused.
        Assert.IsFalse(d.Open(TrafficDirection.Server, new RecordSealer(suite, ServerHs).Seal(22, [8, 0, 0, 0]), out _, out _));
    }

    [TestMethod]
    public void SkippedApplicationRecordsKeepTheSequenceForALaterAlert()
    {
        var suite = Rfc8448Tests.Suite(0x1301);
        var hs = new RecordSealer(suite, S(ServerHs, suite));
        var ap = new RecordSealer(suite, S(ServerAp, suite));
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, new Tls13Secrets { ServerHandshakeTrafficSecret = S(ServerHs, suite), ServerTrafficSecret0 = S(ServerAp, suite) }, out var d));

        Assert.IsTrue(d.Open(TrafficDirection.Server, hs.Seal(22, [20, 0, 0, 0]), out _, out _));
        Assert.IsFalse(d.SkipApplicationRecord(TrafficDirection.Server), "still on handshake keys: nothing skipped");
        Assert.IsTrue(d.Open(TrafficDirection.Server, ap.Seal(23, [1]), out _, out _));
        ap.Seal(23, new byte[1000]);
        ap.Seal(23, new byte[1000]);
        Assert.IsTrue(d.SkipApplicationRecord(TrafficDirection.Server));
        Assert.IsTrue(d.SkipApplicationRecord(TrafficDirection.Server));

        Assert.IsTrue(d.Open(TrafficDirection.Server, ap.Seal(21, Alert46), out var alert, out _));
        CollectionAssert.AreEqual(Alert46, alert);
    }

    [TestMethod]
    public void KeyLogLookupCreatesTheDecryptor()
    {
        var random = Enumerable.Repeat((byte)0xAB, 32).ToArray();
        var log = KeyLog.Parse(new StringReader($"SERVER_HANDSHAKE_TRAFFIC_SECRET {Convert.ToHexString(random)} {Convert.ToHexString(ServerHandshakeTrafficSecret)}"), "k");

        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(log, random, 0x1301, out var d));
        Assert.IsTrue(d.Open(TrafficDirection.Server, ServerFlightRecord, out _, out _));
        Assert.IsFalse(Tls13HandshakeDecryptor.TryCreate(log, new byte[32], 0x1301, out _), "another connection");
    }

    [TestMethod]
    public void ClientEncryptedAlertAfterFinishedNeedsTheClientApplicationSecret()
    {
        // A Java client sends its Finished under handshake keys, then its alert under application keys.
        var suite = Rfc8448Tests.Suite(0x1301);
        var finished = new RecordSealer(suite, S(ClientHs, suite)).Seal(22, [20, 0, 0, 0]);
        var alert = new RecordSealer(suite, S(ClientAp, suite)).Seal(21, Alert46);

        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, new Tls13Secrets { ClientHandshakeTrafficSecret = S(ClientHs, suite) }, out var withoutAp));
        Assert.IsTrue(withoutAp.Open(TrafficDirection.Client, finished, out _, out _));
        Assert.IsFalse(withoutAp.Open(TrafficDirection.Client, alert, out _, out _));

        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, new Tls13Secrets { ClientHandshakeTrafficSecret = S(ClientHs, suite), ClientTrafficSecret0 = S(ClientAp, suite) }, out var withAp));
        Assert.IsTrue(withAp.Open(TrafficDirection.Client, finished, out _, out _));
        Assert.IsTrue(withAp.Open(TrafficDirection.Client, alert, out var content, out var type));
        Assert.AreEqual((byte)21, type);
        CollectionAssert.AreEqual(Alert46, content);
    }

    [TestMethod]
    public void ClientEarlyDataThenHandshake()
    {
        var suite = Rfc8448Tests.Suite(0x1303);
        var early = new RecordSealer(suite, S(ClientEarly, suite));
        var hs = new RecordSealer(suite, S(ClientHs, suite));
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1303, new Tls13Secrets { ClientEarlyTrafficSecret = S(ClientEarly, suite), ClientHandshakeTrafficSecret = S(ClientHs, suite) }, out var d));

        Assert.IsTrue(d.Open(TrafficDirection.Client, early.Seal(23, "GET /"u8), out _, out _));
        Assert.AreEqual(Tls13KeyStage.Early, d.CurrentStage(TrafficDirection.Client));
        Assert.IsTrue(d.Open(TrafficDirection.Client, early.Seal(22, [5, 0, 0, 0]), out _, out var eoed));
        Assert.AreEqual((byte)22, eoed, "EndOfEarlyData");
        Assert.IsTrue(d.Open(TrafficDirection.Client, hs.Seal(22, [20, 0, 0, 0]), out _, out _));
        Assert.AreEqual(Tls13KeyStage.Handshake, d.CurrentStage(TrafficDirection.Client));
    }

    [TestMethod]
    public void WrongSecretIsFalseAndLeavesStateUnchanged()
    {
        var wrong = (byte[])ServerHandshakeTrafficSecret.Clone();
        wrong[0] ^= 1;
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, new Tls13Secrets { ServerHandshakeTrafficSecret = wrong }, out var d));

        Assert.IsFalse(d.Open(TrafficDirection.Server, ServerFlightRecord, out var plaintext, out var type));

        Assert.AreEqual(0, plaintext.Length);
        Assert.AreEqual((byte)0, type);
        Assert.AreEqual(Tls13KeyStage.None, d.CurrentStage(TrafficDirection.Server));
    }

    [TestMethod]
    public void WrongSuiteIsFalse()
    {
        // Same secret, but the caller claims ChaCha20: key and AEAD differ, nothing opens.
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1303, new Tls13Secrets { ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret }, out var d));

        Assert.IsFalse(d.Open(TrafficDirection.Server, ServerFlightRecord, out _, out _));
    }

    [TestMethod]
    public void EveryTamperedByteIsRejected()
    {
        for (var i = 0; i < ServerFlightRecord.Length; i += 13)
        {
            var tampered = (byte[])ServerFlightRecord.Clone();
            tampered[i] ^= 0x80;
            Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, new Tls13Secrets { ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret }, out var d));
            Assert.IsFalse(d.Open(TrafficDirection.Server, tampered, out _, out _), $"byte {i}");
        }
    }

    [TestMethod]
    public void EveryTruncatedPrefixIsFalseNeverThrows()
    {
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, new Tls13Secrets { ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret }, out var d));

        for (var n = 0; n < ServerFlightRecord.Length; n++)
        {
            var prefix = ServerFlightRecord.AsSpan(0, n);
            var header = prefix[..Math.Min(5, n)];
            var payload = n > 5 ? prefix[5..] : [];
            Assert.IsFalse(d.TryDecrypt(TrafficDirection.Server, header, payload, out _, out _), $"prefix {n}");
        }

        // A short record whose length field agrees with its payload is still refused (and does not throw).
        for (var n = 0; n <= 17; n++)
        {
            byte[] shortRecord = [23, 3, 3, 0, (byte)n, .. new byte[n]];
            Assert.IsFalse(d.Open(TrafficDirection.Server, shortRecord, out _, out _), $"payload {n}");
        }

        // The whole record still opens afterwards: no failed attempt consumed a sequence number.
        Assert.IsTrue(d.Open(TrafficDirection.Server, ServerFlightRecord, out _, out _));
    }

    [TestMethod]
    public void ChangeCipherSpecAndPlaintextRecordsAreNotOpened()
    {
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, new Tls13Secrets { ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret }, out var d));

        // ChangeCipherSpec(20), legacy version 0x0303, length 1, value 1: the middlebox-compatibility CCS.
        Assert.IsFalse(d.Open(TrafficDirection.Server, [20, 3, 3, 0, 1, 1], out _, out _));
        // The RFC record relabelled as handshake(22): AAD-bound, and not a protected record anyway.
        var relabelled = (byte[])ServerFlightRecord.Clone();
        relabelled[0] = 22;
        Assert.IsFalse(d.Open(TrafficDirection.Server, relabelled, out _, out _));
        Assert.IsTrue(d.Open(TrafficDirection.Server, ServerFlightRecord, out _, out _));
    }

    [TestMethod]
    public void LengthFieldMustMatchThePayload()
    {
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, new Tls13Secrets { ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret }, out var d));

        var header = ServerFlightRecord[..5];
        header[4]--;
        Assert.IsFalse(d.TryDecrypt(TrafficDirection.Server, header, ServerFlightRecord.AsSpan(5), out _, out _));
        Assert.IsFalse(d.TryDecrypt(TrafficDirection.Server, ServerFlightRecord.AsSpan(0, 4), ServerFlightRecord.AsSpan(4), out _, out _));
    }

    [TestMethod]
    public void OverlongRecordHitsTheLimit()
    {
        var suite = Rfc8448Tests.Suite(0x1301);
        var sealer = new RecordSealer(suite, S(ServerHs, suite));
        var atLimit = sealer.Seal(23, new byte[Tls13RecordProtection.MaxCiphertextLength - 16 - 1]);
        var overLimit = new RecordSealer(suite, S(ServerHs, suite)).Seal(23, new byte[Tls13RecordProtection.MaxCiphertextLength - 16]);
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, new Tls13Secrets { ServerHandshakeTrafficSecret = S(ServerHs, suite) }, out var d));

        Assert.IsFalse(d.Open(TrafficDirection.Server, overLimit, out _, out _), "one byte over 2^14 + 256");
        Assert.IsTrue(d.Open(TrafficDirection.Server, atLimit, out _, out _));
    }

    [TestMethod]
    public void AllZeroInnerPlaintextIsRefusedButCounted()
    {
        var suite = Rfc8448Tests.Suite(0x1301);
        var sealer = new RecordSealer(suite, S(ServerHs, suite));
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, new Tls13Secrets { ServerHandshakeTrafficSecret = S(ServerHs, suite) }, out var d));

        Assert.IsFalse(d.Open(TrafficDirection.Server, sealer.SealInner(new byte[10]), out _, out _));
        // The keys were right, so the next record is at sequence number 1.
        Assert.IsTrue(d.Open(TrafficDirection.Server, sealer.Seal(22, [8, 0, 0, 0]), out _, out _));
    }

    [TestMethod]
    public void TryCreateRefusesUnusableInput()
    {
        var secrets = new Tls13Secrets { ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret };

        Assert.IsFalse(Tls13HandshakeDecryptor.TryCreate(0xC02F, secrets, out _), "a TLS 1.2 suite");
        Assert.IsFalse(Tls13HandshakeDecryptor.TryCreate(0x1302, secrets, out _), "a 32-byte secret cannot be a SHA-384 secret");
        Assert.IsFalse(Tls13HandshakeDecryptor.TryCreate(0x1301, new Tls13Secrets { ExporterSecret = ServerHandshakeTrafficSecret }, out _), "exporter secrets open nothing");
    }
}
