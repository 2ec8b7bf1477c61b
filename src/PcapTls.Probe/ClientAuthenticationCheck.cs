using System.Net.Sockets;
using System.Text;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace PcapTls.Probe;

/// <summary>What the client-authentication check concluded about the server's CertificateRequest.</summary>
public enum ClientAuthenticationStatus
{
    /// <summary>No client certificate was sent and the server refused the handshake: a certificate is required.</summary>
    Required,
    /// <summary>No client certificate was sent and the server went on: the certificate is optional.</summary>
    Optional,
    /// <summary>The given client certificate was sent and the server went on.</summary>
    Accepted,
    /// <summary>The given client certificate was sent and the server refused it.</summary>
    Rejected,
    /// <summary>The check could not conclude: no connection, another chain than the first connection's, an alert
    /// that is not about client authentication, a timeout before the server's Finished, ...</summary>
    Inconclusive,
}

/// <summary>What the second, client-authentication connection saw.</summary>
public sealed record ClientAuthenticationResult
{
    public ClientAuthenticationStatus Status { get; init; }

    /// <summary>True when the check presented a certificate (<see cref="ClientCredentials"/> were given); false for an
    /// empty Certificate message.</summary>
    public bool CertificateSent { get; init; }

    /// <summary>The certificate presented, or null.</summary>
    public ClientCredentials? Credentials { get; init; }

    /// <summary>"TLS 1.2", "TLS 1.3" as the second ServerHello chose; empty when none arrived.</summary>
    public string NegotiatedVersion { get; init; } = "";

    /// <summary>True when the client's side of the handshake finished: its Finished sent (TLS 1.3) or the server's
    /// Finished received (TLS 1.2).</summary>
    public bool HandshakeCompleted { get; init; }

    /// <summary>True when the client's Certificate (empty or not) was sent, so what follows is the server's answer to it.</summary>
    public bool ClientFlightSent { get; init; }

    /// <summary>The alert the server sent (wire value of its description), or null.</summary>
    public byte? AlertDescriptionWire { get; init; }

    /// <summary>The alert's name and value, e.g. "certificate_required(116)".</summary>
    public string? Alert { get; init; }

    /// <summary>True when the server closed the connection (FIN, RST or close_notify) without an alert.</summary>
    public bool ServerClosed { get; init; }

    /// <summary>True when a TLS 1.3 server sent a NewSessionTicket after the client's Finished (it accepted the client's flight).</summary>
    public bool TicketReceived { get; init; }

    /// <summary>The certificate_authorities of the server's CertificateRequest (the client CAs it accepts), RFC 2253 order.</summary>
    public IReadOnlyList<string> AcceptedIssuers { get; init; } = [];

    /// <summary>Why the check is inconclusive, or null.</summary>
    public string? Error { get; init; }

    /// <summary>How long a TLS 1.3 check waited after its Finished for the server's verdict.</summary>
    public TimeSpan ServerVerdictWait { get; init; }

    /// <summary>"required", "optional", "accepted", "rejected", "inconclusive".</summary>
    public string StatusCode => Status.ToString().ToLowerInvariant();
}

/// <summary>
/// The explicit client-authentication check: after the first probe saw a CertificateRequest and the validation core
/// judged the server's chain acceptable, a second connection completes the handshake as the client would (an empty
/// Certificate message, or the given client certificate) and records how the server answers. The server's chain is
/// never judged by BouncyCastle: the check only goes on when it is byte for byte the chain already validated. It
/// never sends application data and closes with close_notify as soon as the server's answer is known.
/// </summary>
public static class ClientAuthenticationCheck
{
    /// <summary>How long to wait by default, after a TLS 1.3 client Finished, for the server's verdict on the
    /// client's flight (an alert, a close or a NewSessionTicket). The server answers within milliseconds; a server
    /// that sends no ticket is judged by its silence at the end of this wait.</summary>
    public static readonly TimeSpan DefaultServerVerdictWait = TimeSpan.FromSeconds(2);

    /// <summary>Alerts by which a server refuses a client's certificate (or the lack of one), RFC 8446 section 6.2
    /// and RFC 5246 section 7.2.2: handshake_failure (OpenSSL 1.2 without a certificate), no_certificate (SSL 3),
    /// bad_certificate, unsupported_certificate, certificate_revoked, certificate_expired, certificate_unknown,
    /// unknown_ca, access_denied, decrypt_error (a CertificateVerify the server could not verify), certificate_required.</summary>
    internal static readonly byte[] ClientAuthenticationAlerts = [40, 41, 42, 43, 44, 45, 46, 48, 49, 51, 116];

