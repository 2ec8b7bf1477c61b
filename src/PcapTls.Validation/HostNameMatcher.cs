using System.Net;

namespace PcapTls.Validation;

/// <summary>
/// Host name identification as the clients do it. Java (sun.security.util.HostnameChecker, type TLS, used by HTTPS
/// endpoint identification): an IP literal is compared only with IP SANs; a name only with DNS SANs, and with the most
/// specific CN only when the certificate has no DNS SAN. OpenSSL (X509_check_host): the same fallback rule.
/// Wildcards: Java matches RFC 2818 style, label by label, so "*" may be a whole label or part of one ("f*.a.com");
/// OpenSSL allows one wildcard, in the left-most label only, with at least two labels after it.
/// </summary>
internal static class HostNameMatcher
{
    public static HostNameCheck Check(CertificateInfo leaf, string? host, ClientProfile profile)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            return new HostNameCheck(null, false, true, "none", [], null, "no host name given: the name was not checked");
        }
        host = host.Trim().TrimEnd('.');
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IPAddress.TryParse(bare, out var ip) && (bare.Contains(':', StringComparison.Ordinal) || bare.Count(c => c == '.') == 3))
        {
            return CheckIp(leaf, ip, bare, profile);
        }
        return CheckDns(leaf, host, profile);
    }

    private static HostNameCheck CheckIp(CertificateInfo leaf, IPAddress ip, string text, ClientProfile profile)
    {
        foreach (var s in leaf.IpAddresses)
        {
            if (IPAddress.TryParse(s, out var candidate) && candidate.Equals(ip))
            {
                return new HostNameCheck(text, true, true, "ip-san", leaf.IpAddresses, s, $"IP address {text} is in the certificate's IP SANs");
            }
        }
        var presented = leaf.IpAddresses.Select(a => "IP:" + a).Concat(leaf.DnsNames.Select(d => "DNS:" + d)).ToList();
        string message;
        if (profile != ClientProfile.Java)
        {
            message = OpenSslVerifyError.Text(OpenSslVerifyError.IpAddressMismatch);
        }
        else
        {
            message = leaf.HasSubjectAltName
                ? $"No subject alternative names matching IP address {text} found"
                : "No subject alternative names present";
        }
        var why = leaf.IpAddresses.Count == 0
            ? $"the certificate has no IP address SAN; an IP literal is never compared with DNS names or the CN{(leaf.DnsNames.Count > 0 ? $" (DNS SANs: {string.Join(", ", leaf.DnsNames)})" : "")}"
            : $"IP SANs {string.Join(", ", leaf.IpAddresses)} do not include {text}";
        return new HostNameCheck(text, true, false, "ip-san", presented, null, why) { ClientMessage = message };
    }

    private static HostNameCheck CheckDns(CertificateInfo leaf, string host, ClientProfile profile)
    {
        if (leaf.DnsNames.Count > 0)
        {
            foreach (var name in leaf.DnsNames)
            {
                if (Matches(host, name, profile))
                {
                    return new HostNameCheck(host, true, true, "dns-san", leaf.DnsNames, name, $"{host} matches the SAN DNS name {name}");
                }
            }
            var message = profile != ClientProfile.Java
                ? OpenSslVerifyError.Text(OpenSslVerifyError.HostnameMismatch)
                : $"No subject alternative DNS name matching {host} found.";
            var hint = leaf.CommonName is { } cn && Matches(host, cn, profile)
                ? $"; the CN {cn} would match, but a client looks at the CN only when there is no DNS SAN"
                : "";
            var wild = leaf.DnsNames.Where(n => n.StartsWith("*.", StringComparison.Ordinal) && host.EndsWith(n[1..], StringComparison.OrdinalIgnoreCase)).ToList();
            var wildHint = wild.Count > 0 ? $"; {wild[0]} covers exactly one label, not {host}" : "";
            return new HostNameCheck(host, true, false, "dns-san", leaf.DnsNames, null,
                $"{host} is not among the SAN DNS names {string.Join(", ", leaf.DnsNames)}{wildHint}{hint}")
            { ClientMessage = message };
        }
        if (leaf.CommonName is { } commonName && Matches(host, commonName, profile))
        {
            return new HostNameCheck(host, true, true, "cn", [commonName], commonName, $"{host} matches the subject CN {commonName} (the certificate has no DNS SAN)");
        }
        var msg = profile != ClientProfile.Java
            ? OpenSslVerifyError.Text(OpenSslVerifyError.HostnameMismatch)
            : $"No name matching {host} found";
        return new HostNameCheck(host, true, false, "cn", leaf.CommonName is null ? [] : [leaf.CommonName], null,
            leaf.CommonName is null
                ? "the certificate has neither a DNS SAN nor a CN"
                : $"the certificate has no DNS SAN and its CN {leaf.CommonName} does not match {host}")
        { ClientMessage = msg };
    }

    /// <summary>Whether a presented name (possibly with wildcards) matches the host, per the profile's rules.</summary>
    public static bool Matches(string host, string pattern, ClientProfile profile)
    {
        host = host.TrimEnd('.');
        pattern = pattern.Trim().TrimEnd('.');
        if (pattern.Length == 0 || host.Length == 0)
        {
            return false;
        }
        if (!pattern.Contains('*', StringComparison.Ordinal))
        {
            return string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase);
        }
        return profile != ClientProfile.Java ? OpenSslWildcard(host, pattern) : JavaWildcard(host, pattern);
    }

    private static bool JavaWildcard(string host, string pattern)
    {
        // HostnameChecker.hasIllegalWildcard: "*" and "*." alone, or no dot after the last "*", are illegal.
        if (pattern is "*" or "*.")
        {
            return false;
        }
        var last = pattern.LastIndexOf('*');
        if (pattern.IndexOf('.', last) < 0)
        {
            return false;
        }
        var hostLabels = host.Split('.');
        var patternLabels = pattern.Split('.');
        if (hostLabels.Length != patternLabels.Length)
        {
            return false;
        }
        for (var i = 0; i < hostLabels.Length; i++)
        {
            if (!LabelMatches(hostLabels[i], patternLabels[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static bool OpenSslWildcard(string host, string pattern)
    {
        var patternLabels = pattern.Split('.');
        if (pattern.IndexOf('*') != pattern.LastIndexOf('*') || !patternLabels[0].Contains('*', StringComparison.Ordinal)
            || patternLabels.Length < 3 || patternLabels[0].StartsWith("xn--", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var hostLabels = host.Split('.');
        // An IDNA A-label only matches a wildcard that is the whole label.
        if (hostLabels.Length != patternLabels.Length || patternLabels[0] != "*" && hostLabels[0].StartsWith("xn--", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        for (var i = 1; i < hostLabels.Length; i++)
        {
            if (!string.Equals(hostLabels[i], patternLabels[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }
        return LabelMatches(hostLabels[0], patternLabels[0]) && hostLabels[0].Length > 0;
    }

    /// <summary>One label against a label pattern where "*" matches any run of characters (no dots inside a label).</summary>
    private static bool LabelMatches(string label, string pattern)
    {
        var star = pattern.IndexOf('*');
        if (star < 0)
        {
            return string.Equals(label, pattern, StringComparison.OrdinalIgnoreCase);
        }
        var prefix = pattern[..star];
        var rest = pattern[(star + 1)..];
        if (!label.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        for (var i = prefix.Length; i <= label.Length; i++)
        {
            if (LabelMatches(label[i..], rest))
            {
                return true;
            }
        }
        return false;
    }
}
