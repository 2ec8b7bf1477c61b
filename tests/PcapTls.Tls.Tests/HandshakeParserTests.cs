using PcapTls.Tls;

namespace PcapTls.Tls.Tests;

[TestClass]
public sealed class HandshakeParserTests
{
    [TestMethod]
    public void SampleLengthsMatchTheirHeaders()
    {
        foreach (var m in new[] { SampleMessages.ClientHello13, SampleMessages.ServerHello13, SampleMessages.HelloRetryRequest, SampleMessages.ServerHello12,
            SampleMessages.Certificate12, SampleMessages.Certificate13, SampleMessages.CertificateRequest12, SampleMessages.CertificateRequest11, SampleMessages.CertificateRequest13 })
        {
            Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseHeader(m, out _, out var length));
            Assert.AreEqual(m.Length - 4, length);
        }
    }

    [TestMethod]
    public void ClientHelloFields()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseClientHello(SampleMessages.ClientHello13, out var hello));
        Assert.IsNotNull(hello);
        Assert.AreEqual((ushort)0x0303, hello.LegacyVersion);
        CollectionAssert.AreEqual(new ushort[] { 0x0304, 0x0303 }, hello.SupportedVersions.ToArray());
        Assert.AreEqual((ushort)0x0304, hello.MaxVersion);
        Assert.AreEqual("example.com", hello.ServerName);
        CollectionAssert.AreEqual(new[] { "h2", "http/1.1" }, hello.Alpn.ToArray());
        CollectionAssert.AreEqual(new ushort[] { 0x1301, 0xC02F, 0x00FF }, hello.CipherSuites.ToArray());
        CollectionAssert.AreEqual(new ushort[] { 0x0403, 0x0804 }, hello.SignatureAlgorithms.ToArray());
        CollectionAssert.AreEqual(new ushort[] { 0, 16, 43, 13, 10, 51 }, hello.ExtensionTypes.ToArray());
        CollectionAssert.AreEqual(new ushort[] { 0x001D }, hello.SupportedGroups.ToArray());
        CollectionAssert.AreEqual(new ushort[] { 0x001D }, hello.KeyShareGroups.ToArray());
        Assert.IsTrue(hello.HasKeyShare);
        CollectionAssert.AreEqual(Hex.Repeat(0xAA, 32), hello.Random);
        CollectionAssert.AreEqual(Hex.Parse("DEADBEEF"), hello.SessionId);
        CollectionAssert.AreEqual(new byte[] { 0 }, hello.CompressionMethods.ToArray());
        Assert.IsFalse(hello.IsSslv2Format);
    }

    [TestMethod]
    public void ClientHelloWithoutExtensionsIsValid()
    {
        // SSL 3.0 / early TLS clients end the hello after the compression methods.
        var m = Hex.Parse($"""
            01 000029                  // client_hello, 41 bytes
            0301                       // client_version TLS 1.0
            {new string('0', 64)}      // random
            00                         // session_id: empty
            0002 002F                  // cipher_suites: TLS_RSA_WITH_AES_128_CBC_SHA
            01 00                      // compression: null
            """);
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseClientHello(m, out var hello));
        Assert.AreEqual(0, hello!.ExtensionTypes.Count);
        Assert.IsNull(hello.ServerName);
        Assert.AreEqual((ushort)0x0301, hello.MaxVersion);
        Assert.IsFalse(hello.HasKeyShare);
    }

    [TestMethod]
    public void GreaseVersionsAreNotTheMaximum()
    {
        var hello = new ClientHelloInfo(0x0303, [0x7A7A, 0x0304, 0x0303], null, [], [], [], [], new byte[32], [], false);
        Assert.AreEqual((ushort)0x0304, hello.MaxVersion);
    }

    [TestMethod]
    public void ServerHello13()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseServerHello(SampleMessages.ServerHello13, out var hello));
        Assert.AreEqual((ushort)0x0303, hello!.LegacyVersion);
        Assert.AreEqual((ushort)0x0304, hello.NegotiatedVersion);
        Assert.AreEqual((ushort)0x1301, hello.CipherSuite);
        Assert.IsFalse(hello.IsHelloRetryRequest);
        Assert.AreEqual((ushort)0x001D, hello.KeyShareGroup);
        CollectionAssert.AreEqual(Hex.Parse("DEADBEEF"), hello.SessionId);
        CollectionAssert.AreEqual(new ushort[] { 43, 51 }, hello.ExtensionTypes.ToArray());
        Assert.IsNull(hello.Alpn);
    }

    [TestMethod]
    public void HelloRetryRequestIsRecognisedByItsRandom()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseServerHello(SampleMessages.HelloRetryRequest, out var hello));
        Assert.IsTrue(hello!.IsHelloRetryRequest);
        Assert.AreEqual((ushort)0x0304, hello.NegotiatedVersion);
        Assert.AreEqual((ushort)0x0017, hello.KeyShareGroup);
        Assert.AreEqual((ushort)0x1302, hello.CipherSuite);
    }

    [TestMethod]
    public void Tls13Draft16ServerHelloHasNoSessionIdNorCompression()
    {
        var m = Hex.Parse($"""
            02 000026                  // server_hello, 38 bytes
            7F10                       // version: TLS 1.3 draft 16
            {new string('D', 64)}      // random
            1301                       // cipher_suite TLS_AES_128_GCM_SHA256
            0000                       // extensions: none
            """);
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseServerHello(m, out var hello));
        Assert.AreEqual((ushort)0x7F10, hello!.NegotiatedVersion);
        Assert.AreEqual((ushort)0x1301, hello.CipherSuite);
        Assert.AreEqual(0, hello.SessionId.Length);
        Assert.AreEqual("TLS 1.3 (draft 16)", TlsNames.Version(hello.NegotiatedVersion));
        Assert.IsTrue(TlsHandshakeParser.IsTls13Draft(0x7F10));

        // After a draft ServerHello the records are protected, as in TLS 1.3.
        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        d.Feed(1, Hex.Concat(Hex.Record(22, m), Hex.Record(23, new byte[30])), default);
        Assert.IsTrue(d.IsTls13);
        CollectionAssert.Contains(sink.Lines, "1 encrypted application_data 30");
    }

    [TestMethod]
    public void FacebookDraftSelectedThroughSupportedVersionsIsTls13()
    {
        // Fizz's 0xFB1A (draft 26) uses the final ServerHello layout; only supported_versions differs.
        var m = Hex.Parse($"""
            02 00002E                  // server_hello, 46 bytes
            0303                       // legacy_version TLS 1.2
            {new string('E', 64)}      // random
            00                         // legacy_session_id_echo: empty
            1301                       // cipher_suite TLS_AES_128_GCM_SHA256
            00                         // legacy_compression_method
            0006                       // extensions: 6 bytes
              002B 0002 FB1A           //   supported_versions: Facebook draft 26
            """);
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseServerHello(m, out var hello));
        Assert.AreEqual((ushort)0xFB1A, hello!.NegotiatedVersion);
        Assert.IsTrue(TlsHandshakeParser.IsTls13Family(0xFB1A));
        Assert.IsTrue(TlsHandshakeParser.IsTls13Family(0x0304));
        Assert.IsFalse(TlsHandshakeParser.IsTls13Family(0x0303));

        var sink = new RecordingSink();
        var d = new TlsConnectionDecoder(sink);
        d.Feed(1, Hex.Concat(Hex.Record(22, m), Hex.Record(23, new byte[30])), default);
        Assert.IsTrue(d.IsTls13);
        CollectionAssert.Contains(sink.Lines, "1 encrypted application_data 30");
    }

    [TestMethod]
    public void ServerHello12WithAlpn()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseServerHello(SampleMessages.ServerHello12, out var hello));
        Assert.AreEqual((ushort)0x0303, hello!.NegotiatedVersion);
        Assert.AreEqual((ushort)0xC02F, hello.CipherSuite);
        Assert.AreEqual("h2", hello.Alpn);
        Assert.IsFalse(hello.IsHelloRetryRequest);
        Assert.IsNull(hello.KeyShareGroup);
    }

    [TestMethod]
    public void Certificate12()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseCertificate(SampleMessages.Certificate12, tls13: false, out var cert));
        Assert.AreEqual(2, cert!.Certificates.Count);
        CollectionAssert.AreEqual(Hex.Parse("300102"), cert.Certificates[0]);
        CollectionAssert.AreEqual(Hex.Parse("3000"), cert.Certificates[1]);
        Assert.IsNull(cert.RequestContext);
        Assert.AreEqual(0, cert.EntryExtensionTypes.Count);
    }

    [TestMethod]
    public void Certificate13WithEntryExtensions()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseCertificate(SampleMessages.Certificate13, tls13: true, out var cert));
        Assert.AreEqual(2, cert!.Certificates.Count);
        CollectionAssert.AreEqual(Hex.Parse("3000"), cert.Certificates[1]);
        Assert.AreEqual(0, cert.RequestContext!.Length);
        Assert.AreEqual(2, cert.EntryExtensionTypes.Count);
        Assert.AreEqual(0, cert.EntryExtensionTypes[0].Count);
        CollectionAssert.AreEqual(new ushort[] { 5 }, cert.EntryExtensionTypes[1].ToArray());
    }

    [TestMethod]
    public void CertificateInTheWrongFormatIsMalformed()
    {
        Assert.AreEqual(TlsParseResult.Malformed, TlsHandshakeParser.TryParseCertificate(SampleMessages.Certificate13, tls13: false, out _));
        Assert.AreEqual(TlsParseResult.Malformed, TlsHandshakeParser.TryParseCertificate(SampleMessages.Certificate12, tls13: true, out _));
    }

    [TestMethod]
    public void CertificateLimits()
    {
        Assert.AreEqual(TlsParseResult.LimitExceeded, TlsHandshakeParser.TryParseCertificate(SampleMessages.Certificate12, false, out var c, maxCertificates: 1));
        Assert.IsNull(c);
        Assert.AreEqual(TlsParseResult.LimitExceeded, TlsHandshakeParser.TryParseCertificate(SampleMessages.Certificate12, false, out _, maxCertificateLength: 2));
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseCertificate(SampleMessages.Certificate12, false, out _, maxCertificates: 2, maxCertificateLength: 3));
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryMeasureCertificate(SampleMessages.Certificate13, true, out var count, out var largest));
        Assert.AreEqual(2, count);
        Assert.AreEqual(3, largest);
    }

    [TestMethod]
    public void EmptyCertificateListIsValid()
    {
        // A client without a certificate answers a CertificateRequest with an empty list.
        var m = Hex.Parse("0B 000003 000000");
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseCertificate(m, false, out var cert));
        Assert.AreEqual(0, cert!.Certificates.Count);
    }

    [TestMethod]
    public void CertificateRequest12()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseCertificateRequest(SampleMessages.CertificateRequest12, 0x0303, out var r));
        CollectionAssert.AreEqual(new byte[] { 1, 64 }, r!.CertificateTypes.ToArray());
        CollectionAssert.AreEqual(new ushort[] { 0x0403, 0x0804 }, r.SignatureAlgorithms.ToArray());
        Assert.AreEqual(2, r.CertificateAuthorities.Count);
        CollectionAssert.AreEqual(Hex.Parse("3003310141"), r.CertificateAuthorities[0]);
        CollectionAssert.AreEqual(Hex.Parse("300100"), r.CertificateAuthorities[1]);
        Assert.IsNull(r.RequestContext);
    }

    [TestMethod]
    public void CertificateRequest11HasNoSignatureAlgorithms()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseCertificateRequest(SampleMessages.CertificateRequest11, 0x0302, out var r));
        Assert.AreEqual(0, r!.SignatureAlgorithms.Count);
        Assert.AreEqual(2, r.CertificateAuthorities.Count);
        Assert.AreEqual(TlsParseResult.Malformed, TlsHandshakeParser.TryParseCertificateRequest(SampleMessages.CertificateRequest11, 0x0303, out _));
    }

    [TestMethod]
    public void CertificateRequestWithUnknownVersionTriesBothFormats()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseCertificateRequest(SampleMessages.CertificateRequest12, 0, out var r12));
        Assert.AreEqual(2, r12!.SignatureAlgorithms.Count);
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseCertificateRequest(SampleMessages.CertificateRequest11, 0, out var r11));
        Assert.AreEqual(2, r11!.CertificateAuthorities.Count);
    }

    [TestMethod]
    public void CertificateRequest13()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsHandshakeParser.TryParseCertificateRequest(SampleMessages.CertificateRequest13, 0x0304, out var r));
        CollectionAssert.AreEqual(new byte[] { 1 }, r!.RequestContext);
        CollectionAssert.AreEqual(new ushort[] { 0x0403 }, r.SignatureAlgorithms.ToArray());
        Assert.AreEqual(1, r.CertificateAuthorities.Count);
        CollectionAssert.AreEqual(Hex.Parse("300100"), r.CertificateAuthorities[0]);
        CollectionAssert.AreEqual(new ushort[] { 13, 47 }, r.ExtensionTypes.ToArray());
        Assert.AreEqual(0, r.CertificateTypes.Count);
    }

    public static IEnumerable<object[]> ValidMessages()
    {
        yield return ["client_hello", SampleMessages.ClientHello13];
        yield return ["server_hello", SampleMessages.ServerHello13];
        yield return ["hello_retry_request", SampleMessages.HelloRetryRequest];
        yield return ["server_hello_12", SampleMessages.ServerHello12];
        yield return ["certificate_12", SampleMessages.Certificate12];
        yield return ["certificate_13", SampleMessages.Certificate13];
        yield return ["certificate_request_12", SampleMessages.CertificateRequest12];
        yield return ["certificate_request_13", SampleMessages.CertificateRequest13];
    }

    private static TlsParseResult ParseAny(ReadOnlySpan<byte> m, byte type) => type switch
    {
        1 => TlsHandshakeParser.TryParseClientHello(m, out _),
        2 => TlsHandshakeParser.TryParseServerHello(m, out _),
        11 => TlsHandshakeParser.TryParseCertificate(m, false, out _) is var r && r == TlsParseResult.Malformed
            ? TlsHandshakeParser.TryParseCertificate(m, true, out _) : r,
        13 => TlsHandshakeParser.TryParseCertificateRequest(m, 0x0303, out _) is var r2 && r2 == TlsParseResult.Malformed
            ? TlsHandshakeParser.TryParseCertificateRequest(m, 0x0304, out _) : r2,
        _ => TlsParseResult.Malformed,
    };

    [TestMethod]
    [DynamicData(nameof(ValidMessages))]
    public void EveryPrefixIsIncomplete(string name, byte[] message)
    {
        Assert.AreEqual(TlsParseResult.Complete, ParseAny(message, message[0]), name);
        for (var n = 0; n < message.Length; n++)
        {
            var prefix = message.AsSpan(0, n);
            Assert.AreEqual(TlsParseResult.Incomplete, ParseAny(prefix, message[0]), $"{name} prefix {n}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(ValidMessages))]
    public void TrailingBytesAfterTheMessageAreNotPartOfIt(string name, byte[] message)
    {
        var withTail = Hex.Concat(message, Hex.Parse("FFFFFF"));
        Assert.AreEqual(TlsParseResult.Complete, ParseAny(withTail, message[0]), name);
    }

    [TestMethod]
    [DynamicData(nameof(ValidMessages))]
    public void EveryInnerByteCorruptionIsHandledWithoutThrowing(string name, byte[] message)
    {
        // Flip each byte of the body in turn: the parser must answer (anything), never throw.
        for (var i = 4; i < message.Length; i++)
        {
            var copy = (byte[])message.Clone();
            copy[i] ^= 0xFF;
            var result = ParseAny(copy, copy[0]);
            Assert.AreNotEqual(TlsParseResult.Incomplete, result, $"{name}: a complete message is never Incomplete (byte {i})");
        }
    }

    [TestMethod]
    public void WrongMessageTypeIsMalformed()
    {
        Assert.AreEqual(TlsParseResult.Malformed, TlsHandshakeParser.TryParseServerHello(SampleMessages.ClientHello13, out _));
        Assert.AreEqual(TlsParseResult.Malformed, TlsHandshakeParser.TryParseClientHello(SampleMessages.ServerHello13, out _));
        Assert.AreEqual(TlsParseResult.Malformed, TlsHandshakeParser.TryParseCertificate(SampleMessages.ClientHello13, false, out _));
    }

    /// <summary>Patches one byte (offset counted from the message start) and expects Malformed.</summary>
    [TestMethod]
    [DataRow(38, 0x21, DisplayName = "session id longer than 32")]
    [DataRow(44, 0x07, DisplayName = "cipher suites length odd")]
    [DataRow(51, 0x02, DisplayName = "compression methods run into the extensions")]
    [DataRow(54, 0x6C, DisplayName = "extensions length one too long")]
    [DataRow(54, 0x6A, DisplayName = "extensions length one too short")]
    [DataRow(60, 0x0F, DisplayName = "server_name_list longer than the extension")]
    [DataRow(63, 0x0C, DisplayName = "host name runs past its list")]
    [DataRow(81, 0x00, DisplayName = "empty ALPN protocol name")]
    [DataRow(97, 0x05, DisplayName = "supported_versions list runs past the extension")]
    public void ClientHelloWithABadLengthIsMalformed(int offset, int value)
    {
        var m = SampleMessages.ClientHello13;
        Assert.AreNotEqual((byte)value, m[offset], "the patch must change the byte");
        m[offset] = (byte)value;
        Assert.AreEqual(TlsParseResult.Malformed, TlsHandshakeParser.TryParseClientHello(m, out var hello));
        Assert.IsNull(hello);
    }

    [TestMethod]
    public void ClientHelloOffsetsUsedByTheMalformedTestsPointAtLengths()
    {
        var m = SampleMessages.ClientHello13;
        Assert.AreEqual(0x04, m[38]);   // session id length
        Assert.AreEqual(0x06, m[44]);   // cipher suites length (low byte)
        Assert.AreEqual(0x01, m[51]);   // compression methods length
        Assert.AreEqual(0x6B, m[54]);   // extensions length (low byte)
        Assert.AreEqual(0x0E, m[60]);   // server_name_list length (low byte)
        Assert.AreEqual(0x0B, m[63]);   // host name length (low byte)
        Assert.AreEqual(0x02, m[81]);   // ALPN "h2" length
        Assert.AreEqual(0x04, m[97]);   // supported_versions list length
    }

    [TestMethod]
    public void ServerHelloSupportedVersionsMustBeOneVersion()
    {
        var m = SampleMessages.ServerHello13;
        // supported_versions extension length 0x0002 -> 0x0003 (and the next byte is swallowed): malformed.
        var i = IndexOf(m, Hex.Parse("002B0002"));
        m[i + 3] = 0x03;
        Assert.AreEqual(TlsParseResult.Malformed, TlsHandshakeParser.TryParseServerHello(m, out _));
    }

    [TestMethod]
    public void HelloRetryRequestKeyShareIsOnlyAGroup()
    {
        var m = SampleMessages.ServerHello13;
        // A real ServerHello's key share with the HRR random: a 36-byte key_share is not a selected_group.
        TlsHandshakeParser.HelloRetryRequestRandom.CopyTo(m.AsSpan(6));
        Assert.AreEqual(TlsParseResult.Malformed, TlsHandshakeParser.TryParseServerHello(m, out _));
    }

    internal static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
