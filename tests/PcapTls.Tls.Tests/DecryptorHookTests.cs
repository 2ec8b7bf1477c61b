using PcapTls.Tls;

namespace PcapTls.Tls.Tests;

/// <summary>The TLS 1.3 decryption hook, with a scripted decryptor standing in for PcapTls.Decryption.</summary>
[TestClass]
public sealed class DecryptorHookTests
{
    /// <summary>Answers each call on a side with the next scripted result; null means "cannot open".</summary>
    private sealed class ScriptedDecryptor(params (int Side, TlsContentType Type, byte[]? Plaintext)[] script) : ITlsRecordDecryptor
    {
        private readonly Queue<(TlsContentType, byte[]?)>[] queues =
            [new(script.Where(s => s.Side == 0).Select(s => (s.Type, s.Plaintext))), new(script.Where(s => s.Side == 1).Select(s => (s.Type, s.Plaintext)))];

        public List<(int Side, int HeaderLength, byte HeaderType, int PayloadLength)> Calls { get; } = [];

        public bool TryDecrypt(int side, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, out byte[] plaintext, out TlsContentType innerType)
        {
            Calls.Add((side, header.Length, header[0], payload.Length));
            plaintext = [];
            innerType = default;
            if (!queues[side].TryDequeue(out var next) || next.Item2 is null)
            {
                return false;
            }
            (innerType, plaintext) = (next.Item1, next.Item2);
            return true;
        }
    }

    private static readonly byte[] EncryptedExtensions = Hex.Parse("08 000002 0000");          // no extensions
    private static readonly byte[] CertificateVerify = Hex.Parse("0F 000004 0403 0000");       // ecdsa_secp256r1_sha256, empty signature
    private static readonly byte[] Finished = Hex.Concat(Hex.Parse("14 000020"), new byte[32]); // 32-byte verify_data

    [TestMethod]
    public void ServerFlightIsDecodedThenKeysRunOut()
    {
        var decryptor = new ScriptedDecryptor(
            (1, TlsContentType.Handshake, EncryptedExtensions),
            (1, TlsContentType.Handshake, SampleMessages.Certificate13),
            (1, TlsContentType.Handshake, CertificateVerify),
            (1, TlsContentType.Handshake, Finished),
            (1, TlsContentType.Handshake, null),          // NewSessionTicket under application keys: not in the key log
            (0, TlsContentType.Handshake, Finished),
            (0, TlsContentType.ApplicationData, new byte[6]),
            (0, TlsContentType.Alert, Hex.Parse("0100")));  // close_notify
        var fixture = Fixture.Load("tls13-ok.hex");
        Assert.AreEqual(0, fixture.Decode().Certificates.Count, "without a decryptor nothing opens");

        var sink = new RecordingSink();
        var dec = new TlsConnectionDecoder(sink);
        // As the analysis layer does: install the decryptor from the ServerHello event, in the middle of a Feed
        // whose chunk also holds the encrypted records that follow.
        sink.ServerHelloHook = _ => dec.Decryptor = decryptor;
        for (var i = 0; i < fixture.Chunks.Count; i++)
        {
            dec.Feed(fixture.Chunks[i].Side, fixture.Chunks[i].Bytes, new TlsPosition(i + 1, 0));
        }

        var server = sink.Messages.Where(m => m.Side == 1 && m.Decrypted).Select(m => m.Type).ToArray();
        CollectionAssert.AreEqual(new[] { TlsHandshakeType.EncryptedExtensions, TlsHandshakeType.Certificate, TlsHandshakeType.CertificateVerify, TlsHandshakeType.Finished }, server);
        var (certSide, cert, decrypted) = sink.Certificates.Single();
        Assert.AreEqual(1, certSide);
        Assert.IsTrue(decrypted);
        Assert.AreEqual(2, cert.Certificates.Count);
        CollectionAssert.AreEqual(new ushort[] { 5 }, cert.EntryExtensionTypes[1].ToArray());

        // The 5th server record failed: it and every later server record are reported as without keys, and the
        // decryptor is not asked again for that side.
        Assert.AreEqual(5, decryptor.Calls.Count(c => c.Side == 1));
        Assert.IsTrue(sink.Lines.Count(l => l.StartsWith("1 encrypted application_data", StringComparison.Ordinal)) >= 2);

        // Client: Finished, 6 bytes of data, then an encrypted close_notify with its description known.
        Assert.AreEqual(TlsHandshakeType.Finished, sink.Messages.Single(m => m.Side == 0 && m.Decrypted).Type);
        CollectionAssert.Contains(sink.Lines, "0 application_data 6");
        Assert.AreEqual(new TlsAlert(TlsAlertLevel.Warning, 0, true), sink.Alerts.Single().Alert);
        Assert.AreEqual(0, sink.Anomalies.Count, string.Join("\n", sink.Lines));

        // Every call carried the 5-byte header of an application_data record and the whole payload.
        Assert.IsTrue(decryptor.Calls.All(c => c.HeaderLength == 5 && c.HeaderType == 23 && c.PayloadLength > 16));
        Assert.AreEqual(23, decryptor.Calls[0].PayloadLength);
    }

