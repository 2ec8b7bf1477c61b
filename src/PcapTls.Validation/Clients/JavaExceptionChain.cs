using System.Globalization;

namespace PcapTls.Validation;

/// <summary>
/// The exception a JSSE client throws and every "Caused by:" below it, as "class: message" lines, outermost first
/// (what a Message Processor's log shows). Built from the JDK's own throw sites:
/// X509TrustManagerImpl / PKIXValidator wrap the PKIX exception in a ValidatorException whose text is
/// "PKIX path building failed: " or "PKIX path validation failed: " plus the exception's toString();
/// PKIXMasterCertPathValidator rethrows a checker's CertPathValidatorException as a new one caused by the
/// checker's cause, or by the checker's exception itself when it had none; BasicChecker's validity and signature
/// checks carry CertificateExpiredException / CertificateNotYetValidException ("NotAfter: " + Date.toString()) and
/// X509CertImpl's SignatureException; HostnameChecker and the EndEntityChecker throw without a cause;
/// TransportContext.fatal wraps it all in the SSLHandshakeException whose text <see cref="ClientMessages.JavaMessage"/> gives.
/// </summary>
internal static class JavaExceptionChain
{
    private const string Handshake = "javax.net.ssl.SSLHandshakeException";
    private const string Validator = "sun.security.validator.ValidatorException";
    private const string PathValidator = "java.security.cert.CertPathValidatorException";
    private const string PathBuilder = "sun.security.provider.certpath.SunCertPathBuilderException";

    /// <param name="outer">The outermost message (with the alert name when the release puts it there).</param>
    /// <param name="message">The message as the trust manager threw it.</param>
    public static IReadOnlyList<string> Predict(ClientFailure failure, string outer, string message, CertificateInfo? failedAt)
    {
        switch (failure)
        {
            case ClientFailure.None:
                return [];
            case ClientFailure.EmptyAnchors:
                // PKIXParameters(Set) throws; SSLContextImpl's trust manager wraps it in a RuntimeException.
                var inner = message["Unexpected error: java.security.InvalidAlgorithmParameterException: ".Length..];
                return [$"javax.net.ssl.SSLException: {outer}", $"java.lang.RuntimeException: {message}", $"java.security.InvalidAlgorithmParameterException: {inner}"];
            case ClientFailure.ChainTooLong:
                return [$"javax.net.ssl.SSLProtocolException: {outer}"];
            case ClientFailure.HostName:
                return [$"{Handshake}: {outer}", $"java.security.cert.CertificateException: {message}"];
            case ClientFailure.ExtendedKeyUsage or ClientFailure.EndEntityKeyUsage:
                return [$"{Handshake}: {outer}", $"{Validator}: {message}"];
            case ClientFailure.EmptyChain or ClientFailure.Unparsable:
                return [$"{Handshake}: {outer}"];
        }
        if (message == ClientMessages.JavaNoPath)
        {
            return [$"{Handshake}: {outer}", $"{Validator}: {message}", $"{PathBuilder}: unable to find valid certification path to requested target"];
        }
        var reason = message.StartsWith(ClientMessages.JavaValidationPrefix, StringComparison.Ordinal) ? message[ClientMessages.JavaValidationPrefix.Length..] : message;
        var chain = new List<string> { $"{Handshake}: {outer}", $"{Validator}: {message}", $"{PathValidator}: {reason}" };
        switch (failure)
        {
            case ClientFailure.Expired when failedAt is not null:
                chain.Add($"java.security.cert.CertificateExpiredException: NotAfter: {JavaDate(failedAt.NotAfter)}");
                break;
            case ClientFailure.NotYetValid when failedAt is not null:
                chain.Add($"java.security.cert.CertificateNotYetValidException: NotBefore: {JavaDate(failedAt.NotBefore)}");
                break;
            case ClientFailure.Signature:
                chain.Add("java.security.SignatureException: Signature does not match.");
                break;
            // Thrown by PKIXCertPathValidator (no anchor fits) or by the master validator itself (critical
            // extensions): no checker exception to wrap.
            case ClientFailure.NoPath when reason == ClientMessages.JavaNoTrustAnchor:
            case ClientFailure.CriticalExtension:
                break;
            default:
                chain.Add($"{PathValidator}: {reason}");
                break;
        }
        return chain;
    }

    /// <summary>java.util.Date.toString() ("EEE MMM dd HH:mm:ss zzz yyyy") in a JVM whose time zone is UTC.</summary>
    public static string JavaDate(DateTimeOffset at) =>
        at.UtcDateTime.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);
}
