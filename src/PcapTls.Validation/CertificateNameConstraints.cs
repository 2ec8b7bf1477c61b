using System.Net;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;

namespace PcapTls.Validation;

/// <summary>The DNS and IP subtrees of a nameConstraints extension (RFC 5280 4.2.1.10); other name forms are kept
/// only as a count, so a check can say it did not evaluate them.</summary>
public sealed record NameConstraintSet(
    IReadOnlyList<string> PermittedDns, IReadOnlyList<string> ExcludedDns,
    IReadOnlyList<(byte[] Address, byte[] Mask)> PermittedIp, IReadOnlyList<(byte[] Address, byte[] Mask)> ExcludedIp,
    int OtherForms);

public sealed partial class CertificateInfo
{
    /// <summary>The OIDs of the extensions marked critical, sorted.</summary>
    public IReadOnlyList<string> CriticalExtensionOids { get; private set; } = [];

    /// <summary>The certificate's name constraints, or null when it has none.</summary>
    public NameConstraintSet? NameConstraints { get; private set; }

    private void ReadNameConstraints(X509Certificate bc)
    {
        try
        {
            if (Extension(bc, X509Extensions.NameConstraints) is not { } ext)
            {
                return;
            }
            var nc = Org.BouncyCastle.Asn1.X509.NameConstraints.GetInstance(ext);
            var permittedDns = new List<string>();
            var excludedDns = new List<string>();
            var permittedIp = new List<(byte[], byte[])>();
            var excludedIp = new List<(byte[], byte[])>();
            var other = 0;
            void Read(IEnumerable<GeneralSubtree>? subtrees, List<string> dns, List<(byte[], byte[])> ip)
            {
                foreach (var entry in subtrees ?? [])
                {
                    var name = entry.Base;
                    if (name.TagNo == GeneralName.DnsName)
                    {
                        dns.Add(DerIA5String.GetInstance(name.Name).GetString());
                    }
                    else if (name.TagNo == GeneralName.IPAddress && Asn1OctetString.GetInstance(name.Name).GetOctets() is { Length: 8 or 32 } octets)
                    {
                        ip.Add((octets[..(octets.Length / 2)], octets[(octets.Length / 2)..]));
                    }
                    else
                    {
                        other++;
                    }
                }
            }
            Read(Subtrees(nc.PermittedSubtreesValue), permittedDns, permittedIp);
            Read(Subtrees(nc.ExcludedSubtreesValue), excludedDns, excludedIp);
            NameConstraints = new NameConstraintSet(permittedDns, excludedDns, permittedIp, excludedIp, other);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A malformed extension is left out; Java would refuse to parse the certificate at all.
        }
    }

    private static IEnumerable<GeneralSubtree> Subtrees(Asn1Encodable? subtrees) =>
        subtrees?.ToAsn1Object() is Asn1Sequence seq ? seq.OfType<Asn1Encodable>().Select(GeneralSubtree.GetInstance) : [];

    /// <summary>The IP addresses of the IP SANs, as bytes (for name constraints).</summary>
    internal IEnumerable<byte[]> IpAddressBytes => IpAddresses.Select(a => IPAddress.TryParse(a, out var ip) ? ip.GetAddressBytes() : []).Where(b => b.Length > 0);
}
