using System.Xml;
using System.Xml.Linq;

namespace PcapTls.Analysis;

/// <summary>
/// What an Apigee Edge TargetEndpoint definition says about the backend TLS connection: the host the Message
/// Processor connects to (from &lt;URL&gt;) and the &lt;SSLInfo&gt; settings that decide whether it validates.
/// </summary>
public sealed record TargetEndpoint(
    string File,
    string? Url,
    string? Host,
    bool SslEnabled,
    string? TrustStoreReference,
    bool IgnoreValidationErrors,
    bool ClientAuthEnabled,
    string? KeyStoreReference,
    string? KeyAlias)
{
    /// <summary>Edge validates the backend's chain only when SSLInfo names a truststore and does not ignore errors.</summary>
    public bool ValidatesChain => SslEnabled && TrustStoreReference is not null && !IgnoreValidationErrors;

    public static TargetEndpoint Load(string path)
    {
        XDocument doc;
        try
        {
            doc = XDocument.Load(path, LoadOptions.None);
        }
        catch (XmlException e)
        {
            throw new FormatException($"{path}: not a well-formed TargetEndpoint XML ({e.Message})", e);
        }
        var root = doc.Root ?? throw new FormatException($"{path}: empty XML document");
        if (root.Name.LocalName != "TargetEndpoint")
        {
            throw new FormatException($"{path}: the root element is <{root.Name.LocalName}>, expected <TargetEndpoint>");
        }
        var http = root.Element("HTTPTargetConnection");
        var url = http?.Element("URL")?.Value.Trim();
        string? host = null;
        if (!string.IsNullOrEmpty(url) && Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            host = uri.IdnHost;
        }
        var ssl = http?.Element("SSLInfo");
        static bool Flag(XElement? e) => string.Equals(e?.Value.Trim(), "true", StringComparison.OrdinalIgnoreCase);
        var enabled = ssl is not null && (Flag(ssl.Element("Enabled")) || (url?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) ?? false));
        return new TargetEndpoint(
            path,
            url,
            host,
            enabled,
            NullIfEmpty(ssl?.Element("TrustStore")?.Value),
            Flag(ssl?.Element("IgnoreValidationErrors")),
            Flag(ssl?.Element("ClientAuthEnabled")),
            NullIfEmpty(ssl?.Element("KeyStore")?.Value),
            NullIfEmpty(ssl?.Element("KeyAlias")?.Value));
    }

    public string Describe()
    {
        var validation = !SslEnabled
            ? "SSLInfo does not enable TLS"
            : TrustStoreReference is null
                ? "SSLInfo names no <TrustStore>: the Message Processor does not validate the backend's chain"
                : IgnoreValidationErrors
                    ? $"<TrustStore> {TrustStoreReference}, but <IgnoreValidationErrors> is true: validation errors are ignored"
                    : $"<TrustStore> {TrustStoreReference}: the Message Processor validates the backend's chain against it";
        return $"target endpoint {Path.GetFileName(File)}: URL {Url ?? "(none)"}; {validation}";
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
