using System.Security.Cryptography;
using static PcapTls.Decryption.Tests.Rfc8448Vectors;

namespace PcapTls.Decryption.Tests;

[TestClass]
public sealed class Rfc8448Tests
{
    private static readonly Tls13CipherSuiteParameters Aes128Gcm = Suite(0x1301);

    internal static Tls13CipherSuiteParameters Suite(ushort code)
    {
        Assert.IsTrue(Tls13CipherSuiteParameters.TryGet(code, out var suite));
        return suite;
    }

    [TestMethod]
    public void ServerHandshakeSecretExpandsToTheRfcKeyAndIv()
    {
        var keys = Tls13KeySchedule.DeriveTrafficKeys(Aes128Gcm, ServerHandshakeTrafficSecret);

        CollectionAssert.AreEqual(ServerHandshakeKey, keys.Key);
        CollectionAssert.AreEqual(ServerHandshakeIv, keys.Iv);
    }

    [TestMethod]
    public void ClientHandshakeSecretExpandsToTheRfcKeyAndIv()
    {
        var keys = Tls13KeySchedule.DeriveTrafficKeys(Aes128Gcm, ClientHandshakeTrafficSecret);

        CollectionAssert.AreEqual(ClientHandshakeKey, keys.Key);
        CollectionAssert.AreEqual(ClientHandshakeIv, keys.Iv);
    }

    [TestMethod]
    public void HkdfExpandLabelFinishedKeyMatchesRfc()
    {
        // RFC 8448 section 3: "{server} calculate finished "tls13 finished"": expanded (32 octets).
        var finishedKey = Tls13KeySchedule.HkdfExpandLabel(HashAlgorithmName.SHA256, ServerHandshakeTrafficSecret, "finished", [], 32);

        CollectionAssert.AreEqual(Hex("""
            00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f
            c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8
            """), finishedKey);
    }

    [TestMethod]
    public void HkdfLabelLimitsAreEnforced()
    {
        // opaque label<7..255> holds "tls13 " + Label, so a Label may have 249 bytes; context<0..255>.
        _ = Tls13KeySchedule.HkdfExpandLabel(HashAlgorithmName.SHA256, ServerHandshakeTrafficSecret, new string('a', 249), new byte[255], 16);

        Assert.ThrowsExactly<ArgumentException>(() =>
            Tls13KeySchedule.HkdfExpandLabel(HashAlgorithmName.SHA256, ServerHandshakeTrafficSecret, new string('a', 250), [], 16));
        Assert.ThrowsExactly<ArgumentException>(() =>
            Tls13KeySchedule.HkdfExpandLabel(HashAlgorithmName.SHA256, ServerHandshakeTrafficSecret, "key", new byte[256], 16));
    }

    [TestMethod]
    public void Sha384SuiteExpandsTo32ByteKey()
    {
        var suite = Suite(0x1302);
        var keys = Tls13KeySchedule.DeriveTrafficKeys(suite, new byte[48]);

        Assert.AreEqual(32, keys.Key.Length);
        Assert.AreEqual(12, keys.Iv.Length);
        // A different label gives a different key: "key" and "iv" are not the same expansion truncated.
        CollectionAssert.AreNotEqual(keys.Key[..12], keys.Iv);
    }

