using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PcapTls.Decryption.Tests;

/// <summary>The sending side of RFC 8446 section 5.2, for tests: protects records the way a peer would.</summary>
internal sealed class RecordSealer(Tls13CipherSuiteParameters suite, byte[] trafficSecret)
{
    private readonly TrafficKeys _keys = Tls13KeySchedule.DeriveTrafficKeys(suite, trafficSecret);
    private ulong _sequence;

    public byte[] Seal(byte innerType, ReadOnlySpan<byte> content, int padding = 0)
    {
        var inner = new byte[content.Length + 1 + padding];
        content.CopyTo(inner);
        inner[content.Length] = innerType;
        return SealInner(inner);
    }

    /// <summary>Seals an arbitrary TLSInnerPlaintext (e.g. all zeros, which is illegal).</summary>
    public byte[] SealInner(ReadOnlySpan<byte> inner)
    {
        var record = new byte[5 + inner.Length + suite.TagLength];
        record[0] = 23;
        record[1] = 3;
        record[2] = 3;
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(3), (ushort)(inner.Length + suite.TagLength));
        var nonce = (byte[])_keys.Iv.Clone();
        Span<byte> seq = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(seq, _sequence++);
        for (var i = 0; i < 8; i++)
        {
            nonce[4 + i] ^= seq[i];
        }
        var aad = record.AsSpan(0, 5).ToArray();
        var ciphertext = record.AsSpan(5, inner.Length);
        var tag = record.AsSpan(5 + inner.Length);
        switch (suite.Aead)
        {
            case Tls13Aead.AesGcm:
                using (var gcm = new AesGcm(_keys.Key, suite.TagLength)) { gcm.Encrypt(nonce, inner, ciphertext, tag, aad); }
                break;
            case Tls13Aead.AesCcm:
                using (var ccm = new AesCcm(_keys.Key)) { ccm.Encrypt(nonce, inner, ciphertext, tag, aad); }
                break;
            default:
                using (var chacha = new ChaCha20Poly1305(_keys.Key)) { chacha.Encrypt(nonce, inner, ciphertext, tag, aad); }
                break;
        }
        return record;
    }
}

internal static class RecordExtensions
{
    public static bool Open(this Tls13HandshakeDecryptor decryptor, TrafficDirection direction, byte[] record, out byte[] plaintext, out byte innerType) =>
        decryptor.TryDecrypt(direction, record.AsSpan(0, 5), record.AsSpan(5), out plaintext, out innerType);
}
