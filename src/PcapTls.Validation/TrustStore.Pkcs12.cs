using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace PcapTls.Validation;

/// <summary>PKCS#12 truststores: the bags, Java's trusted-certificate attribute, and the PBES2/PKCS#12 PBE decryption.</summary>
public sealed partial class TrustStore
{
    private static bool IsPkcs12(byte[] content)
    {
        if (content[0] != 0x30)
        {
            return false;
        }
        try
        {
            var seq = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(content));
            return seq.Count >= 2 && seq[0] is DerInteger v && v.IntValueExact == Pkcs12Version && seq[1] is Asn1Sequence;
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or FormatException or ArithmeticException)
        {
            // ArithmeticException: a version INTEGER beyond int (found by tools/fuzz).
            return false;
        }
    }

    private static TrustStore LoadPkcs12(string source, byte[] content, string? password)
    {
        // BouncyCastle checks the MAC (the password); the bags are then read here, because its store drops
        // certificates without a friendlyName and does not expose the Java trusted-certificate attribute.
        char[]? used = null;
        Exception? last = null;
        foreach (var pw in password is not null ? [password] : DefaultPasswords)
        {
            try
            {
                var store = new Pkcs12StoreBuilder().Build();
                using var ms = new MemoryStream(content);
                store.Load(ms, pw.ToCharArray());
                used = pw.ToCharArray();
                break;
            }
            // SecurityUtilityException: a MAC algorithm BouncyCastle does not know; ArithmeticException: an
            // iteration count beyond int (both found by tools/fuzz).
            catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or CryptoException
                or SecurityUtilityException or ArithmeticException)
            {
                if (e.Message.Contains("does not require one", StringComparison.Ordinal))
                {
                    used = [];
                    break;
                }
                last = e;
            }
        }
        if (used is null)
        {
            if (last is IOException && last.Message.Contains("MAC invalid", StringComparison.Ordinal))
            {
                throw password is null
                    ? new TrustStoreException(TrustStoreErrorKind.WrongPassword, $"{source}: the PKCS12 truststore needs a password (the defaults 'changeit' and empty did not open it)", last)
                    : new TrustStoreException(TrustStoreErrorKind.WrongPassword, $"{source}: wrong password for the PKCS12 truststore (MAC check failed)", last);
            }
            throw new TrustStoreException(TrustStoreErrorKind.Unreadable, $"{source}: not a readable PKCS12 file ({last?.Message})", last);
        }
        List<(CertificateInfo Cert, string? Alias, string? LocalId, bool Trusted)> certs;
        HashSet<string> keyIds;
        int keyCount;
        try
        {
            (certs, keyIds, keyCount) = ReadPkcs12Bags(content, used);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or CryptoException or InvalidCastException)
        {
            throw new TrustStoreException(TrustStoreErrorKind.Unreadable, $"{source}: PKCS12 content could not be read ({e.Message})", e);
        }
        var entries = new List<TrustStoreEntry>();
        var warnings = new List<string>();
        var untagged = 0;
        for (var i = 0; i < certs.Count; i++)
        {
            var (cert, alias, localId, trusted) = certs[i];
            var name = alias ?? AliasFor(cert, i);
            if (localId is not null && keyIds.Contains(localId))
            {
                entries.Add(new TrustStoreEntry(name, TrustStoreEntryType.PrivateKey, cert));
            }
            else if (trusted)
            {
                entries.Add(new TrustStoreEntry(name, TrustStoreEntryType.TrustedCertificate, cert));
            }
            else if (keyCount == 0 || localId is null)
            {
                entries.Add(new TrustStoreEntry(name, TrustStoreEntryType.CertificateWithoutTrustAttribute, cert));
                untagged++;
            }
        }
        if (untagged > 0)
        {
            warnings.Add($"{untagged} certificate(s) in this PKCS12 lack Java's trusted-certificate attribute (typical of `openssl pkcs12 -export`): "
                + "Java sees " + (untagged == entries.Count ? "0 entries and fails with 'the trustAnchors parameter must be non-empty'" : "only the other entries")
                + "; rebuild it with keytool -importcert (or openssl pkcs12 -export -jdktrust anyExtendedKeyUsage, OpenSSL 3.2+)");
        }
        var keyEntries = entries.Count(e => e.Type == TrustStoreEntryType.PrivateKey);
        return Finish(source, TrustStoreFormat.Pkcs12, entries, Math.Max(0, keyCount - keyEntries), warnings);
    }

    private static (List<(CertificateInfo, string?, string?, bool)>, HashSet<string>, int) ReadPkcs12Bags(byte[] content, char[] password)
    {
        var certs = new List<(CertificateInfo, string?, string?, bool)>();
        var keyIds = new HashSet<string>(StringComparer.Ordinal);
        var keyCount = 0;
        var pfx = Pfx.GetInstance(Asn1Object.FromByteArray(content));
        if (!pfx.AuthSafe.ContentType.Equals(PkcsObjectIdentifiers.Data))
        {
            return (certs, keyIds, keyCount);
        }
        var authSafe = AuthenticatedSafe.GetInstance(Asn1OctetString.GetInstance(pfx.AuthSafe.Content).GetOctets());
        foreach (var ci in authSafe.GetContentInfo())
        {
            byte[]? octets = null;
            if (ci.ContentType.Equals(PkcsObjectIdentifiers.Data))
            {
                octets = Asn1OctetString.GetInstance(ci.Content).GetOctets();
            }
            else if (ci.ContentType.Equals(PkcsObjectIdentifiers.EncryptedData))
            {
                var ed = EncryptedData.GetInstance(ci.Content);
                octets = Decrypt(ed.EncryptionAlgorithm, password, ed.Content.GetOctets());
            }
            if (octets is null)
            {
                continue;
            }
            foreach (var item in Asn1Sequence.GetInstance(octets))
            {
                var bag = SafeBag.GetInstance(item);
                string? alias = null;
                string? localId = null;
                var trusted = false;
                if (bag.BagAttributes is { } attrs)
                {
                    foreach (var a in attrs)
                    {
                        var seq = Asn1Sequence.GetInstance(a);
                        var oid = DerObjectIdentifier.GetInstance(seq[0]);
                        var values = Asn1Set.GetInstance(seq[1]);
                        if (values.Count == 0)
                        {
                            continue;
                        }
                        if (oid.Equals(PkcsObjectIdentifiers.Pkcs9AtFriendlyName))
                        {
                            alias = DerBmpString.GetInstance(values[0]).GetString();
                        }
                        else if (oid.Equals(PkcsObjectIdentifiers.Pkcs9AtLocalKeyID))
                        {
                            localId = Convert.ToHexStringLower(Asn1OctetString.GetInstance(values[0]).GetOctets());
                        }
                        else if (oid.Id == JavaTrustedKeyUsageOid)
                        {
                            trusted = true;
                        }
                    }
                }
                if (bag.BagID.Equals(PkcsObjectIdentifiers.CertBag))
                {
                    var certBag = CertBag.GetInstance(bag.BagValue);
                    var der = Asn1OctetString.GetInstance(certBag.CertValue).GetOctets();
                    var cert = CertificateInfo.Parse(der);
                    if (cert.IsParsed)
                    {
                        certs.Add((cert, alias, localId, trusted));
                    }
                }
                else if (bag.BagID.Equals(PkcsObjectIdentifiers.Pkcs8ShroudedKeyBag) || bag.BagID.Equals(PkcsObjectIdentifiers.KeyBag))
                {
                    keyCount++;
                    if (localId is not null)
                    {
                        keyIds.Add(localId);
                    }
                }
            }
        }
        return (certs, keyIds, keyCount);
    }

    private static byte[] Decrypt(Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier algId, char[] password, byte[] data)
    {
        var parameters = PbeUtilities.GenerateCipherParameters(algId, password);
        var cipher = (IBufferedCipher)PbeUtilities.CreateEngine(algId);
        cipher.Init(false, parameters);
        return cipher.DoFinal(data);
    }
}
