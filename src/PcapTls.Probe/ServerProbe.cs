using System.Net;
using System.Net.Sockets;
using System.Text;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace PcapTls.Probe;

/// <summary>Which protocol versions the probe offers.</summary>
public enum TlsVersionChoice
{
    /// <summary>TLS 1.3 and 1.2, as a current client offers them.</summary>
    Any,
    Tls12,
    Tls13,
}

/// <summary>What a server sent before the probe hung up.</summary>
public sealed record ProbeResult
{
    /// <summary>The DER certificates of the server's Certificate message, in the order sent, nothing added,
    /// removed or reordered. Empty when the handshake failed before it.</summary>
    public IReadOnlyList<byte[]> ServerCertificates { get; init; } = [];

    /// <summary>"TLS 1.2", "TLS 1.3", ... as the ServerHello chose; empty when no ServerHello arrived.</summary>
    public string NegotiatedVersion { get; init; } = "";

    /// <summary>The cipher suite the ServerHello chose (wire value), or null.</summary>
    public int? CipherSuite { get; init; }

    /// <summary>An alert the server sent, e.g. "handshake_failure(40)".</summary>
    public string? Alert { get; init; }

    /// <summary>Why the probe did not get the chain (connection refused, timeout, alert, protocol error);
    /// null when it did.</summary>
    public string? Error { get; init; }

    /// <summary>True when the server sent a CertificateRequest (it wants a client certificate).</summary>
    public bool CertificateRequested { get; init; }
}

/// <summary>
/// Connects to a server like a TLS client, records the certificate chain it sends and hangs up before the
/// handshake completes: the probe never finishes a handshake, so nothing is ever trusted or sent to the
/// server beyond a ClientHello (and, in TLS 1.2 only, nothing past the server's ServerHelloDone). Uses
/// BouncyCastle's TLS client because it exposes the Certificate message as sent.
/// </summary>
public static class ServerProbe
{
    public static async Task<ProbeResult> ProbeAsync(string host, int port, string? sni, TlsVersionChoice versions, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProbeResult { Error = $"connect to {host}:{port} timed out after {timeout.TotalSeconds:0.#} s" };
        }
        catch (SocketException e)
        {
            return new ProbeResult { Error = $"connect to {host}:{port} failed: {e.SocketErrorCode}" };
        }

        var client = new ProbeClient(new BcTlsCrypto(new SecureRandom()), sni ?? DefaultSni(host), versions);
        var protocol = new ProbeProtocol(tcp.GetStream());
        client.Protocol = protocol;

        // BouncyCastle's blocking handshake cannot be cancelled; closing the socket unblocks it.
        using var closeOnCancel = deadline.Token.Register(tcp.Dispose);
        string? error = null;
        try
        {
            await Task.Run(() => protocol.Connect(client), CancellationToken.None).ConfigureAwait(false);
            error = "the handshake completed, which the probe never allows";
        }
        catch (Exception e) when (e is IOException or TlsException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            if (!client.Aborted)
            {
                error = deadline.IsCancellationRequested
                    ? (cancellationToken.IsCancellationRequested ? "cancelled" : $"no answer within {timeout.TotalSeconds:0.#} s")
                    : Describe(e, client);
            }
        }
        finally
        {
            try
            {
                protocol.Close();
            }
            catch (IOException)
            {
                // Already closed by the abort or by the server.
            }
        }
        cancellationToken.ThrowIfCancellationRequested();

