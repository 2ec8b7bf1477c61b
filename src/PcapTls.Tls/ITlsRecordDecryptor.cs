namespace PcapTls.Tls;

/// <summary>
/// Opens TLS 1.3 protected records with keys from a key log (implemented in PcapTls.Decryption, installed on a
/// <see cref="TlsConnectionDecoder"/> by the analysis layer). The decoder calls it for every protected record
/// (outer type 23) of a side in wire order, from the first one after the ServerHello, so the implementation can
/// count sequence numbers per side; after the first failure on a side it is not called again for that side.
/// </summary>
public interface ITlsRecordDecryptor
{
    /// <summary>Opens one protected record (type 23) of the given side. header: the 5-byte record header;
    /// payload: the ciphertext. On success writes the inner plaintext (content type byte removed) and returns its
    /// true content type.</summary>
    bool TryDecrypt(int side, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, out byte[] plaintext, out TlsContentType innerType);
}
