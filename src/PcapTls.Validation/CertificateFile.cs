using System.Text;

namespace PcapTls.Validation;

/// <summary>
/// Reads certificates from what users paste or save: a PEM file or bundle, a single DER certificate, or the output of
/// `openssl s_client -showcerts` (PEM blocks with text around them). Order is kept: it is the order the server sent.
/// </summary>
public static class CertificateFile
{
    /// <summary>A PEM file larger than this is not a chain or a truststore anyone would paste; refuse it.</summary>
    public const int MaxFileBytes = 64 * 1024 * 1024;

    private const string Begin = "-----BEGIN ";
    private const string End = "-----END ";
    private const string Dashes = "-----";

    /// <summary>Certificates in the content, in order: PEM blocks (CERTIFICATE, TRUSTED CERTIFICATE, X509 CERTIFICATE), or one DER certificate.</summary>
    public static IReadOnlyList<CertificateInfo> Read(byte[] content)
    {
        var blocks = PemBlocks(content);
        if (blocks.Count > 0)
        {
            return blocks.Where(b => b.Label.EndsWith("CERTIFICATE", StringComparison.Ordinal)).Select(b => CertificateInfo.Parse(b.Der)).ToList();
        }
        if (content.Length > 0 && content[0] == 0x30)
        {
            var single = CertificateInfo.Parse(content);
            return single.IsParsed ? [single] : [];
        }
        return [];
    }

    /// <summary>Every PEM block as (label, DER). A block whose base64 is broken is skipped.</summary>
    public static IReadOnlyList<(string Label, byte[] Der)> PemBlocks(byte[] content)
    {
        var result = new List<(string, byte[])>();
        if (content.Length == 0 || content[0] == 0x30 && !LooksLikeText(content))
        {
            return result;
        }
        var text = Encoding.Latin1.GetString(content);
        var pos = 0;
        while (true)
        {
            var b = text.IndexOf(Begin, pos, StringComparison.Ordinal);
            if (b < 0)
            {
                break;
            }
            var labelEnd = text.IndexOf(Dashes, b + Begin.Length, StringComparison.Ordinal);
            if (labelEnd < 0)
            {
                break;
            }
            var label = text[(b + Begin.Length)..labelEnd];
            var endMarker = End + label + Dashes;
            // From after the label's dashes: "-----BEGIN -----END -----" must not find its END inside them.
            var e = text.IndexOf(endMarker, labelEnd + Dashes.Length, StringComparison.Ordinal);
            if (e < 0)
            {
                break;
            }
            var body = text[(labelEnd + Dashes.Length)..e];
            // Encrypted PEM keys carry "Proc-Type:" headers; only the base64 lines count.
            var base64 = new StringBuilder(body.Length);
            foreach (var line in body.Split('\n'))
            {
                var l = line.Trim();
                if (l.Length > 0 && !l.Contains(':', StringComparison.Ordinal))
                {
                    base64.Append(l);
                }
            }
            try
            {
                result.Add((label, Convert.FromBase64String(base64.ToString())));
            }
            catch (FormatException)
            {
                // Not base64: not a usable block, keep looking for the next one.
            }
            pos = e + endMarker.Length;
        }
        return result;
    }

    private static bool LooksLikeText(byte[] content)
    {
        var n = Math.Min(content.Length, 512);
        for (var i = 0; i < n; i++)
        {
            if (content[i] is < 0x09 or (> 0x0d and < 0x20) && content[i] != 0x1b)
            {
                return false;
            }
        }
        return true;
    }
}
