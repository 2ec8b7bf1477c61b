using PcapTls.Tls;

namespace PcapTls.Tls.Tests;

[TestClass]
public sealed class RecordParserTests
{
    private static readonly byte[] AlertRecord = Hex.Parse("""
        15         // content type alert(21)
        0303       // legacy_record_version TLS 1.2
        0002       // length 2
        02 2E      // fatal, certificate_unknown(46)
        """);

    [TestMethod]
    public void HeaderFields()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsRecordParser.TryParseHeader(AlertRecord, out var header));
        Assert.AreEqual(new TlsRecordHeader(TlsContentType.Alert, 0x0303, 2), header);
    }

    [TestMethod]
    public void WholeRecord()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsRecordParser.TryParseRecord(AlertRecord, out var header, out var fragment));
        Assert.AreEqual(2, header.Length);
        CollectionAssert.AreEqual(Hex.Parse("022E"), fragment.ToArray());
    }

    [TestMethod]
    public void EveryPrefixOfARecordIsIncomplete()
    {
        var record = Hex.Record(22, SampleMessages.ClientHello13);
        for (var n = 0; n < record.Length; n++)
        {
            Assert.AreEqual(TlsParseResult.Incomplete, TlsRecordParser.TryParseRecord(record.AsSpan(0, n), out _, out _), $"prefix {n}");
            if (n < 5)
            {
                Assert.AreEqual(TlsParseResult.Incomplete, TlsRecordParser.TryParseHeader(record.AsSpan(0, n), out _), $"header prefix {n}");
            }
        }
        Assert.AreEqual(TlsParseResult.Complete, TlsRecordParser.TryParseRecord(record, out _, out _));
    }

    [TestMethod]
    [DataRow("1602010010", DisplayName = "major version 2")]
    [DataRow("4745542F20", DisplayName = "GET / (plain HTTP)")]
    [DataRow("1600000001", DisplayName = "major version 0")]
    public void NonTlsHeaderIsMalformed(string hex)
    {
        Assert.AreEqual(TlsParseResult.Malformed, TlsRecordParser.TryParseHeader(Convert.FromHexString(hex), out _));
    }

    [TestMethod]
    public void UnknownContentTypeStillParses()
    {
        // The decoder reports unknown types as anomalies; the header parser only frames.
        Assert.AreEqual(TlsParseResult.Complete, TlsRecordParser.TryParseHeader(Hex.Parse("19 0303 0001"), out var header));
        Assert.AreEqual((TlsContentType)25, header.Type);
        Assert.IsFalse(TlsRecordParser.IsKnownContentType(header.Type));
    }

    [TestMethod]
    [DataRow((byte)22, (ushort)0x0303, 100, true)]
    [DataRow((byte)23, (ushort)0x0301, 18432, true)]
    [DataRow((byte)23, (ushort)0x0303, 18433, false)]
    [DataRow((byte)22, (ushort)0x0303, 0, false)]
    [DataRow((byte)25, (ushort)0x0303, 10, false)]
    [DataRow((byte)22, (ushort)0x0305, 10, false)]
    [DataRow((byte)22, (ushort)0x0300, 10, true)]
    public void Plausibility(byte type, ushort version, int length, bool expected)
    {
        Assert.AreEqual(expected, TlsRecordParser.IsPlausibleHeader(new TlsRecordHeader((TlsContentType)type, version, length), TlsLimits.DefaultMaxRecordLength));
    }

    [TestMethod]
    public void Alert()
    {
        Assert.AreEqual(TlsParseResult.Complete, TlsRecordParser.TryParseAlert(Hex.Parse("0230"), out var level, out var description));
        Assert.AreEqual(TlsAlertLevel.Fatal, level);
        Assert.AreEqual((byte)48, description);
        Assert.AreEqual(TlsParseResult.Incomplete, TlsRecordParser.TryParseAlert(Hex.Parse("02"), out _, out _));
        Assert.AreEqual(TlsParseResult.Incomplete, TlsRecordParser.TryParseAlert([], out _, out _));
    }

    [TestMethod]
    public void UnknownAlertLevelKeepsItsNumber()
    {
        TlsRecordParser.TryParseAlert(Hex.Parse("0700"), out var level, out _);
        Assert.AreEqual((byte)7, (byte)level);
        Assert.AreEqual("7", TlsNames.AlertLevel(level));
    }
}

[TestClass]
public sealed class Sslv2ParserTests
{
    [TestMethod]
    public void ClientHello()
    {
        Assert.AreEqual(TlsParseResult.Complete, Sslv2Parser.TryParseClientHello(SampleMessages.Sslv2ClientHello, out var hello));
        Assert.IsTrue(hello!.IsSslv2Format);
        Assert.AreEqual((ushort)0x0301, hello.LegacyVersion);
        Assert.AreEqual((ushort)0x0301, hello.MaxVersion);
        CollectionAssert.AreEqual(new[] { 0x00002F, 0x000035, 0x010080 }, hello.Sslv2CipherSpecs.ToArray());
        CollectionAssert.AreEqual(new ushort[] { 0x002F, 0x0035 }, hello.CipherSuites.ToArray());
        Assert.AreEqual(0, hello.SessionId.Length);
        // The 16-byte challenge, right-aligned in a 32-byte random (RFC 5246 appendix E.2).
        CollectionAssert.AreEqual(Hex.Concat(new byte[16], Hex.Parse("000102030405060708090A0B0C0D0E0F")), hello.Random);
        Assert.IsNull(hello.ServerName);
    }

