namespace PcapTls.Validation;

/// <summary>
/// The words of the two client-certificate causes, shared by the capture analysis (which sees the server's alert
/// in the capture) and the probe (which provokes it): one cause code, one summary, one fix, whoever finds it.
/// </summary>
public static class ClientAuthenticationTexts
{
    public const string MissingSummary = "The server requires a client certificate and the client sent none";

    public const string MissingFix = "Give the client a key and certificate issued by a CA the server trusts (Apigee: <SSLInfo><ClientAuthEnabled>true</ClientAuthEnabled> with <KeyStore> and <KeyAlias>).";

    public const string RejectedSummary = "The server rejected the client's certificate";

    public const string RejectedFix = "Present a client certificate issued by a CA in the server's client-CA list, or add the client certificate's issuer to the server's trusted client CAs.";
}
