using System.Globalization;
using PcapTls.Tls;
using PcapTls.Tls.Preambles;

namespace PcapTls.Tls.Tests;

/// <summary>Keeps every event, both typed and as one line of text, so tests can assert order and content.</summary>
internal sealed class RecordingSink : ITlsEventSink
{
    public List<string> Lines { get; } = [];
    public List<(int Side, ClientHelloInfo Hello)> ClientHellos { get; } = [];
    public List<(int Side, ServerHelloInfo Hello)> ServerHellos { get; } = [];
    public List<(int Side, CertificateMessage Message, bool Decrypted)> Certificates { get; } = [];
    public List<(int Side, CertificateRequestInfo Request)> CertificateRequests { get; } = [];
    public List<(int Side, TlsAlert Alert, long Packet)> Alerts { get; } = [];
    public List<(int Side, TlsAnomaly Anomaly)> Anomalies { get; } = [];
    public List<(int Side, TlsHandshakeType Type, int Length, bool Decrypted)> Messages { get; } = [];
    public List<(int Side, TlsContentType Type, int Length)> Records { get; } = [];
    public List<(int Side, string Preview)> NotTls { get; } = [];
    public List<(int Side, TlsPreamble Preamble)> Preambles { get; } = [];
    public List<(int Side, string Protocol, string Refusal, long Packet)> Refusals { get; } = [];
    public List<PreambleTarget?> RefusedTargets { get; } = [];
    public List<(int Side, string? Protocol, long Bytes)> StartTls { get; } = [];

    /// <summary>OnHandshakeFragment events (kept out of <see cref="Lines"/>, whose expected texts predate it).</summary>
    public List<(int Side, TlsHandshakeType Type, int Length, int Index, int Count)> Fragments { get; } = [];

    public void OnHandshakeFragment(int side, TlsHandshakeType type, int messageLength, int index, int count, TlsPosition position)
        => Fragments.Add((side, type, messageLength, index, count));

    private bool lastMessageDecrypted;

    /// <summary>Called from OnServerHello, as the analysis layer installs a decryptor there (during the Feed).</summary>
    public Action<ServerHelloInfo>? ServerHelloHook { get; set; }

    public void OnRecord(int side, TlsContentType type, ushort version, int length, TlsPosition position)
    {
        Records.Add((side, type, length));
        Lines.Add($"{side} record {TlsNames.ContentType(type)} {TlsNames.Version(version)} {length}");
    }

    public void OnClientHello(int side, ClientHelloInfo hello, TlsPosition position)
    {
        ClientHellos.Add((side, hello));
        Lines.Add($"{side} client_hello {TlsNames.Version(hello.MaxVersion)} sni={hello.ServerName}");
    }

    public void OnServerHello(int side, ServerHelloInfo hello, TlsPosition position)
    {
        ServerHellos.Add((side, hello));
        ServerHelloHook?.Invoke(hello);
        Lines.Add($"{side} server_hello {TlsNames.Version(hello.NegotiatedVersion)} {TlsNames.CipherSuite(hello.CipherSuite)}{(hello.IsHelloRetryRequest ? " hrr" : "")}");
    }

    public void OnCertificate(int side, CertificateMessage message, TlsPosition position)
    {
        Certificates.Add((side, message, lastMessageDecrypted));
        Lines.Add($"{side} certificates {message.Certificates.Count}");
    }

    public void OnCertificateRequest(int side, CertificateRequestInfo request, TlsPosition position)
    {
        CertificateRequests.Add((side, request));
        Lines.Add($"{side} certificate_request cas={request.CertificateAuthorities.Count}");
    }

    public void OnHandshakeMessage(int side, TlsHandshakeType type, int length, bool decrypted, TlsPosition position)
    {
        lastMessageDecrypted = decrypted;
        Messages.Add((side, type, length, decrypted));
        Lines.Add($"{side} message {TlsNames.HandshakeType(type)} {length}{(decrypted ? " decrypted" : "")}");
    }

    public void OnChangeCipherSpec(int side, TlsPosition position) => Lines.Add($"{side} ccs");

    public void OnEncryptedRecord(int side, TlsContentType outerType, int length, TlsPosition position)
        => Lines.Add($"{side} encrypted {TlsNames.ContentType(outerType)} {length}");

    public void OnAlert(int side, TlsAlert alert, TlsPosition position)
    {
        Alerts.Add((side, alert, position.PacketNumber));
        var text = alert.Description is { } d ? $"{TlsNames.AlertLevel(alert.Level!.Value)} {TlsNames.AlertDescription(d)}" : "?";
        Lines.Add($"{side} alert {text}{(alert.Encrypted ? " encrypted" : "")}");
    }

    public void OnApplicationData(int side, int length, TlsPosition position)
        => Lines.Add($"{side} application_data {length}");

    public void OnNotTls(int side, string firstBytesPreview, TlsPosition position)
    {
        NotTls.Add((side, firstBytesPreview));
        Lines.Add($"{side} not_tls {firstBytesPreview}");
    }

    public void OnAnomaly(int side, TlsAnomaly anomaly)
    {
        Anomalies.Add((side, anomaly));
        Lines.Add($"{side} anomaly {anomaly.Kind} {anomaly.Detail}");
    }

    public void OnStartTls(int side, TlsPreamble preamble, TlsPosition position)
    {
        StartTls.Add((side, preamble.Protocol, preamble.Length));
        Preambles.Add((side, preamble));
        Lines.Add($"{side} starttls {preamble.Protocol ?? "unrecognised"} {preamble.Length.ToString(CultureInfo.InvariantCulture)}");
    }

    public void OnPreambleRefused(int side, string protocol, string refusal, PreambleTarget? target, TlsPosition position)
    {
        Refusals.Add((side, protocol, refusal, position.PacketNumber));
        RefusedTargets.Add(target);
        Lines.Add($"{side} refused {protocol} {refusal}");
    }

    /// <summary>The events without the OnRecord lines (they depend on segmentation only through order).</summary>
    public IEnumerable<string> Events => Lines.Where(l => !l.Contains(" record ", StringComparison.Ordinal));
}
