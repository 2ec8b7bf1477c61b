using static PcapTls.JavaDiff.Tests.DefectPki;

namespace PcapTls.JavaDiff.Tests;

/// <summary>
/// One row of the matrix: what the server sends (leaf first), what the truststore holds, the host the client asks
/// for, and which TLS versions to try. The expected result is not written here: real Java decides it.
/// </summary>
internal sealed record DefectCase(string Id, string[] Chain, string[] Anchors, string Host = DefectMatrix.Host, bool Tls12 = true, bool Tls13 = true);

/// <summary>
/// The certificates and cases: each case has one defect (or a combination of two), over an EC P-256 hierarchy
/// (root, intermediate, leaf) and an RSA one for the digests and key sizes EC cannot have.
/// </summary>
internal static class DefectMatrix
{
    public const string Host = "diff.pcaptls.test";
    private const string Root = "/O=PcapTls Diff/CN=PcapTls Diff Root CA";
    private const string Inter = "/O=PcapTls Diff/CN=PcapTls Diff Intermediate CA";
    private const string San = "DNS:" + Host;
    private const string LeafSubject = "/CN=" + Host;
    private const string Past = "20200101000000Z";
    private const string PastEnd = "20210101000000Z";
    private const string Future = "20400101000000Z";
    private const string FutureEnd = "20410101000000Z";