    [TestMethod]
    public void ServerFlightDecryptsToTheRfcMessagesByteForByte()
    {
        var secrets = new Tls13Secrets { ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret };
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, secrets, out var decryptor));

        var opened = decryptor.TryDecrypt(TrafficDirection.Server, ServerFlightRecord.AsSpan(0, 5), ServerFlightRecord.AsSpan(5),
            out var plaintext, out var innerType);

        Assert.IsTrue(opened);
        Assert.AreEqual((byte)22, innerType, "inner type handshake");
        byte[] expected = [.. EncryptedExtensions, .. Certificate, .. CertificateVerify, .. ServerFinished];
        Assert.AreEqual(657, expected.Length, "the RFC's payload is 657 octets");
        CollectionAssert.AreEqual(expected, plaintext);
        Assert.AreEqual(Tls13KeyStage.Handshake, decryptor.CurrentStage(TrafficDirection.Server));
        Assert.IsFalse(decryptor.CanDecrypt(TrafficDirection.Client), "only the server secret was given");
    }

    [TestMethod]
    public void ClientFinishedDecryptsWithTheClientHandshakeSecret()
    {
        var secrets = new Tls13Secrets
        {
            ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret,
            ClientHandshakeTrafficSecret = ClientHandshakeTrafficSecret,
        };
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, secrets, out var decryptor));

        Assert.IsTrue(decryptor.TryDecrypt(TrafficDirection.Client, ClientFinishedRecord.AsSpan(0, 5), ClientFinishedRecord.AsSpan(5),
            out var plaintext, out var innerType));

        Assert.AreEqual((byte)22, innerType);
        CollectionAssert.AreEqual(ClientFinished, plaintext);
    }

    [TestMethod]
    public void AClientSecretLoggedAfterTheDecryptorWasMadeOpensTheClientFinished()
    {
        // A live key log: the server's handshake secret is there at the ServerHello, the client's comes later.
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, new Tls13Secrets { ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret }, out var decryptor));
        Assert.IsTrue(decryptor.TryDecrypt(TrafficDirection.Server, ServerFlightRecord.AsSpan(0, 5), ServerFlightRecord.AsSpan(5), out _, out _));
        Assert.IsFalse(decryptor.TryDecrypt(TrafficDirection.Client, ClientFinishedRecord.AsSpan(0, 5), ClientFinishedRecord.AsSpan(5), out _, out _));

        var later = new Tls13Secrets { ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret, ClientHandshakeTrafficSecret = ClientHandshakeTrafficSecret };
        Assert.IsTrue(decryptor.AddMissingSecrets(later), "the client's handshake secret is new");
        Assert.IsFalse(decryptor.AddMissingSecrets(later), "nothing new the second time");

        Assert.IsTrue(decryptor.TryDecrypt(TrafficDirection.Client, ClientFinishedRecord.AsSpan(0, 5), ClientFinishedRecord.AsSpan(5), out var plaintext, out var innerType));
        Assert.AreEqual((byte)22, innerType);
        CollectionAssert.AreEqual(ClientFinished, plaintext);
        Assert.AreEqual(Tls13KeyStage.Handshake, decryptor.CurrentStage(TrafficDirection.Server), "the server direction kept its place");
    }

    [TestMethod]
    public void SecretsUniteAcrossPiecesOfAKeyLog()
    {
        var first = new Tls13Secrets { ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret };
        var second = new Tls13Secrets { ClientHandshakeTrafficSecret = ClientHandshakeTrafficSecret, ServerHandshakeTrafficSecret = new byte[32] };

        var union = first.Union(second);

        Assert.AreSame(ServerHandshakeTrafficSecret, union.ServerHandshakeTrafficSecret, "a secret already known is kept");
        Assert.AreSame(ClientHandshakeTrafficSecret, union.ClientHandshakeTrafficSecret);
        Assert.IsNull(union.ClientTrafficSecret0);
    }

    [TestMethod]
    public void ServerRecordFedAsClientDirectionFails()
    {
        var secrets = new Tls13Secrets
        {
            ServerHandshakeTrafficSecret = ServerHandshakeTrafficSecret,
            ClientHandshakeTrafficSecret = ClientHandshakeTrafficSecret,
        };
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(0x1301, secrets, out var decryptor));

        Assert.IsFalse(decryptor.TryDecrypt(TrafficDirection.Client, ServerFlightRecord.AsSpan(0, 5), ServerFlightRecord.AsSpan(5), out _, out _));
        Assert.AreEqual(Tls13KeyStage.None, decryptor.CurrentStage(TrafficDirection.Client));
        // The failed attempt did not disturb the server direction.
        Assert.IsTrue(decryptor.TryDecrypt(TrafficDirection.Server, ServerFlightRecord.AsSpan(0, 5), ServerFlightRecord.AsSpan(5), out _, out _));
    }

    [TestMethod]
    public void BouncyCastleFallbackOpensTheSameRecord()
    {
        var protection = new Tls13RecordProtection(Aes128Gcm, new TrafficKeys(ServerHandshakeKey, ServerHandshakeIv)) { UseBouncyCastle = true };

        Assert.IsTrue(protection.TryOpen(ServerFlightRecord.AsSpan(0, 5), ServerFlightRecord.AsSpan(5), out var plaintext, out var innerType));

        Assert.AreEqual((byte)22, innerType);
        CollectionAssert.AreEqual(EncryptedExtensions, plaintext[..EncryptedExtensions.Length]);
        Assert.AreEqual(1UL, protection.SequenceNumber);
    }
}
