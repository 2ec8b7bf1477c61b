using System.Globalization;
using PcapTls.Testing;

namespace PcapTls.JavaDiff.Tests;

/// <summary>
/// One certificate of the defect matrix. <paramref name="Issuer"/> null = self-signed; <paramref name="Extensions"/>
/// null = an X.509 version 1 certificate (openssl ca writes v1 when given no extensions); <paramref name="KeyOf"/>
/// reuses another certificate's key (cross-signing). Dates in openssl ca's YYYYMMDDHHMMSSZ form.
/// </summary>
internal sealed record CertSpec(string Name, string Subject, string? Issuer, string? Extensions, string Key = "ec",
    string From = DefectPki.From, string To = DefectPki.To, string Digest = "sha256", string? KeyOf = null);

/// <summary>
/// Makes the defect matrix's certificates with openssl (genpkey, req, ca) into a fresh temporary folder, once per
/// run, issuers before what they sign and each level in parallel.
/// </summary>
internal sealed class DefectPki
{
    public const string From = "20240101000000Z";
    public const string To = "20450101000000Z";

    public const string RootExt = "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n";
    public const string CaExt = RootExt + "authorityKeyIdentifier=keyid\n";
    public const string LeafBase = "basicConstraints=critical,CA:false\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";

    /// <summary>A server certificate's extensions: digitalSignature, serverAuth, and the given subjectAltName (null = none).</summary>
    public static string Leaf(string? san, string keyUsage = "critical,digitalSignature", string? eku = "serverAuth", string extra = "") =>
        LeafBase + (keyUsage.Length > 0 ? $"keyUsage={keyUsage}\n" : "") + (eku is null ? "" : $"extendedKeyUsage={eku}\n")
        + (san is null ? "" : $"subjectAltName={san}\n") + extra;

    private readonly string _openssl;
    private readonly Dictionary<string, CertSpec> _specs;

    public string Directory { get; }

    private DefectPki(string openssl, IEnumerable<CertSpec> specs)
    {
        _openssl = openssl;
        _specs = specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        Directory = System.IO.Directory.CreateTempSubdirectory("pcaptls-javadiff-").FullName;
    }

    public string Pem(string name) => Path.Combine(Directory, name + ".pem");

    public string KeyFile(string name) => Path.Combine(Directory, (_specs[name].KeyOf ?? name) + ".key");

    public static DefectPki Create(string openssl, IReadOnlyList<CertSpec> specs)
    {
        var pki = new DefectPki(openssl, specs);
        File.WriteAllText(Path.Combine(pki.Directory, "ca.cnf"), CaConfig);
        // Keys first (all independent), then certificates level by level: roots, what they sign, and so on.
        Parallel.ForEach(specs.Where(s => s.KeyOf is null), new ParallelOptions { MaxDegreeOfParallelism = 4 }, pki.MakeKey);
        var done = new HashSet<string>(StringComparer.Ordinal);
        var serial = 0x1000;
        while (done.Count < specs.Count)
        {
            var level = specs.Where(s => !done.Contains(s.Name) && (s.Issuer is null || done.Contains(s.Issuer))).ToList();
            if (level.Count == 0)
            {
                throw new InvalidOperationException("issuer loop or unknown issuer among: " + string.Join(", ", specs.Where(s => !done.Contains(s.Name)).Select(s => s.Name)));
            }
            var serials = level.ToDictionary(s => s.Name, _ => serial++);
            Parallel.ForEach(level, new ParallelOptions { MaxDegreeOfParallelism = 4 }, s => pki.Issue(s, serials[s.Name]));
            done.UnionWith(level.Select(s => s.Name));
        }
        return pki;
    }