    private static TlsConnectionDecoder Tls13Connection(RecordingSink sink, ITlsRecordDecryptor decryptor)
    {
        var d = new TlsConnectionDecoder(sink);
        d.Feed(0, Hex.Record(22, SampleMessages.ClientHello13), default);
        d.Feed(1, Hex.Record(22, SampleMessages.ServerHello13), default);
        d.Decryptor = decryptor;
        return d;
    }

    [TestMethod]
    public void MessageSplitAcrossProtectedRecords()
    {
        var cert = SampleMessages.Certificate13;
        var sink = new RecordingSink();
        var d = Tls13Connection(sink, new ScriptedDecryptor(
            (1, TlsContentType.Handshake, Hex.Concat(EncryptedExtensions, cert[..10])),
            (1, TlsContentType.Handshake, cert[10..])));
        d.Feed(1, Hex.Concat(Hex.Record(23, new byte[40]), Hex.Record(23, new byte[40])), new TlsPosition(5, 0));
        Assert.AreEqual(2, sink.Certificates.Single().Message.Certificates.Count);
        Assert.AreEqual(0, sink.Lines.Count(l => l.StartsWith("1 encrypted ", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void DecryptedFatalAlertKeepsItsDescription()
    {
        var sink = new RecordingSink();
        var d = Tls13Connection(sink, new ScriptedDecryptor((0, TlsContentType.Alert, Hex.Parse("022E"))));
        d.Feed(0, Hex.Record(23, new byte[19]), new TlsPosition(9, 0));
        var (side, alert, packet) = sink.Alerts.Single();
        Assert.AreEqual((0, new TlsAlert(TlsAlertLevel.Fatal, 46, true), 9L), (side, alert, packet));
        Assert.AreEqual("certificate_unknown", TlsNames.AlertDescription(alert.Description!.Value));
    }

    [TestMethod]
    public void DecryptedCertificateRequestIsTls13Format()
    {
        var sink = new RecordingSink();
        var d = Tls13Connection(sink, new ScriptedDecryptor((1, TlsContentType.Handshake, SampleMessages.CertificateRequest13)));
        d.Feed(1, Hex.Record(23, new byte[40]), default);
        var request = sink.CertificateRequests.Single().Request;
        CollectionAssert.AreEqual(new byte[] { 1 }, request.RequestContext);
        Assert.AreEqual(1, request.CertificateAuthorities.Count);
    }

    [TestMethod]
    public void FailureOnOneSideDoesNotStopTheOther()
    {
        var sink = new RecordingSink();
        var decryptor = new ScriptedDecryptor((0, TlsContentType.Handshake, null), (1, TlsContentType.Handshake, EncryptedExtensions));
        var d = Tls13Connection(sink, decryptor);
        d.Feed(0, Hex.Record(23, new byte[30]), default);
        d.Feed(0, Hex.Record(23, new byte[31]), default);
        d.Feed(1, Hex.Record(23, new byte[32]), default);
        CollectionAssert.AreEqual(new[] { 0, 1 }, decryptor.Calls.Select(c => c.Side).ToArray());
        CollectionAssert.Contains(sink.Lines, "0 encrypted application_data 30");
        CollectionAssert.Contains(sink.Lines, "0 encrypted application_data 31");
        CollectionAssert.Contains(sink.Lines, "1 message encrypted_extensions 2 decrypted");
    }

    [TestMethod]
    public void PlaintextMessageCutByTheKeyChangeIsAnAnomaly()
    {
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        d.Feed(0, Hex.Record(22, SampleMessages.ClientHello13), default);
        // ServerHello, then half a message in plaintext; then a protected record opens to a complete message.
        d.Feed(1, Hex.Concat(Hex.Record(22, Hex.Concat(SampleMessages.ServerHello13, Hex.Parse("0800"))), Hex.Record(23, new byte[30])), default);
        Assert.AreEqual(0, sink.Anomalies.Count);
        d.Decryptor = new ScriptedDecryptor((1, TlsContentType.Handshake, EncryptedExtensions));
        d.Feed(1, Hex.Record(23, new byte[30]), default);
        Assert.AreEqual(TlsAnomalyKind.UnexpectedMessage, sink.Anomalies.Single().Anomaly.Kind);
        CollectionAssert.Contains(sink.Lines, "1 message encrypted_extensions 2 decrypted");
    }

    [TestMethod]
    public void DecryptorIsNotUsedForTls12()
    {
        var sink = new RecordingSink();
        var decryptor = new ScriptedDecryptor((1, TlsContentType.ApplicationData, new byte[1]));
        var d = new TlsConnectionDecoder(sink) { Decryptor = decryptor };
        d.Feed(1, Hex.Concat(Hex.Record(22, SampleMessages.ServerHello12), Hex.Record(23, new byte[30])), default);
        Assert.AreEqual(0, decryptor.Calls.Count);
        CollectionAssert.Contains(sink.Lines, "1 application_data 30");
    }
}