    /// <summary>Runs the check against the server of <paramref name="first"/>, which must hold a chain and a
    /// negotiated version; the same version, SNI and suites are offered again. <paramref name="serverVerdictWait"/>:
    /// see <see cref="DefaultServerVerdictWait"/> (capped by <paramref name="timeout"/>).</summary>
    public static async Task<ClientAuthenticationResult> RunAsync(string host, int port, string? sni, ProbeResult first, IReadOnlyList<int>? cipherSuites, ClientCredentials? credentials, TimeSpan timeout, TimeSpan serverVerdictWait, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentNullException.ThrowIfNull(first);
        if (first.ServerCertificates.Count == 0 || first.NegotiatedVersionWire is not { } version)
        {
            throw new ArgumentException("the first probe recorded no chain", nameof(first));
        }
        var wait = serverVerdictWait < timeout ? serverVerdictWait : timeout;
        var result = new ClientAuthenticationResult { CertificateSent = credentials is not null, Credentials = credentials, ServerVerdictWait = wait };

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var tcp = new TcpClient();
        var connect = await TcpConnect.BeforeDeadlineAsync(tcp, host, port, deadline.Token, cancellationToken).ConfigureAwait(false);
        switch (connect.Outcome)
        {
            case TcpConnectOutcome.TimedOut:
                return result with { Status = ClientAuthenticationStatus.Inconclusive, Error = $"the second connection to {host}:{port} timed out after {timeout.TotalSeconds:0.#} s" };
            case TcpConnectOutcome.Failed:
                return result with { Status = ClientAuthenticationStatus.Inconclusive, Error = $"the second connection to {host}:{port} failed: {connect.Error}" };
        }

        var crypto = new BcTlsCrypto(new SecureRandom());
        var client = new CheckClient(crypto, sni, version, cipherSuites?.ToArray(), first.ServerCertificates, credentials);
        var protocol = new CheckProtocol();
        var stream = tcp.GetStream();
        var buffer = new byte[ReadBufferSize];
        string? error = null;
        var closed = false;
        var timedOut = false;
        CancellationTokenSource? verdictWait = null;
        try
        {
            protocol.Connect(client);
            await SendAsync(protocol, stream, deadline.Token).ConfigureAwait(false);
            while (!protocol.IsClosed)
            {
                if (client.HandshakeCompleted && (!client.IsTls13 || protocol.TicketReceived))
                {
                    // TLS 1.2: the server's Finished came after it judged the client's Certificate.
                    // TLS 1.3: a ticket is only sent once the server accepted the client's flight.
                    break;
                }
                if (client.HandshakeCompleted && verdictWait is null)
                {
                    verdictWait = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                    verdictWait.CancelAfter(wait);
                }
                int n;
                try
                {
                    n = await stream.ReadAsync(buffer, (verdictWait ?? deadline).Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    timedOut = true;
                    break;
                }
                catch (IOException)
                {
                    // Reset by the server.
                    closed = true;
                    break;
                }
                if (n == 0)
                {
                    // Not told to BouncyCastle (CloseInput): it would only throw about the missing close_notify.
                    closed = true;
                    break;
                }
                protocol.OfferInput(buffer, 0, n);
                await SendAsync(protocol, stream, deadline.Token).ConfigureAwait(false);
            }
            closed |= protocol.IsClosed && client.AlertReceived is null;
        }
        catch (TlsFatalAlertReceived)
        {
            // Recorded by NotifyAlertReceived.
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The deadline passed while sending.
            timedOut = true;
        }
        catch (Exception e) when (e is TlsException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("the client authentication check was cancelled", e, cancellationToken);
            }
            if (client.AlertReceived is null && !client.ChainDiffers)
            {
                error = Describe(e);
            }
        }
        finally
        {
            verdictWait?.Dispose();
            await CloseAsync(protocol, stream).ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();

        result = result with
        {
            NegotiatedVersion = client.ServerVersion is { } v ? ServerProbe.Name(v) : "",
            HandshakeCompleted = client.HandshakeCompleted,
            ClientFlightSent = client.ClientFlightSent,
            AlertDescriptionWire = client.AlertDescriptionReceived,
            Alert = client.AlertReceived,
            ServerClosed = closed && client.AlertReceived is null,
            TicketReceived = protocol.TicketReceived,
            AcceptedIssuers = client.AcceptedIssuers,
        };
        return result with { Status = Judge(result, client, timedOut, error, timeout), Error = ErrorText(result, client, timedOut, error, timeout) };
    }

    private const int ReadBufferSize = 16 * 1024;

    private static ClientAuthenticationStatus Judge(ClientAuthenticationResult r, CheckClient client, bool timedOut, string? error, TimeSpan timeout)
    {
        if (ErrorText(r, client, timedOut, error, timeout) is not null)
        {
            return ClientAuthenticationStatus.Inconclusive;
        }
        var refused = r.AlertDescriptionWire is not null || r.ServerClosed;
        if (refused)
        {
            return r.CertificateSent ? ClientAuthenticationStatus.Rejected : ClientAuthenticationStatus.Required;
        }
        return r.CertificateSent ? ClientAuthenticationStatus.Accepted : ClientAuthenticationStatus.Optional;
    }

    /// <summary>Why the server's answer says nothing about client authentication, or null when it does.</summary>
    private static string? ErrorText(ClientAuthenticationResult r, CheckClient client, bool timedOut, string? error, TimeSpan timeout)
    {
        if (client.ChainDiffers)
        {
            return "the server sent another chain than on the first connection (a load balancer with several backends?); the check stopped before sending anything that depends on trusting it";
        }
        if (r.AlertDescriptionWire is { } alert)
        {
            if (!r.ClientFlightSent)
            {
                return $"the server sent alert {r.Alert} before the client's Certificate";
            }
            return ClientAuthenticationAlerts.Contains(alert) ? null : $"the server sent alert {r.Alert}, which is not about client authentication";
        }
        if (error is not null)
        {
            return error;
        }
        if (r.ServerClosed)
        {
            return r.ClientFlightSent ? null : "the server closed the connection before the client's Certificate";
        }
        if (timedOut && !r.HandshakeCompleted)
        {
            return r.ClientFlightSent ? $"no answer to the client's flight within {timeout.TotalSeconds:0.#} s"
                : $"the handshake did not reach the server's CertificateRequest within {timeout.TotalSeconds:0.#} s";
        }
        return r.HandshakeCompleted ? null : "the handshake stopped before the server's answer";
    }

    private static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null && inner is not TlsFatalAlert)
        {
            inner = inner.InnerException;
        }
        return inner is TlsFatalAlert fatal
            ? $"TLS error: {AlertDescription.GetText(fatal.AlertDescription)}{(fatal.InnerException is { } cause ? ": " + cause.Message : "")}"
            : $"{inner.GetType().Name}: {inner.Message}";
    }

    private static async Task SendAsync(TlsClientProtocol protocol, NetworkStream stream, CancellationToken cancellationToken)
    {
        var available = protocol.GetAvailableOutputBytes();
        if (available == 0)
        {
            return;
        }
        var output = new byte[available];
        var n = protocol.ReadOutput(output, 0, available);
        await stream.WriteAsync(output.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>close_notify (after a user_canceled alert when the handshake is not complete), then whatever
    /// BouncyCastle still has to send (its own fatal alert after an error).</summary>
    private static async Task CloseAsync(TlsClientProtocol protocol, NetworkStream stream)
    {
        try
        {
            if (!protocol.IsClosed)
            {
                protocol.Close();
            }
            using var sending = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await SendAsync(protocol, stream, sending.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TlsException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The server closed first; nothing more to say to it.
        }
    }

    /// <summary>Non-blocking protocol that notices a TLS 1.3 NewSessionTicket (BouncyCastle otherwise ignores it).</summary>
    private sealed class CheckProtocol : TlsClientProtocol
    {
        public bool TicketReceived { get; private set; }

        protected override void Receive13NewSessionTicket(MemoryStream buf)
        {
            base.Receive13NewSessionTicket(buf);
            TicketReceived = true;
        }
    }

    private sealed class CheckClient(BcTlsCrypto crypto, string? sni, ushort version, int[]? offered, IReadOnlyList<byte[]> expectedChain, ClientCredentials? credentials) : DefaultTlsClient(crypto)
    {
        public ProtocolVersion? ServerVersion { get; private set; }
        public string? AlertReceived { get; private set; }
        public byte? AlertDescriptionReceived { get; private set; }
        public bool HandshakeCompleted { get; private set; }
        public bool ClientFlightSent { get; private set; }
        public bool ChainDiffers { get; private set; }
        public IReadOnlyList<string> AcceptedIssuers { get; private set; } = [];
        public bool IsTls13 => ServerVersion is { } v && TlsUtilities.IsTlsV13(v);

        // The version the first connection negotiated, so the check speaks to the server as the probe did.
        protected override ProtocolVersion[] GetSupportedVersions() =>
            version == ProtocolVersion.TLSv13.FullVersion ? ProtocolVersion.TLSv13.Only() : ProtocolVersion.TLSv12.Only();

        protected override int[] GetSupportedCipherSuites() => TlsUtilities.GetSupportedCipherSuites(Crypto, offered ?? [.. ServerProbe.AllCipherSuites]);

        protected override IList<ServerName>? GetSniServerNames() =>
            sni is null ? null : [new ServerName(NameType.host_name, Encoding.ASCII.GetBytes(sni))];

        public override void NotifyServerVersion(ProtocolVersion serverVersion)
        {
            base.NotifyServerVersion(serverVersion);
            ServerVersion = serverVersion;
        }

        public override void NotifyAlertReceived(short alertLevel, short alertDescription)
        {
            base.NotifyAlertReceived(alertLevel, alertDescription);
            // Only a fatal alert refuses; close_notify is a close, and a warning says nothing about the certificate.
            if (AlertReceived is null && alertLevel == AlertLevel.fatal)
            {
                AlertReceived = AlertDescription.GetText(alertDescription);
                AlertDescriptionReceived = (byte)alertDescription;
            }
        }

        public override void NotifyHandshakeComplete()
        {
            base.NotifyHandshakeComplete();
            HandshakeCompleted = true;
        }

        public override TlsAuthentication GetAuthentication() => new Authentication(this);

        internal void CheckChain(TlsServerCertificate serverCertificate)
        {
            var chain = serverCertificate.Certificate;
            var same = chain.Length == expectedChain.Count;
            for (var i = 0; same && i < chain.Length; i++)
            {
                same = chain.GetCertificateAt(i).GetEncoded().AsSpan().SequenceEqual(expectedChain[i]);
            }
            if (!same)
            {
                ChainDiffers = true;
                throw new TlsFatalAlert(AlertDescription.user_canceled);
            }
        }

        internal TlsCredentials? Credentials(CertificateRequest request)
        {
            AcceptedIssuers = request.CertificateAuthorities?.Select(n => new System.Security.Cryptography.X509Certificates.X500DistinguishedName(n.GetEncoded()).Name).ToList() ?? [];
            ClientFlightSent = true;
            if (credentials is null)
            {
                // An empty Certificate message: a client with no certificate for this server.
                return null;
            }
            var key = PrivateKeyFactory.CreateKey(credentials.PrivateKeyPkcs8);
            var certificates = credentials.Chain.Select(der => (TlsCertificate)new BcTlsCertificate(crypto, der)).ToArray();
            var certificate = IsTls13
                ? new Certificate(request.GetCertificateRequestContext(), certificates.Select(c => new CertificateEntry(c, null)).ToArray())
                : new Certificate(certificates);
            return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(m_context), crypto, key, certificate,
                SignatureScheme(key, request.SupportedSignatureAlgorithms));
        }

        /// <summary>The first signature scheme the key can make that the server listed (RFC 8446 section 4.4.3;
        /// TLS 1.3 has no PKCS#1 v1.5 signatures in CertificateVerify); the first the key can make when none fits,
        /// as a client would try and let the server refuse.</summary>
        private SignatureAndHashAlgorithm SignatureScheme(AsymmetricKeyParameter key, IList<SignatureAndHashAlgorithm>? serverList)
        {
            List<SignatureAndHashAlgorithm> candidates = key switch
            {
                RsaKeyParameters => [SignatureAndHashAlgorithm.rsa_pss_rsae_sha256, SignatureAndHashAlgorithm.rsa_pss_rsae_sha384, SignatureAndHashAlgorithm.rsa_pss_rsae_sha512,
                    .. IsTls13 ? [] : new[]
                    {
                        SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha256, SignatureAlgorithm.rsa),
                        SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha384, SignatureAlgorithm.rsa),
                        SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha512, SignatureAlgorithm.rsa),
                        SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha1, SignatureAlgorithm.rsa),
                    }],
                // TLS 1.3 ties each ECDSA scheme to a curve: P-256 with SHA-256, P-384 with SHA-384, P-521 with SHA-512.
                ECPrivateKeyParameters ec => [SignatureAndHashAlgorithm.GetInstance(ec.Parameters.Curve.FieldSize switch
                {
                    <= 256 => HashAlgorithm.sha256,
                    <= 384 => HashAlgorithm.sha384,
                    _ => HashAlgorithm.sha512,
                }, SignatureAlgorithm.ecdsa)],
                _ => throw new TlsFatalAlert(AlertDescription.internal_error, new ClientCredentialsException("the client key is neither RSA nor EC")),
            };
            return candidates.FirstOrDefault(c => serverList?.Any(s => s.Hash == c.Hash && s.Signature == c.Signature) ?? true) ?? candidates[0];
        }
    }

    /// <summary>Accepts the server's chain without judging it (PcapTls.Validation already did, on the same bytes), and
    /// answers the CertificateRequest with the check's credentials or none.</summary>
    private sealed class Authentication(CheckClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) => client.CheckChain(serverCertificate);

        public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) => client.Credentials(certificateRequest);
    }
}
