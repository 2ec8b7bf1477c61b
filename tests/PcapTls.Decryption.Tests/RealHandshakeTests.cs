using System.Buffers.Binary;
using System.Text;

namespace PcapTls.Decryption.Tests;

/// <summary>Real OpenSSL 3.0 TLS 1.3 handshakes (Data/README.md) opened with the server's key log.</summary>
[TestClass]
public sealed class RealHandshakeTests
{
    private const byte Handshake = 22;
    private const byte ChangeCipherSpec = 20;
    private const byte ApplicationData = 23;
    private const byte Alert = 21;

    public static IEnumerable<object[]> Fixtures => [["aes128gcm"], ["aes256gcm"], ["chacha20"], ["aes128ccm"], ["aes128ccm8"]];

    private sealed record Fixture(ushort CipherSuite, byte[] ClientRandom, byte[] ClientStream, byte[] ServerStream, string[] KeyLogLines);

    private static Fixture Load(string name)
    {
        var fields = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Data", name + ".txt"))
            .Where(l => !l.StartsWith('#'))
            .Select(l => l.Split(' ', 2))
            .ToDictionary(p => p[0], p => p[1]);
        return new Fixture(
            Convert.ToUInt16(fields["cipher_suite"], 16),
            Convert.FromHexString(fields["client_random"]),
            Convert.FromHexString(fields["client_stream"]),
            Convert.FromHexString(fields["server_stream"]),
            File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", name + ".keys")));
    }

    private static KeyLog KeyLogOf(IEnumerable<string> lines) => KeyLog.Parse(new StringReader(string.Join('\n', lines)), "fixture.keys");

    /// <summary>Splits a direction's bytes into records: type(1) legacy_version(2) length(2) fragment.</summary>
    private static List<(byte[] Header, byte[] Payload)> Records(byte[] stream)
    {
        var records = new List<(byte[], byte[])>();
        var offset = 0;
        while (offset + 5 <= stream.Length)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(stream.AsSpan(offset + 3));
            Assert.IsTrue(offset + 5 + length <= stream.Length, "the fixture holds whole records");
            records.Add((stream[offset..(offset + 5)], stream[(offset + 5)..(offset + 5 + length)]));
            offset += 5 + length;
        }
        Assert.AreEqual(stream.Length, offset);
        return records;
    }

    /// <summary>Handshake message types in a reassembled handshake stream: msg_type(1) length(3) body.</summary>
    private static List<byte> MessageTypes(byte[] handshakeBytes)
    {
        var types = new List<byte>();
        var offset = 0;
        while (offset + 4 <= handshakeBytes.Length)
        {
            types.Add(handshakeBytes[offset]);
            offset += 4 + (handshakeBytes[offset + 1] << 16 | handshakeBytes[offset + 2] << 8 | handshakeBytes[offset + 3]);
        }
        Assert.AreEqual(handshakeBytes.Length, offset, "whole messages");
        return types;
    }

    private sealed record DirectionResult(List<byte> HandshakeTypes, byte[] HandshakeBytes, List<byte> InnerTypes, List<byte[]> Alerts, int Failed, int Protected);

    private static DirectionResult OpenAll(Tls13HandshakeDecryptor decryptor, TrafficDirection direction, byte[] stream)
    {
        var handshake = new List<byte>();
        var innerTypes = new List<byte>();
        var alerts = new List<byte[]>();
        var failed = 0;
        var protectedRecords = 0;
        foreach (var (header, payload) in Records(stream))
        {
            if (header[0] != ApplicationData)
            {
                // Plaintext ClientHello/ServerHello and the middlebox CCS: not for the decryptor, but feeding
                // them must not disturb it.
                Assert.IsTrue(header[0] is Handshake or ChangeCipherSpec);
                Assert.IsFalse(decryptor.TryDecrypt(direction, header, payload, out _, out _));
                continue;
            }
            protectedRecords++;
            if (!decryptor.TryDecrypt(direction, header, payload, out var plaintext, out var innerType))
            {
                failed++;
                continue;
            }
            innerTypes.Add(innerType);
            if (innerType == Handshake)
            {
                handshake.AddRange(plaintext);
            }
            else if (innerType == Alert)
            {
                alerts.Add(plaintext);
            }
        }
        var bytes = handshake.ToArray();
        return new DirectionResult(MessageTypes(bytes), bytes, innerTypes, alerts, failed, protectedRecords);
    }

    private static Tls13HandshakeDecryptor Decryptor(Fixture f, KeyLog log)
    {
        Assert.IsTrue(log.TryGetSecrets(f.ClientRandom, out var secrets), "the key log matches the ClientHello random");
        Assert.IsTrue(Tls13HandshakeDecryptor.TryCreate(f.CipherSuite, secrets, out var decryptor));
        return decryptor;
    }

