namespace PcapTls.JavaDiff.Tests;

/// <summary>
/// java.security override files (issue #16, the client's own configuration): each is given to a second JVM as
/// -Djava.security.properties=FILE and to PcapTls as JavaSecurity.Load(FILE), and the listed cases of
/// <see cref="DefectMatrix"/> run again with it. They exercise the conditions of jdk.certpath.disabledAlgorithms
/// (usage, keySize, denyAfter, jdkCA, '&amp;' chains, curve names by alias) and key sizes in jdk.tls.disabledAlgorithms.
/// </summary>
internal sealed record SecurityOverride(string Name, string Properties, string[] CaseIds)
{
    public static readonly SecurityOverride[] All =
    [
        new("strict-certpath",
            "# stricter than the JDK: SHA-1 refused for any TLS server, RSA below 2048 bits\n"
            + "jdk.certpath.disabledAlgorithms=MD2, MD5, SHA1 usage TLSServer, RSA keySize < 2048, \\\n"
            + "    EC keySize < 224, SHA256 denyAfter 2020-01-01 & usage TLSClient\n",
            ["trusted", "trusted-rsa", "sha1-leaf", "sha1-intermediate", "rsa1024-leaf", "rsa1024-intermediate", "ec-p384-leaf"]),
        new("deny-sha256-after-2020",
            "jdk.certpath.disabledAlgorithms=MD2, MD5, SHA256 usage TLSServer & denyAfter 2020-01-01\n",
            ["trusted", "missing-intermediate", "trusted-rsa"]),
        new("tls-rsa-3072-and-p384-alias",
            "jdk.tls.disabledAlgorithms=SSLv3, TLSv1, TLSv1.1, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, \\\n"
            + "    3DES_EDE_CBC, anon, NULL, ECDH, TLS_RSA_*, RSA keySize < 3072\n"
            + "jdk.certpath.disabledAlgorithms: MD2, MD5, NIST P-384, SHA256 jdkCA & usage TLSServer\n",
            ["trusted", "trusted-rsa", "ec-p384-leaf"]),
    ];
}