    public static readonly CertSpec[] Certificates =
    [
        new("root", Root, null, RootExt),
        new("inter", Inter, "root", CaExt),
        new("leaf", LeafSubject, "inter", Leaf(San)),
        new("unrelated", "/CN=PcapTls Diff Unrelated Root", null, RootExt),
        new("impostor-root", Root, null, RootExt),
        new("root-expired", "/CN=PcapTls Diff Expired Root", null, RootExt, From: Past, To: PastEnd),
        new("inter-under-expired-root", "/CN=PcapTls Diff Intermediate Under Expired Root", "root-expired", CaExt),
        new("leaf-under-expired-root", LeafSubject, "inter-under-expired-root", Leaf(San)),
        // validity
        new("leaf-expired", LeafSubject, "inter", Leaf(San), From: Past, To: PastEnd),
        new("leaf-future", LeafSubject, "inter", Leaf(San), From: Future, To: FutureEnd),
        new("inter-expired", "/CN=PcapTls Diff Expired Intermediate", "root", CaExt, From: Past, To: PastEnd),
        new("leaf-under-inter-expired", LeafSubject, "inter-expired", Leaf(San)),
        new("inter-future", "/CN=PcapTls Diff Future Intermediate", "root", CaExt, From: Future, To: FutureEnd),
        new("leaf-under-inter-future", LeafSubject, "inter-future", Leaf(San)),
        // digests and keys
        new("leaf-sha1", LeafSubject, "inter", Leaf(San), Digest: "sha1"),
        new("inter-sha1", "/CN=PcapTls Diff SHA1 Intermediate", "root", CaExt, Digest: "sha1"),
        new("leaf-under-inter-sha1", LeafSubject, "inter-sha1", Leaf(San)),
        new("root-sha1", "/CN=PcapTls Diff SHA1 Root", null, RootExt, Digest: "sha1"),
        new("inter-under-root-sha1", "/CN=PcapTls Diff Intermediate Under SHA1 Root", "root-sha1", CaExt),
        new("leaf-under-root-sha1", LeafSubject, "inter-under-root-sha1", Leaf(San)),
        new("rsa-root", "/O=PcapTls Diff/CN=PcapTls Diff RSA Root", null, RootExt, Key: "rsa2048"),
        new("rsa-inter", "/O=PcapTls Diff/CN=PcapTls Diff RSA Intermediate", "rsa-root", CaExt, Key: "rsa2048"),
        new("rsa-leaf", LeafSubject, "rsa-inter", Leaf(San, "critical,digitalSignature,keyEncipherment"), Key: "rsa2048"),
        new("rsa-inter-md5", "/CN=PcapTls Diff MD5 Intermediate", "rsa-root", CaExt, Key: "rsa2048", Digest: "md5"),
        new("rsa-leaf-under-md5", LeafSubject, "rsa-inter-md5", Leaf(San), Key: "rsa2048"),
        new("rsa-leaf-sha1", LeafSubject, "rsa-inter", Leaf(San), Key: "rsa2048", Digest: "sha1"),
        new("rsa-leaf-1024", LeafSubject, "rsa-inter", Leaf(San), Key: "rsa1024"),
        new("rsa-leaf-768", LeafSubject, "rsa-inter", Leaf(San), Key: "rsa768"),
        new("rsa-inter-1024", "/CN=PcapTls Diff RSA 1024 Intermediate", "rsa-root", CaExt, Key: "rsa1024"),
        new("rsa-leaf-under-1024", LeafSubject, "rsa-inter-1024", Leaf(San), Key: "rsa2048"),
        new("rsa-inter-768", "/CN=PcapTls Diff RSA 768 Intermediate", "rsa-root", CaExt, Key: "rsa768"),
        new("rsa-leaf-under-768", LeafSubject, "rsa-inter-768", Leaf(San), Key: "rsa2048"),
        new("leaf-p384", LeafSubject, "inter", Leaf(San), Key: "ec384"),
        // names
        new("leaf-wild", "/CN=wildcard", "inter", Leaf("DNS:*.pcaptls.test")),
        new("leaf-partial-wild", "/CN=partial wildcard", "inter", Leaf("DNS:d*.pcaptls.test")),
        new("leaf-suffix-wild", "/CN=suffix wildcard", "inter", Leaf("DNS:*.co.uk")),
        new("leaf-ip", LeafSubject, "inter", Leaf("IP:127.0.0.1")),
        new("leaf-ip-as-dns", "/CN=ip as dns", "inter", Leaf("DNS:127.0.0.1")),
        new("leaf-cn-ip", "/CN=127.0.0.1", "inter", Leaf(null)),
        new("leaf-cn-only", LeafSubject, "inter", Leaf(null)),
        new("leaf-no-name", "/O=PcapTls Diff No Name", "inter", Leaf(null)),
        new("leaf-email-san", LeafSubject, "inter", Leaf("email:ops@pcaptls.test")),
        new("leaf-upper", "/CN=DIFF.PCAPTLS.TEST", "inter", Leaf("DNS:DIFF.PcapTls.Test")),
        // usages
        new("leaf-eku-client", LeafSubject, "inter", Leaf(San, eku: "clientAuth")),
        new("leaf-eku-any", LeafSubject, "inter", Leaf(San, eku: "anyExtendedKeyUsage")),
        new("leaf-no-eku", LeafSubject, "inter", Leaf(San, eku: null)),
        new("leaf-ku-agreement", LeafSubject, "inter", Leaf(San, "critical,keyAgreement")),
        new("leaf-no-ku", LeafSubject, "inter", Leaf(San, "")),
        new("rsa-leaf-ku-encipher", LeafSubject, "rsa-inter", Leaf(San, "critical,keyEncipherment"), Key: "rsa2048"),
        new("leaf-ca-true", LeafSubject, "inter", "basicConstraints=critical,CA:true\nkeyUsage=critical,digitalSignature,keyCertSign\nsubjectAltName=" + San + "\n"),
        // CA constraints
        new("inter-ca-false", "/CN=PcapTls Diff Not A CA", "root", "basicConstraints=critical,CA:false\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\n"),
        new("leaf-under-ca-false", LeafSubject, "inter-ca-false", Leaf(San)),
        new("inter-no-bc", "/CN=PcapTls Diff No Basic Constraints", "root", "keyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\n"),
        new("leaf-under-no-bc", LeafSubject, "inter-no-bc", Leaf(San)),
        new("inter-no-certsign", "/CN=PcapTls Diff No CertSign", "root", "basicConstraints=critical,CA:true\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\n"),
        new("leaf-under-no-certsign", LeafSubject, "inter-no-certsign", Leaf(San)),
        new("inter-pl0", "/CN=PcapTls Diff Pathlen 0", "root", "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\n"),
        new("inter-under-pl0", "/CN=PcapTls Diff Below Pathlen 0", "inter-pl0", CaExt),
        new("leaf-under-pl0", LeafSubject, "inter-under-pl0", Leaf(San)),
        new("inter-pl1", "/CN=PcapTls Diff Pathlen 1", "root", "basicConstraints=critical,CA:true,pathlen:1\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\n"),
        new("inter-under-pl1", "/CN=PcapTls Diff Below Pathlen 1", "inter-pl1", CaExt),
        new("leaf-under-pl1", LeafSubject, "inter-under-pl1", Leaf(San)),
        new("inter-nc-permit", "/CN=PcapTls Diff Permits other.test", "root", CaExt + "nameConstraints=critical,permitted;DNS:other.test\n"),
        new("leaf-under-nc-permit", LeafSubject, "inter-nc-permit", Leaf(San)),
        new("inter-nc-ok", "/CN=PcapTls Diff Permits pcaptls.test", "root", CaExt + "nameConstraints=critical,permitted;DNS:pcaptls.test\n"),
        new("leaf-under-nc-ok", LeafSubject, "inter-nc-ok", Leaf(San)),
        new("inter-nc-exclude", "/CN=PcapTls Diff Excludes diff", "root", CaExt + "nameConstraints=critical,excluded;DNS:diff.pcaptls.test\n"),
        new("leaf-under-nc-exclude", LeafSubject, "inter-nc-exclude", Leaf(San)),
        new("inter-nc-ip", "/CN=PcapTls Diff Permits 10.0.0.0 8", "root", CaExt + "nameConstraints=critical,permitted;IP:10.0.0.0/255.0.0.0\n"),
        new("leaf-ip-under-nc-ip", "/CN=ip leaf", "inter-nc-ip", Leaf("IP:127.0.0.1")),
        new("leaf-crit-unknown", LeafSubject, "inter", Leaf(San, extra: "1.3.6.1.4.1.55555.1=critical,DER:05:00\n")),
        new("inter-crit-unknown", "/CN=PcapTls Diff Critical Unknown", "root", CaExt + "1.3.6.1.4.1.55555.1=critical,DER:05:00\n"),
        new("leaf-under-crit-unknown", LeafSubject, "inter-crit-unknown", Leaf(San)),
        new("leaf-v1", LeafSubject, "inter", null),
        new("inter-v1", "/CN=PcapTls Diff V1 Intermediate", "root", null),
        new("leaf-under-v1", LeafSubject, "inter-v1", Leaf(San).Replace("authorityKeyIdentifier=keyid\n", "", StringComparison.Ordinal)),
        new("self-leaf", LeafSubject, null, Leaf(San).Replace("authorityKeyIdentifier=keyid\n", "", StringComparison.Ordinal)),
        // cross-signed: a new root, the same name and key signed by the old root too
        new("new-root", "/CN=PcapTls Diff New Root", null, RootExt),
        new("new-root-by-root", "/CN=PcapTls Diff New Root", "root", CaExt, KeyOf: "new-root"),
        new("inter-under-new-root", "/CN=PcapTls Diff Intermediate Under New Root", "new-root", CaExt),
        new("leaf-under-new-root", LeafSubject, "inter-under-new-root", Leaf(San)),
        .. LongChain(),
    ];

