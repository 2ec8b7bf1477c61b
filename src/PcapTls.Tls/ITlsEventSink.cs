namespace PcapTls.Tls;

/// <summary>Where in the capture a TLS record or message was completed (the packet holding its last byte).</summary>
public readonly record struct TlsPosition(long PacketNumber, long TimestampNanos);

/// <summary>
/// Typed events from a connection's TLS decoder (as Zeek's SSL analyzer raises events). "Side" is 0 or 1, the
/// index the caller fed the bytes under; which side is the client is learned from the ClientHello.
/// Objects handed out are immutable and may be kept; spans are valid only during the call.
/// <para>Conventions (see <see cref="TlsConnectionDecoder"/>): OnRecord comes first for every record; for each
/// handshake message OnHandshakeMessage comes before the typed event (OnClientHello, OnCertificate, ...).
/// A TLS &lt;= 1.2 Finished (the first handshake record after the sender's ChangeCipherSpec) is reported as
/// OnEncryptedRecord(side, Handshake, recordLength) then OnHandshakeMessage(side, Finished, recordLength,
/// decrypted: false). TLS 1.3 protected records not opened are OnEncryptedRecord(side, ApplicationData, length)
/// only; opened ones raise the events of their content (decrypted: true, alerts with Encrypted: true) and no
/// OnEncryptedRecord. TLS &lt;= 1.2 application data is OnApplicationData.</para>
/// </summary>
public interface ITlsEventSink
{
    /// <summary>Every record header seen (plaintext or not); record sizes matter when the content is hidden.</summary>
    void OnRecord(int side, TlsContentType type, ushort version, int length, TlsPosition position);

    void OnClientHello(int side, ClientHelloInfo hello, TlsPosition position);

    void OnServerHello(int side, ServerHelloInfo hello, TlsPosition position);

    void OnCertificate(int side, CertificateMessage message, TlsPosition position);

    void OnCertificateRequest(int side, CertificateRequestInfo request, TlsPosition position);

    /// <summary>Every handshake message, including those above; decrypted is true when it came from a TLS 1.3
    /// record opened with a key log.</summary>
    void OnHandshakeMessage(int side, TlsHandshakeType type, int length, bool decrypted, TlsPosition position);

    void OnChangeCipherSpec(int side, TlsPosition position);

    /// <summary>An encrypted record whose content type is unknown (TLS 1.3 without keys) or a TLS 1.2 Finished.</summary>
    void OnEncryptedRecord(int side, TlsContentType outerType, int length, TlsPosition position);

    void OnAlert(int side, TlsAlert alert, TlsPosition position);

    void OnApplicationData(int side, int length, TlsPosition position);

    /// <summary>The side's first bytes are not TLS (e.g. plain HTTP); the decoder stops on that side.</summary>
    void OnNotTls(int side, string firstBytesPreview, TlsPosition position);

    void OnAnomaly(int side, TlsAnomaly anomaly);

    /// <summary>TLS begins on this side after a plaintext preamble: a proxy handshake (HTTP CONNECT, SOCKS), an
    /// upgrade (STARTTLS and its relatives), or plaintext no recogniser knew (Protocol null). Optional to handle.</summary>
    void OnStartTls(int side, Preambles.TlsPreamble preamble, TlsPosition position)
    {
    }

    /// <summary>The current record carries fragment <paramref name="index"/> (from 1) of a handshake message of
    /// <paramref name="messageLength"/> bytes spread over several records. Until the message is complete,
    /// <paramref name="count"/> is an estimate (the rest at this record's size); the record completing it reports
    /// index == count, exact, just before OnHandshakeMessage. Optional to handle.</summary>
    void OnHandshakeFragment(int side, TlsHandshakeType type, int messageLength, int index, int count, TlsPosition position)
    {
    }

    /// <summary>The server side's plaintext refused the tunnel or the upgrade (refusal: its status line or reply
    /// code, quoted); raised instead of OnNotTls for that side. Optional to handle (the default reports not TLS).</summary>
    /// target: the tunnel's target as the client's request named it, when it did.
    void OnPreambleRefused(int side, string protocol, string refusal, Preambles.PreambleTarget? target, TlsPosition position)
        => OnNotTls(side, refusal, position);
}
