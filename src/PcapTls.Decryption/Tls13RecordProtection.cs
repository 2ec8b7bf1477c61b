using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace PcapTls.Decryption;

/// <summary>
/// Opens the protected records of one direction under one traffic secret (RFC 8446 section 5.2): the read
/// sequence number starts at 0 and counts every record opened.
/// <code>
/// struct {
///     ContentType opaque_type = application_data; /* 23 */
///     ProtocolVersion legacy_record_version = 0x0303;
///     uint16 length;
///     opaque encrypted_record[TLSCiphertext.length];
/// } TLSCiphertext;
///
/// struct {
///     opaque content[TLSPlaintext.length];
///     ContentType type;
///     uint8 zeros[length_of_padding];
/// } TLSInnerPlaintext;
/// </code>
/// additional_data = the 5-byte record header; nonce = iv XOR the 64-bit sequence number padded left to 12 bytes.
/// </summary>
public sealed class Tls13RecordProtection
{
    public const int RecordHeaderLength = 5;

    private const int TypeOffset = 0;
    private const int LengthOffset = 3;

    /// <summary>Outer type of every protected TLS 1.3 record.</summary>
    public const byte ApplicationDataType = 23;

    /// <summary>RFC 8446 section 5.2: "The length MUST NOT exceed 2^14 + 256 bytes."</summary>
    public const int MaxCiphertextLength = (1 << 14) + 256;

    private readonly Tls13CipherSuiteParameters _suite;
    private readonly byte[] _key;
    private readonly byte[] _iv;

    // Made on first use and kept for the connection's lifetime; their native handles are SafeHandles, so an
    // instance dropped with its connection is released by the finalizer, and callers need not dispose anything.
    private AesGcm? _gcm;
    private AesCcm? _ccm;
    private System.Security.Cryptography.ChaCha20Poly1305? _chacha;