    private const int LongChainLength = 11;

    private static IEnumerable<CertSpec> LongChain()
    {
        var issuer = "root";
        for (var i = 1; i <= LongChainLength; i++)
        {
            yield return new($"long-{i}", $"/CN=PcapTls Diff Long Chain {i}", issuer, CaExt);
            issuer = $"long-{i}";
        }
        yield return new("leaf-long", LeafSubject, issuer, Leaf(San));
    }

    private static readonly string[] R = ["root"];

    // Left out because the server, not Java, ends the handshake (Java offers no signature scheme or group they fit,
    // a protocol-level failure): an MD5-signed leaf, and P-224 or P-192 leaf keys (Java 17 offers neither curve).
    public static readonly DefectCase[] Cases =
    [
        new("trusted", ["leaf", "inter"], R),
        new("trusted-root-included", ["leaf", "inter", "root"], R),
        new("trusted-rsa", ["rsa-leaf", "rsa-inter"], ["rsa-root"]),
        new("untrusted-root", ["leaf", "inter"], ["unrelated"]),
        new("missing-intermediate", ["leaf"], R),
        new("intermediate-as-anchor", ["leaf", "inter"], ["inter"]),
        new("intermediate-as-anchor-leaf-only", ["leaf"], ["inter"]),
        new("leaf-as-anchor", ["leaf", "inter"], ["leaf"]),
        new("empty-truststore", ["leaf", "inter"], []),
        new("impostor-root", ["leaf", "inter"], ["impostor-root"]),
        new("impostor-and-real-root", ["leaf", "inter"], ["impostor-root", "root"]),
        new("expired-anchor", ["leaf-under-expired-root", "inter-under-expired-root"], ["root-expired"]),
        new("expired-leaf", ["leaf-expired", "inter"], R),
        new("not-yet-valid-leaf", ["leaf-future", "inter"], R),
        new("expired-intermediate", ["leaf-under-inter-expired", "inter-expired"], R),
        new("not-yet-valid-intermediate", ["leaf-under-inter-future", "inter-future"], R),
        new("expired-leaf-untrusted-root", ["leaf-expired", "inter"], ["unrelated"]),
        new("expired-leaf-missing-intermediate", ["leaf-expired"], R),
        new("expired-leaf-wrong-host", ["leaf-expired", "inter"], R, "other.pcaptls.test"),
        new("sha1-leaf", ["leaf-sha1", "inter"], R),
        new("sha1-intermediate", ["leaf-under-inter-sha1", "inter-sha1"], R),
        new("sha1-root", ["leaf-under-root-sha1", "inter-under-root-sha1"], ["root-sha1"]),
        new("sha1-rsa-leaf", ["rsa-leaf-sha1", "rsa-inter"], ["rsa-root"]),
        new("md5-intermediate", ["rsa-leaf-under-md5", "rsa-inter-md5"], ["rsa-root"]),
        new("rsa1024-leaf", ["rsa-leaf-1024", "rsa-inter"], ["rsa-root"]),
        new("rsa768-leaf", ["rsa-leaf-768", "rsa-inter"], ["rsa-root"]),
        new("rsa1024-intermediate", ["rsa-leaf-under-1024", "rsa-inter-1024"], ["rsa-root"]),
        new("rsa768-intermediate", ["rsa-leaf-under-768", "rsa-inter-768"], ["rsa-root"]),
        new("ec-p384-leaf", ["leaf-p384", "inter"], R),
        new("wrong-host", ["leaf", "inter"], R, "other.pcaptls.test"),
        new("host-trailing-dot", ["leaf", "inter"], R, Host + "."),
        new("host-case", ["leaf-upper", "inter"], R),
        new("wildcard-one-label", ["leaf-wild", "inter"], R),
        new("wildcard-two-labels", ["leaf-wild", "inter"], R, "a.diff.pcaptls.test"),
        new("wildcard-bare-domain", ["leaf-wild", "inter"], R, "pcaptls.test"),
        new("wildcard-partial-label", ["leaf-partial-wild", "inter"], R),
        new("wildcard-public-suffix", ["leaf-suffix-wild", "inter"], R, "diff.co.uk"),
        new("ip-san", ["leaf-ip", "inter"], R, "127.0.0.1"),
        new("ip-san-dns-host-cn", ["leaf-ip", "inter"], R),
        new("ip-in-dns-san", ["leaf-ip-as-dns", "inter"], R, "127.0.0.1"),
        new("ip-in-cn-only", ["leaf-cn-ip", "inter"], R, "127.0.0.1"),
        new("cn-only", ["leaf-cn-only", "inter"], R),
        new("cn-only-wrong-host", ["leaf-cn-only", "inter"], R, "other.pcaptls.test"),
        new("no-name", ["leaf-no-name", "inter"], R),
        new("email-san-only-cn", ["leaf-email-san", "inter"], R),
        new("eku-client-only", ["leaf-eku-client", "inter"], R),
        new("eku-any", ["leaf-eku-any", "inter"], R),
        new("no-eku", ["leaf-no-eku", "inter"], R),
        // TLS 1.2: s_server itself will not sign ECDHE with a keyAgreement-only key (handshake_failure to Java).
        new("ku-key-agreement-only", ["leaf-ku-agreement", "inter"], R, Tls12: false),
        new("no-ku", ["leaf-no-ku", "inter"], R),
        new("ku-key-encipherment-only", ["rsa-leaf-ku-encipher", "rsa-inter"], ["rsa-root"]),
        new("leaf-is-ca", ["leaf-ca-true", "inter"], R),
        new("intermediate-ca-false", ["leaf-under-ca-false", "inter-ca-false"], R),
        new("intermediate-no-basic-constraints", ["leaf-under-no-bc", "inter-no-bc"], R),
        new("intermediate-no-keycertsign", ["leaf-under-no-certsign", "inter-no-certsign"], R),
        new("pathlen-exceeded", ["leaf-under-pl0", "inter-under-pl0", "inter-pl0"], R),
        new("pathlen-ok", ["leaf-under-pl1", "inter-under-pl1", "inter-pl1"], R),
        new("name-constraint-not-permitted", ["leaf-under-nc-permit", "inter-nc-permit"], R),
        new("name-constraint-permitted", ["leaf-under-nc-ok", "inter-nc-ok"], R),
        new("name-constraint-excluded", ["leaf-under-nc-exclude", "inter-nc-exclude"], R),
        new("name-constraint-ip", ["leaf-ip-under-nc-ip", "inter-nc-ip"], R, "127.0.0.1"),
        new("critical-unknown-leaf", ["leaf-crit-unknown", "inter"], R),
        new("critical-unknown-intermediate", ["leaf-under-crit-unknown", "inter-crit-unknown"], R),
        new("v1-leaf", ["leaf-v1", "inter"], R),
        new("v1-intermediate", ["leaf-under-v1", "inter-v1"], R),
        new("self-signed-untrusted", ["self-leaf"], R),
        new("self-signed-trusted", ["self-leaf"], ["self-leaf"]),
        new("out-of-order-root-first", ["leaf", "root", "inter"], R),
        new("extra-cert-between", ["leaf", "unrelated", "inter"], R),
        new("extra-cert-after", ["leaf", "inter", "unrelated"], R),
        new("duplicate-intermediate", ["leaf", "inter", "inter"], R),
        new("cross-signed-new-root-trusted", ["leaf-under-new-root", "inter-under-new-root", "new-root-by-root"], ["new-root"]),
        new("cross-signed-old-root-trusted", ["leaf-under-new-root", "inter-under-new-root", "new-root-by-root"], R),
        new("cross-signed-neither-trusted", ["leaf-under-new-root", "inter-under-new-root", "new-root-by-root"], ["unrelated"]),
        new("chain-longer-than-10", ["leaf-long", .. Enumerable.Range(1, LongChainLength).Reverse().Select(i => $"long-{i}")], R),
    ];
}