    [TestMethod]
    public void ServerHello()
    {
        Assert.AreEqual(TlsParseResult.Complete, Sslv2Parser.TryParseServerHello(SampleMessages.Sslv2ServerHello, out var hello, out var certificate));
        Assert.IsTrue(hello!.IsSslv2);
        Assert.AreEqual((ushort)0x0002, hello.NegotiatedVersion);
        CollectionAssert.AreEqual(new[] { 0x010080 }, hello.Sslv2CipherSpecs.ToArray());
        Assert.AreEqual(16, hello.Random.Length);
        Assert.AreEqual(1, certificate!.Certificates.Count);
        CollectionAssert.AreEqual(Hex.Parse("300102"), certificate.Certificates[0]);
    }

    [TestMethod]
    public void EveryPrefixIsIncomplete()
    {
        var c = SampleMessages.Sslv2ClientHello;
        var s = SampleMessages.Sslv2ServerHello;
        for (var n = 0; n < c.Length; n++)
        {
            Assert.AreEqual(TlsParseResult.Incomplete, Sslv2Parser.TryParseClientHello(c.AsSpan(0, n), out _), $"client prefix {n}");
        }
        for (var n = 0; n < s.Length; n++)
        {
            Assert.AreEqual(TlsParseResult.Incomplete, Sslv2Parser.TryParseServerHello(s.AsSpan(0, n), out _, out _), $"server prefix {n}");
        }
    }

    [TestMethod]
    [DataRow(6, 0x0A, DisplayName = "cipher spec length not a multiple of 3")]
    [DataRow(10, 0x0F, DisplayName = "challenge shorter than 16")]
    [DataRow(8, 0x01, DisplayName = "lengths do not add up to the record")]
    [DataRow(2, 0x02, DisplayName = "not a CLIENT-HELLO")]
    public void ClientHelloMalformed(int offset, int value)
    {
        var m = SampleMessages.Sslv2ClientHello;
        Assert.AreNotEqual((byte)value, m[offset]);
        m[offset] = (byte)value;
        Assert.AreEqual(TlsParseResult.Malformed, Sslv2Parser.TryParseClientHello(m, out _));
    }

    [TestMethod]
    public void ServerHelloLengthsMustAddUp()
    {
        var m = SampleMessages.Sslv2ServerHello;
        m[12] = 0x11;   // CONNECTION-ID-LENGTH 16 -> 17
        Assert.AreEqual(TlsParseResult.Malformed, Sslv2Parser.TryParseServerHello(m, out _, out _));
    }

    [TestMethod]
    public void LooksLikeHello()
    {
        Assert.AreEqual(TlsParseResult.Complete, Sslv2Parser.LooksLikeHello(SampleMessages.Sslv2ClientHello));
        Assert.AreEqual(TlsParseResult.Complete, Sslv2Parser.LooksLikeHello(SampleMessages.Sslv2ServerHello));
        Assert.AreEqual(TlsParseResult.Incomplete, Sslv2Parser.LooksLikeHello(SampleMessages.Sslv2ClientHello.AsSpan(0, 4)));
        Assert.AreEqual(TlsParseResult.Malformed, Sslv2Parser.LooksLikeHello(Hex.Parse("8022 02 0301")));
        Assert.AreEqual(TlsParseResult.Malformed, Sslv2Parser.LooksLikeHello(Hex.Parse("474554202F")));
    }

    [TestMethod]
    public void HeaderForms()
    {
        Assert.AreEqual(TlsParseResult.Complete, Sslv2Parser.TryParseHeader(Hex.Parse("8123"), out var h2, out var l2));
        Assert.AreEqual((2, 0x123), (h2, l2));
        // 3-byte form: bit 7 clear, bit 6 IS-ESCAPE, 14-bit length, padding byte.
        Assert.AreEqual(TlsParseResult.Complete, Sslv2Parser.TryParseHeader(Hex.Parse("412308"), out var h3, out var l3));
        Assert.AreEqual((3, 0x0123), (h3, l3));
        Assert.AreEqual(TlsParseResult.Incomplete, Sslv2Parser.TryParseHeader(Hex.Parse("41"), out _, out _));
    }
}