        return new ProbeResult
        {
            ServerCertificates = client.Certificates,
            NegotiatedVersion = client.ServerVersion is { } v ? Name(v) : "",
            CipherSuite = client.SelectedCipherSuite,
            Alert = client.AlertReceived,
            Error = error,
            CertificateRequested = client.CertificateRequested,
        };
    }

    // Clients send no SNI for an IP address literal (RFC 6066 section 3).
    private static string? DefaultSni(string host) => IPAddress.TryParse(host, out _) ? null : host;

    private static string Name(ProtocolVersion version) =>
        version.IsTls ? $"TLS 1.{version.MinorVersion - 1}" : version.ToString();

    private static string Describe(Exception e, ProbeClient client)
    {
        if (client.AlertReceived is { } alert)
        {
            return $"the server sent alert {alert}";
        }
        var inner = e;
        while (inner.InnerException is not null && inner is not TlsFatalAlert)
        {
            inner = inner.InnerException;
        }
        return inner is TlsFatalAlert fatal
            ? $"TLS error: {AlertDescription.GetText(fatal.AlertDescription)}{(fatal.InnerException is { } cause ? ": " + cause.Message : "")}"
            : $"{inner.GetType().Name}: {inner.Message}";
    }

    /// <summary>Exposes whether a CertificateRequest arrived (BouncyCastle keeps it in a protected field).</summary>
    private sealed class ProbeProtocol(Stream stream) : TlsClientProtocol(stream)
    {
        public bool CertificateRequestReceived => m_certificateRequest is not null;
    }

    private static readonly int[] OfferedCipherSuites =
    [
        CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_AES_128_CCM_SHA256, CipherSuite.TLS_AES_128_CCM_8_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CCM,
        CipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA256, CipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
        CipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA, CipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
        CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA256, CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256,
        CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA, CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA,
        CipherSuite.TLS_RSA_WITH_AES_128_CCM, CipherSuite.TLS_RSA_WITH_AES_256_CCM,
        CipherSuite.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, CipherSuite.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    ];

    private sealed class ProbeClient(TlsCrypto crypto, string? sni, TlsVersionChoice versions) : DefaultTlsClient(crypto)
    {
        public ProbeProtocol? Protocol { get; set; }
        public List<byte[]> Certificates { get; } = [];
        public ProtocolVersion? ServerVersion { get; private set; }
        public int? SelectedCipherSuite { get; private set; }
        public string? AlertReceived { get; private set; }
        public bool CertificateRequested { get; private set; }

        /// <summary>Set just before the probe throws to hang up; the exception that follows is not an error.</summary>
        public bool Aborted { get; private set; }

        protected override ProtocolVersion[] GetSupportedVersions() => versions switch
        {
            TlsVersionChoice.Tls12 => ProtocolVersion.TLSv12.Only(),
            TlsVersionChoice.Tls13 => ProtocolVersion.TLSv13.Only(),
            _ => ProtocolVersion.TLSv13.DownTo(ProtocolVersion.TLSv12),
        };

        // Any suite will do: the probe never gets to use it. Offering all that BouncyCastle implements
        // (CBC, CCM, RSA key exchange, 3DES) reaches the Certificate of old and picky servers alike.
        protected override int[] GetSupportedCipherSuites() => TlsUtilities.GetSupportedCipherSuites(Crypto, OfferedCipherSuites);

        protected override IList<ServerName>? GetSniServerNames() =>
            sni is null ? null : [new ServerName(NameType.host_name, Encoding.ASCII.GetBytes(sni))];

        public override void NotifyServerVersion(ProtocolVersion serverVersion)
        {
            base.NotifyServerVersion(serverVersion);
            ServerVersion = serverVersion;
        }

        public override void NotifySelectedCipherSuite(int selectedCipherSuite)
        {
            base.NotifySelectedCipherSuite(selectedCipherSuite);
            SelectedCipherSuite = selectedCipherSuite;
        }

        public override void NotifyAlertReceived(short alertLevel, short alertDescription)
        {
            base.NotifyAlertReceived(alertLevel, alertDescription);
            AlertReceived ??= AlertDescription.GetText(alertDescription);
        }

        public override TlsAuthentication GetAuthentication() => new ChainRecorder(this);

        // TLS 1.2: called after ServerHelloDone, before the client sends anything; the last point at which
        // a CertificateRequest (which follows the Certificate in 1.2) is known and nothing is committed.
        public override IList<SupplementalDataEntry>? GetClientSupplementalData() => throw HangUp();

        internal TlsFatalAlert HangUp()
        {
            CertificateRequested = Protocol?.CertificateRequestReceived ?? false;
            Aborted = true;
            return new TlsFatalAlert(AlertDescription.user_canceled);
        }

        internal void Record(TlsServerCertificate serverCertificate)
        {
            var chain = serverCertificate.Certificate;
            for (var i = 0; i < chain.Length; i++)
            {
                Certificates.Add(chain.GetCertificateAt(i).GetEncoded());
            }
        }

        internal bool IsTls13 => ServerVersion is { } v && TlsUtilities.IsTlsV13(v);
    }

    private sealed class ChainRecorder(ProbeClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
        {
            client.Record(serverCertificate);
            // TLS 1.3: the CertificateRequest, if any, came before the Certificate, so everything is known.
            // TLS 1.2: continue to ServerHelloDone (GetClientSupplementalData) to see a CertificateRequest.
            if (client.IsTls13)
            {
                throw client.HangUp();
            }
        }

        public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) => throw client.HangUp();
    }
}
