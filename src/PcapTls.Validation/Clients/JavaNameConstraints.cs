namespace PcapTls.Validation;

/// <summary>
/// sun.security.x509.NameConstraintsExtension.verify(X509Certificate) for DNS and IP names, as ConstraintsChecker
/// .verifyNameConstraints calls it: the names are the SAN's DNS and IP entries, plus the subject's most specific CN
/// as a DNS name (when there is no DNS SAN) or as an IP (when it is an IP literal and there is no IP SAN). A name
/// inside an excluded subtree fails; when permitted subtrees of the name's type exist, the name must be inside one.
/// </summary>
internal static class JavaNameConstraints
{
    public static bool Allows(NameConstraintSet nc, CertificateInfo cert)
    {
        var dns = cert.DnsNames.ToList();
        var ips = cert.IpAddressBytes.ToList();
        if (cert.CommonName is { } cn)
        {
            if (System.Net.IPAddress.TryParse(cn, out var ip) && (cn.Contains(':', StringComparison.Ordinal) || cn.Count(c => c == '.') == 3))
            {
                if (ips.Count == 0)
                {
                    ips.Add(ip.GetAddressBytes());
                }
            }
            else if (dns.Count == 0 && IsDnsName(cn.Replace('*', 'z')))
            {
                dns.Add(cn);
            }
        }
        return dns.All(d => AllowsDns(nc, d)) && ips.All(a => AllowsIp(nc, a));
    }

    private static bool AllowsDns(NameConstraintSet nc, string name)
    {
        if (nc.ExcludedDns.Any(subtree => Within(name, subtree)))
        {
            return false;
        }
        return nc.PermittedDns.Count == 0 || nc.PermittedDns.Any(subtree => Within(name, subtree));
    }

    /// <summary>DNSName.constrains giving NAME_MATCH or NAME_NARROWS: equal, or the name ends with the subtree at a label boundary.</summary>
    private static bool Within(string name, string subtree)
    {
        name = name.ToLowerInvariant();
        subtree = subtree.ToLowerInvariant();
        if (name == subtree)
        {
            return true;
        }
        if (subtree.Length == 0 || !name.EndsWith(subtree, StringComparison.Ordinal) || name.Length == subtree.Length)
        {
            return false;
        }
        return name[name.Length - subtree.Length - 1] == '.' ^ subtree[0] == '.';
    }

    private static bool AllowsIp(NameConstraintSet nc, byte[] address)
    {
        if (nc.ExcludedIp.Any(s => InSubnet(address, s)))
        {
            return false;
        }
        // IPAddressName.constrains: a subtree of either family is the same name type, so any permitted IP subtree
        // that does not hold the address (an IPv6 one included) counts against it.
        return nc.PermittedIp.Count == 0 || nc.PermittedIp.Any(s => InSubnet(address, s));
    }

    private static bool InSubnet(byte[] address, (byte[] Address, byte[] Mask) subnet)
    {
        if (subnet.Address.Length != address.Length)
        {
            return false;
        }
        for (var i = 0; i < address.Length; i++)
        {
            if ((address[i] & subnet.Mask[i]) != (subnet.Address[i] & subnet.Mask[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>sun.security.x509.DNSName's syntax check: labels of letters, digits and hyphens, not starting or ending with a hyphen.</summary>
    private static bool IsDnsName(string name)
    {
        if (name.Length == 0 || name.StartsWith('.') || name.EndsWith('.'))
        {
            return false;
        }
        foreach (var label in name.Split('.'))
        {
            if (label.Length == 0 || label[0] == '-' || label[^1] == '-' || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }
        return true;
    }
}
