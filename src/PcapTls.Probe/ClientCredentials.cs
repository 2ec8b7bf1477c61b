using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PcapTls.Validation;

namespace PcapTls.Probe;

/// <summary>A client certificate file could not be used (missing, unreadable, wrong password, key not matching).</summary>
public sealed class ClientCredentialsException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The client certificate (with its chain) and private key that the client-authentication check presents, as the
/// client under diagnosis would (a Java keystore exported to PKCS12, or curl's --cert/--key PEM files).
/// </summary>
public sealed class ClientCredentials
{
    private ClientCredentials(IReadOnlyList<byte[]> chain, byte[] privateKeyPkcs8, string source)
    {
        Chain = chain;
        PrivateKeyPkcs8 = privateKeyPkcs8;
        Source = source;
        Leaf = CertificateInfo.Parse(chain[0]);
    }

    /// <summary>The DER certificates to send, the client's own first, as they appear in the file.</summary>
    public IReadOnlyList<byte[]> Chain { get; }

    /// <summary>The client certificate itself (the one the key belongs to).</summary>
    public CertificateInfo Leaf { get; }

    /// <summary>Where the credentials came from, for the report ("client.pem + client.key").</summary>
    public string Source { get; }

    /// <summary>The private key as PKCS#8 DER, for BouncyCastle's signer.</summary>
    internal byte[] PrivateKeyPkcs8 { get; }

    /// <summary>A PEM certificate file (the client certificate first, then any intermediates) and its unencrypted
    /// PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC), as curl's --cert/--key and s_client's -cert/-key take them.</summary>
    public static ClientCredentials FromPem(string certificateFile, string keyFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificateFile);
        ArgumentException.ThrowIfNullOrEmpty(keyFile);
        RequireFile(certificateFile);
        RequireFile(keyFile);
        try
        {
            // CreateFromPemFile takes the first certificate of the file and refuses a key that does not match it.
            using var leaf = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            var all = new X509Certificate2Collection();
            all.ImportFromPemFile(certificateFile);
            var chain = new List<byte[]> { leaf.RawData };
            chain.AddRange(all.Skip(1).Select(c => c.RawData));
            foreach (var c in all)
            {
                c.Dispose();
            }
            return new ClientCredentials(chain, ExportKey(leaf, certificateFile), $"{certificateFile} + {keyFile}");
        }
        catch (CryptographicException e)
        {
            throw new ClientCredentialsException($"{certificateFile} / {keyFile}: not a usable PEM certificate and unencrypted private key that belong together ({e.Message})", e);
        }
    }

    /// <summary>A PKCS#12 keystore (.p12/.pfx, what a Java client's JKS exports to) holding one private key entry.</summary>
    public static ClientCredentials FromPkcs12(string file, string? password)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        RequireFile(file);
        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12CollectionFromFile(file, password, X509KeyStorageFlags.Exportable | X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException e)
        {
            throw new ClientCredentialsException($"{file}: cannot read the PKCS#12 keystore (wrong password, or not PKCS#12: {e.Message})", e);
        }
        try
        {
            var withKey = all.Where(c => c.HasPrivateKey).ToList();
            if (withKey.Count != 1)
            {
                throw new ClientCredentialsException($"{file}: expected exactly one private key entry, found {withKey.Count}");
            }
            var leaf = withKey[0];
            var chain = new List<byte[]> { leaf.RawData };
            chain.AddRange(all.Where(c => !ReferenceEquals(c, leaf)).Select(c => c.RawData));
            return new ClientCredentials(chain, ExportKey(leaf, file), file);
        }
        catch (CryptographicException e)
        {
            throw new ClientCredentialsException($"{file}: cannot use the private key ({e.Message})", e);
        }
        finally
        {
            foreach (var c in all)
            {
                c.Dispose();
            }
        }
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new ClientCredentialsException($"{path}: no such file");
        }
    }

    private static byte[] ExportKey(X509Certificate2 certificate, string file)
    {
        using AsymmetricAlgorithm? key = (AsymmetricAlgorithm?)certificate.GetRSAPrivateKey() ?? certificate.GetECDsaPrivateKey();
        return key?.ExportPkcs8PrivateKey()
            ?? throw new ClientCredentialsException($"{file}: the private key is neither RSA nor EC (the probe signs with RSA or ECDSA only)");
    }
}
