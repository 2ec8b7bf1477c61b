using System.Security.Cryptography;

namespace PcapTls.Decryption;

/// <summary>The TLS 1.3 cipher suites (RFC 8446 appendix B.4); values are the wire code points.</summary>
public enum Tls13CipherSuite : ushort
{
    Aes128GcmSha256 = 0x1301,
    Aes256GcmSha384 = 0x1302,
    ChaCha20Poly1305Sha256 = 0x1303,
    Aes128CcmSha256 = 0x1304,
    Aes128Ccm8Sha256 = 0x1305,
}

/// <summary>What the record layer needs to know about a suite: its AEAD, key length, tag length and the
/// hash of its key schedule.</summary>
public sealed record Tls13CipherSuiteParameters(
    Tls13CipherSuite Suite, Tls13Aead Aead, int KeyLength, int TagLength, HashAlgorithmName Hash, int HashLength)
{
    /// <summary>Every TLS 1.3 AEAD uses a 12-byte nonce (RFC 8446 section 5.3: iv_length is max(8, N_MIN) = 12).</summary>
    public const int IvLength = 12;

    /// <summary>Returns false for a code point that is not a TLS 1.3 suite (e.g. a TLS 1.2 suite).</summary>
    public static bool TryGet(ushort codePoint, out Tls13CipherSuiteParameters parameters)
    {
        parameters = (Tls13CipherSuite)codePoint switch
        {
            Tls13CipherSuite.Aes128GcmSha256 => new(Tls13CipherSuite.Aes128GcmSha256, Tls13Aead.AesGcm, 16, 16, HashAlgorithmName.SHA256, 32),
            Tls13CipherSuite.Aes256GcmSha384 => new(Tls13CipherSuite.Aes256GcmSha384, Tls13Aead.AesGcm, 32, 16, HashAlgorithmName.SHA384, 48),
            Tls13CipherSuite.ChaCha20Poly1305Sha256 => new(Tls13CipherSuite.ChaCha20Poly1305Sha256, Tls13Aead.ChaCha20Poly1305, 32, 16, HashAlgorithmName.SHA256, 32),
            Tls13CipherSuite.Aes128CcmSha256 => new(Tls13CipherSuite.Aes128CcmSha256, Tls13Aead.AesCcm, 16, 16, HashAlgorithmName.SHA256, 32),
            Tls13CipherSuite.Aes128Ccm8Sha256 => new(Tls13CipherSuite.Aes128Ccm8Sha256, Tls13Aead.AesCcm, 16, 8, HashAlgorithmName.SHA256, 32),
            _ => null!,
        };
        return parameters is not null;
    }
}

public enum Tls13Aead
{
    AesGcm,
    AesCcm,
    ChaCha20Poly1305,
}