    private static void AssertServerFlight(DirectionResult server)
    {
        // EncryptedExtensions(8), Certificate(11), CertificateVerify(15), Finished(20), then maybe NewSessionTicket(4).
        CollectionAssert.AreEqual(new byte[] { 8, 11, 15, 20 }, server.HandshakeTypes.Take(4).ToArray(),
            string.Join(",", server.HandshakeTypes));
        var certificate = Encoding.ASCII.GetString(server.HandshakeBytes);
        StringAssert.Contains(certificate, "fixture.pcaptls.test", "the certificate's subject is readable");
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void FixtureIsTheClaimedSuite(string name)
    {
        var f = Load(name);
        var (_, serverHello) = Records(f.ServerStream)[0];
        // ServerHello: msg_type(1)=2 length(3) legacy_version(2) random(32) session_id<0..32> cipher_suite(2).
        Assert.AreEqual((byte)2, serverHello[0]);
        var sessionIdLength = serverHello[4 + 2 + 32];
        Assert.AreEqual(f.CipherSuite, BinaryPrimitives.ReadUInt16BigEndian(serverHello.AsSpan(4 + 2 + 32 + 1 + sessionIdLength)));
        // ClientHello: the random sits at the same place.
        var (_, clientHello) = Records(f.ClientStream)[0];
        CollectionAssert.AreEqual(f.ClientRandom, clientHello[6..38]);
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void ServerKeyLogOpensBothDirections(string name)
    {
        var f = Load(name);
        var decryptor = Decryptor(f, KeyLogOf(f.KeyLogLines));

        var server = OpenAll(decryptor, TrafficDirection.Server, f.ServerStream);
        var client = OpenAll(decryptor, TrafficDirection.Client, f.ClientStream);

        AssertServerFlight(server);
        Assert.AreEqual(0, server.Failed, "NewSessionTicket records open with SERVER_TRAFFIC_SECRET_0");
        Assert.IsTrue(server.HandshakeTypes.Skip(4).Any(t => t == 4), "NewSessionTicket(4) after the flight");
        Assert.AreEqual(0, client.Failed);
        CollectionAssert.AreEqual(new byte[] { 20 }, client.HandshakeTypes.ToArray(), "client Finished");
        // s_client closes with close_notify (level warning 1, description 0), encrypted under CLIENT_TRAFFIC_SECRET_0.
        CollectionAssert.AreEqual(new byte[] { 22, 21 }, client.InnerTypes.ToArray(), string.Join(",", client.InnerTypes));
        CollectionAssert.AreEqual(new byte[] { 1, 0 }, client.Alerts.Single());
        Assert.AreEqual(Tls13KeyStage.Application, decryptor.CurrentStage(TrafficDirection.Client));
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void ServerLinesAloneOpenTheServerFlight(string name)
    {
        var f = Load(name);
        var decryptor = Decryptor(f, KeyLogOf(f.KeyLogLines.Where(l => !l.StartsWith("CLIENT_", StringComparison.Ordinal))));

        var server = OpenAll(decryptor, TrafficDirection.Server, f.ServerStream);
        var client = OpenAll(decryptor, TrafficDirection.Client, f.ClientStream);

        AssertServerFlight(server);
        Assert.AreEqual(0, server.Failed);
        Assert.IsFalse(decryptor.CanDecrypt(TrafficDirection.Client));
        Assert.AreEqual(client.Protected, client.Failed, "no client record opens without CLIENT_* secrets");
        Assert.IsTrue(client.Protected > 0);
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void ServerHandshakeSecretAloneIsEnoughForTheChain(string name)
    {
        // What a client that rejects the certificate logs: only SERVER_HANDSHAKE_TRAFFIC_SECRET.
        var f = Load(name);
        var decryptor = Decryptor(f, KeyLogOf(f.KeyLogLines.Where(l => l.StartsWith("SERVER_HANDSHAKE_TRAFFIC_SECRET ", StringComparison.Ordinal))));

        var server = OpenAll(decryptor, TrafficDirection.Server, f.ServerStream);

        AssertServerFlight(server);
        // Records after the server Finished (session tickets) are under keys we do not have.
        Assert.AreEqual(server.Protected - server.InnerTypes.Count, server.Failed);
        Assert.IsTrue(server.Failed > 0, "OpenSSL's server sends NewSessionTicket records after the handshake");
        Assert.AreEqual(Tls13KeyStage.Handshake, decryptor.CurrentStage(TrafficDirection.Server));
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void AnotherConnectionsKeysOpenNothing(string name)
    {
        var f = Load(name);
        var other = Load(name == "aes128gcm" ? "chacha20" : "aes128gcm");
        // The other fixture's secrets, filed under this connection's random.
        var lines = other.KeyLogLines.Where(l => !l.StartsWith('#'))
            .Select(l => l.Replace(Convert.ToHexStringLower(other.ClientRandom), Convert.ToHexStringLower(f.ClientRandom), StringComparison.Ordinal));
        var log = KeyLogOf(lines);
        Assert.IsTrue(log.TryGetSecrets(f.ClientRandom, out var secrets));
        if (!Tls13HandshakeDecryptor.TryCreate(f.CipherSuite, secrets, out var decryptor))
        {
            return; // a SHA-256 secret cannot even be tried with the SHA-384 suite
        }

        var server = OpenAll(decryptor, TrafficDirection.Server, f.ServerStream);

        Assert.AreEqual(server.Protected, server.Failed);
    }
}