    private void MakeKey(CertSpec spec)
    {
        var key = Path.Combine(Directory, spec.Name + ".key");
        string[] args = spec.Key switch
        {
            "ec" => ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key],
            "ec384" => ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", key],
            "ec224" => ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp224r1", "-out", key],
            "ec192" => ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime192v1", "-out", key],
            var rsa when rsa.StartsWith("rsa", StringComparison.Ordinal) =>
                ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:" + rsa[3..], "-out", key],
            var k => throw new ArgumentException("unknown key type " + k),
        };
        Run(args);
    }

    private void Issue(CertSpec spec, int serial)
    {
        var db = Path.Combine(Directory, "db-" + spec.Name);
        System.IO.Directory.CreateDirectory(Path.Combine(db, "new"));
        File.WriteAllText(Path.Combine(db, "index.txt"), "");
        File.WriteAllText(Path.Combine(db, "serial"), serial.ToString("X", CultureInfo.InvariantCulture) + "\n");
        var config = Path.Combine(Directory, "ca.cnf");
        var csr = Path.Combine(db, "req.csr");
        Run(["req", "-config", config, "-new", "-key", KeyFile(spec.Name), "-subj", spec.Subject, "-out", csr], db);
        var args = new List<string> { "ca", "-batch", "-notext", "-preserveDN", "-config", config, "-name", "diff_ca", "-md", spec.Digest,
            "-startdate", spec.From, "-enddate", spec.To, "-in", csr, "-out", Pem(spec.Name), "-subj", spec.Subject };
        args.AddRange(spec.Issuer is null
            ? ["-selfsign", "-keyfile", KeyFile(spec.Name)]
            : ["-cert", Pem(spec.Issuer), "-keyfile", KeyFile(spec.Issuer)]);
        if (spec.Extensions is not null)
        {
            var ext = Path.Combine(db, "ext.cnf");
            File.WriteAllText(ext, "[ext]\n" + spec.Extensions);
            args.AddRange(["-extfile", ext, "-extensions", "ext"]);
        }
        Run([.. args], db);
    }

    private void Run(string[] args, string? database = null)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(_openssl) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["DIFF_DB"] = database ?? Directory;
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {string.Join(' ', args)}: {stderr.Result}{stdout.Result}");
        }
    }

    // The database is per certificate (DIFF_DB), so issuing in parallel never shares index.txt or serial.
    private const string CaConfig = """
        [ ca ]
        default_ca = diff_ca
        [ diff_ca ]
        dir             = $ENV::DIFF_DB
        database        = $dir/index.txt
        new_certs_dir   = $dir/new
        serial          = $dir/serial
        default_md      = sha256
        policy          = policy_anything
        unique_subject  = no
        copy_extensions = none
        email_in_dn     = no
        [ policy_anything ]
        commonName       = optional
        organizationName = optional
        [ req ]
        distinguished_name = req_dn
        prompt             = no
        string_mask        = utf8only
        [ req_dn ]
        CN = placeholder
        """;

    /// <summary>Runs keytool: a JKS truststore (password changeit) holding these certificates, empty when none.</summary>
    public string TrustStore(string keytool, IReadOnlyList<string> anchors)
    {
        var path = Path.Combine(Directory, "trust-" + (anchors.Count == 0 ? "empty" : string.Join("+", anchors)) + ".jks");
        void KeyTool(params string[] args)
        {
            var (code, stdout, stderr) = Requires.Run(keytool, ["-J-XX:TieredStopAtLevel=1", "-J-Xshare:auto", .. args, "-keystore", path, "-storetype", "JKS", "-storepass", "changeit", "-noprompt"]);
            if (code != 0)
            {
                throw new InvalidOperationException($"keytool {string.Join(' ', args)}: {stdout}{stderr}");
            }
        }
        if (anchors.Count == 0)
        {
            // keytool cannot create an empty store directly: add one entry, then delete it.
            KeyTool("-importcert", "-alias", "placeholder", "-file", Pem(_specs.Keys.First()));
            KeyTool("-delete", "-alias", "placeholder");
        }
        foreach (var a in anchors)
        {
            KeyTool("-importcert", "-alias", a, "-file", Pem(a));
        }
        return path;
    }
}