[TestClass]
public sealed class TlsNamesTests
{
    [TestMethod]
    [DataRow((ushort)0x1301, "TLS_AES_128_GCM_SHA256")]
    [DataRow((ushort)0x1302, "TLS_AES_256_GCM_SHA384")]
    [DataRow((ushort)0x1303, "TLS_CHACHA20_POLY1305_SHA256")]
    [DataRow((ushort)0x1304, "TLS_AES_128_CCM_SHA256")]
    [DataRow((ushort)0x1305, "TLS_AES_128_CCM_8_SHA256")]
    [DataRow((ushort)0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")]
    [DataRow((ushort)0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")]
    [DataRow((ushort)0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")]
    [DataRow((ushort)0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA")]
    [DataRow((ushort)0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256")]
    [DataRow((ushort)0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA")]
    [DataRow((ushort)0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV")]
    [DataRow((ushort)0x5600, "TLS_FALLBACK_SCSV")]
    [DataRow((ushort)0xC0FF, "0xC0FF")]
    [DataRow((ushort)0x0A0A, "GREASE (0x0A0A)")]
    public void CipherSuite(ushort suite, string name) => Assert.AreEqual(name, TlsNames.CipherSuite(suite));

    [TestMethod]
    public void TableHoldsAtLeastAHundredSuitesAndEveryTls13One()
    {
        var named = Enumerable.Range(0, 0x10000).Count(v => !TlsNames.CipherSuite((ushort)v).StartsWith("0x", StringComparison.Ordinal)
            && !TlsNames.IsGrease((ushort)v));
        Assert.IsGreaterThanOrEqualTo(100, named);
        for (ushort s = 0x1301; s <= 0x1305; s++)
        {
            Assert.IsTrue(TlsNames.CipherSuite(s).StartsWith("TLS_", StringComparison.Ordinal));
        }
    }

    [TestMethod]
    [DataRow(0x010080, "SSL_CK_RC4_128_WITH_MD5")]
    [DataRow(0x0700C0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5")]
    [DataRow(0x00002F, "TLS_RSA_WITH_AES_128_CBC_SHA")]
    [DataRow(0x0700C1, "0x0700C1")]
    public void Sslv2CipherSpec(int spec, string name) => Assert.AreEqual(name, TlsNames.Sslv2CipherSpec(spec));

    [TestMethod]
    [DataRow((ushort)0x0002, "SSL 2.0")]
    [DataRow((ushort)0x0300, "SSL 3.0")]
    [DataRow((ushort)0x0301, "TLS 1.0")]
    [DataRow((ushort)0x0302, "TLS 1.1")]
    [DataRow((ushort)0x0303, "TLS 1.2")]
    [DataRow((ushort)0x0304, "TLS 1.3")]
    [DataRow((ushort)0x7F12, "TLS 1.3 (draft 18)")]
    [DataRow((ushort)0x7F0E, "TLS 1.3 (draft 14)")]
    [DataRow((ushort)0x7F1C, "TLS 1.3 (draft 28)")]
    [DataRow((ushort)0xFB1A, "TLS 1.3 (Facebook draft 26, 0xFB1A)")]
    [DataRow((ushort)0x7E12, "0x7E12")]
    [DataRow((ushort)0xFEFD, "0xFEFD")]
    public void Version(ushort version, string name) => Assert.AreEqual(name, TlsNames.Version(version));

    [TestMethod]
    [DataRow((byte)0, "close_notify")]
    [DataRow((byte)40, "handshake_failure")]
    [DataRow((byte)42, "bad_certificate")]
    [DataRow((byte)45, "certificate_expired")]
    [DataRow((byte)46, "certificate_unknown")]
    [DataRow((byte)48, "unknown_ca")]
    [DataRow((byte)80, "internal_error")]
    [DataRow((byte)112, "unrecognized_name")]
    [DataRow((byte)116, "certificate_required")]
    [DataRow((byte)200, "200")]
    public void AlertDescription(byte code, string name) => Assert.AreEqual(name, TlsNames.AlertDescription(code));

    [TestMethod]
    public void HandshakeTypes()
    {
        Assert.AreEqual("client_hello", TlsNames.HandshakeType(TlsHandshakeType.ClientHello));
        Assert.AreEqual("certificate_request", TlsNames.HandshakeType(TlsHandshakeType.CertificateRequest));
        Assert.AreEqual("encrypted_extensions", TlsNames.HandshakeType(TlsHandshakeType.EncryptedExtensions));
        Assert.AreEqual("finished", TlsNames.HandshakeType(TlsHandshakeType.Finished));
        Assert.AreEqual("99", TlsNames.HandshakeType((TlsHandshakeType)99));
        Assert.AreEqual("fatal", TlsNames.AlertLevel(TlsAlertLevel.Fatal));
        Assert.AreEqual("warning", TlsNames.AlertLevel(TlsAlertLevel.Warning));
    }

    [TestMethod]
    public void Grease()
    {
        Assert.IsTrue(TlsNames.IsGrease(0xFAFA));
        Assert.IsFalse(TlsNames.IsGrease(0x0A1A));
        Assert.IsFalse(TlsNames.IsGrease(0x1301));
    }
}