    public Tls13RecordProtection(Tls13CipherSuiteParameters suite, TrafficKeys keys)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Key.Length != suite.KeyLength || keys.Iv.Length != Tls13CipherSuiteParameters.IvLength)
        {
            throw new ArgumentException($"{suite.Suite} needs a {suite.KeyLength}-byte key and a 12-byte iv", nameof(keys));
        }
        _suite = suite;
        _key = keys.Key;
        _iv = keys.Iv;
    }

    /// <summary>Derives key and iv from a traffic secret; false when the secret does not fit the suite's hash
    /// (a SHA-384 suite needs a 48-byte secret).</summary>
    public static bool TryCreate(Tls13CipherSuiteParameters suite, ReadOnlySpan<byte> trafficSecret, out Tls13RecordProtection protection)
    {
        ArgumentNullException.ThrowIfNull(suite);
        if (trafficSecret.Length != suite.HashLength)
        {
            protection = null!;
            return false;
        }
        protection = new Tls13RecordProtection(suite, Tls13KeySchedule.DeriveTrafficKeys(suite, trafficSecret));
        return true;
    }

    /// <summary>The sequence number the next record is opened with.</summary>
    public ulong SequenceNumber { get; private set; }

    public Tls13CipherSuiteParameters Suite => _suite;

    /// <summary>Lets tests run the fallback on a platform that has every AEAD.</summary>
    internal bool UseBouncyCastle { get; init; }

    /// <summary>
    /// Opens one record: false (and the sequence number unchanged) when the header is not a protected
    /// record's header, the lengths disagree or exceed the limits, or the tag does not verify (wrong key,
    /// wrong sequence number, corrupted bytes). The sequence number moves on only when the tag verified.
    /// Never throws on any input.
    /// </summary>
    public bool TryOpen(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, out byte[] content, out byte innerContentType)
    {
        content = [];
        innerContentType = 0;
        if (!IsWellFormed(header, payload, _suite.TagLength))
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[Tls13CipherSuiteParameters.IvLength];
        _iv.CopyTo(nonce);
        Span<byte> sequence = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(sequence, SequenceNumber);
        for (var i = 0; i < sequence.Length; i++)
        {
            nonce[Tls13CipherSuiteParameters.IvLength - 8 + i] ^= sequence[i];
        }

        var ciphertext = payload[..^_suite.TagLength];
        var tag = payload[^_suite.TagLength..];
        var rented = ArrayPool<byte>.Shared.Rent(ciphertext.Length);
        try
        {
            var inner = rented.AsSpan(0, ciphertext.Length);
            if (!TryAeadOpen(nonce, ciphertext, tag, inner, header))
            {
                return false;
            }
            SequenceNumber++;
            return TryStripPadding(inner, out content, out innerContentType);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    private static bool TryStripPadding(ReadOnlySpan<byte> inner, out byte[] content, out byte innerContentType)
    {
        content = [];
        innerContentType = 0;

        // The content type is the last non-zero byte; everything after it is padding. An all-zero inner
        // plaintext is a protocol error (RFC 8446 section 5.4) but the keys were right, so the record counts.
        var end = inner.Length - 1;
        while (end >= 0 && inner[end] == 0)
        {
            end--;
        }
        if (end < 0)
        {
            return false;
        }
        innerContentType = inner[end];
        content = inner[..end].ToArray();
        return true;
    }

    /// <summary>Counts a record without opening it.</summary>
    public void SkipRecord() => SequenceNumber++;

    internal static bool IsWellFormed(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, int tagLength)
    {
        if (header.Length != RecordHeaderLength || header[TypeOffset] != ApplicationDataType)
        {
            return false;
        }
        var length = BinaryPrimitives.ReadUInt16BigEndian(header[LengthOffset..]);
        return length == payload.Length
            && payload.Length <= MaxCiphertextLength
            && payload.Length - tagLength >= 1;
    }

    private bool TryAeadOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        if (UseBouncyCastle)
        {
            return TryBouncyCastleOpen(nonce, ciphertext, tag, plaintext, aad);
        }
        try
        {
            switch (_suite.Aead)
            {
                case Tls13Aead.AesGcm when AesGcm.IsSupported:
                    _gcm ??= new AesGcm(_key, _suite.TagLength);
                    _gcm.Decrypt(nonce, ciphertext, tag, plaintext, aad);
                    return true;
                case Tls13Aead.AesCcm when AesCcm.IsSupported:
                    _ccm ??= new AesCcm(_key);
                    _ccm.Decrypt(nonce, ciphertext, tag, plaintext, aad);
                    return true;
                case Tls13Aead.ChaCha20Poly1305 when System.Security.Cryptography.ChaCha20Poly1305.IsSupported:
                    _chacha ??= new System.Security.Cryptography.ChaCha20Poly1305(_key);
                    _chacha.Decrypt(nonce, ciphertext, tag, plaintext, aad);
                    return true;
                default:
                    return TryBouncyCastleOpen(nonce, ciphertext, tag, plaintext, aad);
            }
        }
        catch (CryptographicException)
        {
            plaintext.Clear();
            return false;
        }
    }

    // Used only where the platform's crypto lacks the AEAD (e.g. no ChaCha20 in an old OpenSSL).
    private bool TryBouncyCastleOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        IAeadCipher cipher = _suite.Aead switch
        {
            Tls13Aead.AesGcm => new GcmBlockCipher(AesUtilities.CreateEngine()),
            Tls13Aead.AesCcm => new CcmBlockCipher(AesUtilities.CreateEngine()),
            _ => new Org.BouncyCastle.Crypto.Modes.ChaCha20Poly1305(),
        };
        cipher.Init(false, new AeadParameters(new KeyParameter(_key), _suite.TagLength * 8, nonce.ToArray(), aad.ToArray()));
        var input = new byte[ciphertext.Length + tag.Length];
        ciphertext.CopyTo(input);
        tag.CopyTo(input.AsSpan(ciphertext.Length));
        var output = new byte[cipher.GetOutputSize(input.Length)];
        try
        {
            var written = cipher.ProcessBytes(input, 0, input.Length, output, 0);
            written += cipher.DoFinal(output, written);
            if (written != plaintext.Length)
            {
                return false;
            }
        }
        catch (InvalidCipherTextException)
        {
            return false;
        }
        output.AsSpan(0, plaintext.Length).CopyTo(plaintext);
        return true;
    }
}
