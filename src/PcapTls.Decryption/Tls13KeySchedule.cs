using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace PcapTls.Decryption;

/// <summary>The write key and iv of one direction at one stage of the handshake.</summary>
public sealed record TrafficKeys(byte[] Key, byte[] Iv);

/// <summary>The parts of the TLS 1.3 key schedule (RFC 8446 section 7) a passive reader needs: the key log
/// already holds the traffic secrets, so only the expansion of a secret into key and iv is left.</summary>
public static class Tls13KeySchedule
{
    private static ReadOnlySpan<byte> LabelPrefix => "tls13 "u8;

    /// <summary>Longest label the HkdfLabel structure can carry (opaque label&lt;7..255&gt;).</summary>
    public const int MaxLabelLength = 255;

    /// <summary>Longest context (opaque context&lt;0..255&gt;).</summary>
    public const int MaxContextLength = 255;

    /// <summary>
    /// HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length), where
    /// <code>
    /// struct {
    ///     uint16 length = Length;
    ///     opaque label&lt;7..255&gt; = "tls13 " + Label;
    ///     opaque context&lt;0..255&gt; = Context;
    /// } HkdfLabel;
    /// </code>
    /// </summary>
    public static byte[] HkdfExpandLabel(HashAlgorithmName hash, ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> context, int length)
    {
        var labelBytes = Encoding.ASCII.GetBytes(label);
        var fullLabelLength = LabelPrefix.Length + labelBytes.Length;
        if (fullLabelLength > MaxLabelLength)
        {
            throw new ArgumentException($"label longer than {MaxLabelLength - LabelPrefix.Length} bytes", nameof(label));
        }
        if (context.Length > MaxContextLength)
        {
            throw new ArgumentException($"context longer than {MaxContextLength} bytes", nameof(context));
        }
        if (length is < 0 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(length));
        }

        var info = new byte[2 + 1 + fullLabelLength + 1 + context.Length];
        BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)length);
        info[2] = (byte)fullLabelLength;
        LabelPrefix.CopyTo(info.AsSpan(3));
        labelBytes.CopyTo(info.AsSpan(3 + LabelPrefix.Length));
        info[3 + fullLabelLength] = (byte)context.Length;
        context.CopyTo(info.AsSpan(4 + fullLabelLength));

        var output = new byte[length];
        HKDF.Expand(hash, secret, output, info);
        return output;
    }

    /// <summary>
    /// RFC 8446 section 7.3: [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length) and
    /// [sender]_write_iv = HKDF-Expand-Label(Secret, "iv", "", iv_length).
    /// </summary>
    public static TrafficKeys DeriveTrafficKeys(Tls13CipherSuiteParameters suite, ReadOnlySpan<byte> trafficSecret) =>
        new(HkdfExpandLabel(suite.Hash, trafficSecret, "key", [], suite.KeyLength),
            HkdfExpandLabel(suite.Hash, trafficSecret, "iv", [], Tls13CipherSuiteParameters.IvLength));
}
