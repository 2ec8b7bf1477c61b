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

/// <summary>Why a probe ended without the server's chain.</summary>
public enum ProbeFailure
{
    /// <summary>The chain was recorded and the probe hung up on purpose.</summary>
    None,
    /// <summary>The TCP connection was refused or could not be opened (nobody listening, no route, DNS).</summary>
    ConnectFailed,
    /// <summary>The TCP connection did not open within the timeout (a firewall dropping SYNs).</summary>
    ConnectTimeout,
    /// <summary>Connected, but the server sent nothing before the timeout.</summary>
    NoAnswer,
    /// <summary>The server closed (FIN or RST) without answering the ClientHello.</summary>
    ClosedWithoutAnswer,
    /// <summary>The server stopped answering in the middle of its flight (some bytes, then silence).</summary>
    StalledAfterAnswer,
    /// <summary>The server answered with an alert before its Certificate (no common version or cipher suite, ...).</summary>
    ServerAlert,
    /// <summary>The server's first bytes are not a TLS record (plain HTTP, SSH banner, ...).</summary>
    NotTls,
    /// <summary>The server spoke TLS but something the probe could not follow (malformed message, unsupported choice).</summary>
    ProtocolError,
    /// <summary>The server sent a ServerHello but no Certificate (anonymous or PSK suites).</summary>
    NoCertificate,
    /// <summary>Cancelled by the caller.</summary>
    Cancelled,
}

/// <summary>What a server sent before the probe hung up.</summary>
public sealed record ProbeResult
{
    /// <summary>Why the chain is missing; <see cref="ProbeFailure.None"/> when it was recorded.</summary>
    public ProbeFailure Failure { get; init; }

    /// <summary>The negotiated version as its wire value (0x0303, 0x0304), or null.</summary>
    public ushort? NegotiatedVersionWire { get; init; }

    /// <summary>The alert the server sent as its wire value (description), or null.</summary>
    public byte? AlertDescriptionWire { get; init; }

    /// <summary>The first bytes the server sent (at most <see cref="ServerProbe.FirstBytesKept"/>), to tell TLS from plaintext.</summary>
    public IReadOnlyList<byte> FirstServerBytes { get; init; } = [];

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
    /// <summary>How many of the server's first bytes are kept to show what a non-TLS server said.</summary>
    public const int FirstBytesKept = 64;

    public static Task<ProbeResult> ProbeAsync(string host, int port, string? sni, TlsVersionChoice versions, TimeSpan timeout, CancellationToken cancellationToken)
        => ProbeAsync(host, port, sni, versions, null, timeout, cancellationToken);

    /// <summary>Probes offering only <paramref name="cipherSuites"/> (wire values; null = every suite BouncyCastle
    /// implements), to ask the server what a client with that list would get.</summary>
    public static async Task<ProbeResult> ProbeAsync(string host, int port, string? sni, TlsVersionChoice versions, IReadOnlyList<int>? cipherSuites, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var tcp = new TcpClient();
        var connect = await TcpConnect.BeforeDeadlineAsync(tcp, host, port, deadline.Token, cancellationToken).ConfigureAwait(false);
        switch (connect.Outcome)
        {
            case TcpConnectOutcome.TimedOut:
                return new ProbeResult { Failure = ProbeFailure.ConnectTimeout, Error = $"connect to {host}:{port} timed out after {timeout.TotalSeconds:0.#} s" };
            case TcpConnectOutcome.Failed:
                return new ProbeResult { Failure = ProbeFailure.ConnectFailed, Error = $"connect to {host}:{port} failed: {connect.Error}" };
        }

        var crypto = new BcTlsCrypto(new SecureRandom());
        if (cipherSuites is not null)
        {
            var unsupported = cipherSuites.Where(c => !CanOffer(c)).ToList();
            if (cipherSuites.Count == 0 || unsupported.Count > 0)
            {
                throw new ArgumentException(cipherSuites.Count == 0 ? "no cipher suite to offer"
                    : "the probe cannot offer " + string.Join(", ", unsupported.Select(c => $"0x{c:X4}")), nameof(cipherSuites));
            }
        }
        var client = new ProbeClient(crypto, sni ?? DefaultSni(host), versions, cipherSuites?.ToArray() ?? OfferedCipherSuites);
        var received = new FirstBytesStream(tcp.GetStream(), FirstBytesKept);
        var protocol = new ProbeProtocol(received);
        client.Protocol = protocol;

        // BouncyCastle's blocking handshake cannot be cancelled; closing the socket unblocks it.
        using var closeOnCancel = deadline.Token.Register(tcp.Dispose);
        string? error = null;
        var failure = ProbeFailure.None;
        try
        {
            await Task.Run(() => protocol.Connect(client), CancellationToken.None).ConfigureAwait(false);
            // Unreachable by design (the probe throws before its Finished); kept so a BouncyCastle change cannot
            // turn into a silently completed connection.
            failure = ProbeFailure.ProtocolError;
            error = "the handshake completed, which the probe never allows";
        }
        catch (Exception e) when (e is IOException or TlsException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            if (!client.Aborted)
            {
                if (!LooksLikeTls(received.First))
                {
                    // BouncyCastle stops at the 5-byte record header; what is already buffered shows what the server is.
                    received.TakeBuffered(tcp.Client);
                }
                (failure, error) = Classify(e, client, received, deadline.IsCancellationRequested, cancellationToken.IsCancellationRequested, timeout);
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
            Failure = failure,
            ServerCertificates = client.Certificates,
            NegotiatedVersion = client.ServerVersion is { } v ? Name(v) : "",
            NegotiatedVersionWire = client.ServerVersion is { } w ? (ushort)w.FullVersion : null,
            CipherSuite = client.SelectedCipherSuite,
            Alert = client.AlertReceived,
            AlertDescriptionWire = client.AlertDescriptionReceived,
            Error = error,
            CertificateRequested = client.CertificateRequested,
            FirstServerBytes = received.First,
        };
    }

    private static (ProbeFailure, string) Classify(Exception e, ProbeClient client, FirstBytesStream received, bool deadlinePassed, bool cancelled, TimeSpan timeout)
    {
        if (cancelled)
        {
            return (ProbeFailure.Cancelled, "cancelled");
        }
        // Checked before the alert: a plaintext reply can happen to parse as an "alert" record header.
        if (received.First.Count > 0 && !LooksLikeTls(received.First))
        {
            return (ProbeFailure.NotTls, "the server's reply is not TLS: \"" + Preview(received.First) + "\"");
        }
        if (client.AlertReceived is { } alert)
        {
            return (client.Certificates.Count == 0 ? ProbeFailure.ServerAlert : ProbeFailure.ProtocolError, $"the server sent alert {alert}");
        }
        if (deadlinePassed)
        {
            return received.First.Count == 0
                ? (ProbeFailure.NoAnswer, $"no answer within {timeout.TotalSeconds:0.#} s")
                : (ProbeFailure.StalledAfterAnswer, $"the server stopped answering (no complete flight within {timeout.TotalSeconds:0.#} s)");
        }
        // BouncyCastle reports an end of stream during the handshake as handshake_failure: with no byte received,
        // that is the server hanging up on the ClientHello.
        if (received.First.Count == 0)
        {
            return (ProbeFailure.ClosedWithoutAnswer, "the server closed the connection without answering the ClientHello");
        }
        if (client.ServerVersion is not null && client.Certificates.Count == 0 && e is TlsFatalAlert { AlertDescription: AlertDescription.unexpected_message })
        {
            return (ProbeFailure.NoCertificate, Describe(e, client));
        }
        return (ProbeFailure.ProtocolError, Describe(e, client));
    }

    /*
     * struct {
     *     ContentType type;                 // 20..24 (change_cipher_spec .. heartbeat)
     *     ProtocolVersion legacy_record_version;   // major 3
     *     uint16 length;
     * } TLSPlaintext;                            (RFC 8446 section 5.1)
     */
    private const byte FirstContentType = 20;
    private const byte LastContentType = 24;
    private const byte RecordVersionMajor = 3;

    /// <summary>True when the first bytes can begin a TLS record; with one byte only the content type is judged.</summary>
    public static bool LooksLikeTls(IReadOnlyList<byte> first) =>
        first.Count == 0
        || (first[0] is >= FirstContentType and <= LastContentType && (first.Count < 2 || first[1] == RecordVersionMajor));

    /// <summary>Printable ASCII as is, anything else as a dot, cut at the first line break.</summary>
    public static string Preview(IReadOnlyList<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Count);
        foreach (var b in bytes)
        {
            if (b is (byte)'\r' or (byte)'\n')
            {
                break;
            }
            sb.Append(b is >= 0x20 and < 0x7F ? (char)b : '.');
        }
        return sb.ToString();
    }

    // Clients send no SNI for an IP address literal (RFC 6066 section 3).
    private static string? DefaultSni(string host) => IPAddress.TryParse(host, out _) ? null : host;

    internal static string Name(ProtocolVersion version) =>
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

    /// <summary>Passes reads through and keeps a copy of the first bytes the server sent.</summary>
    private sealed class FirstBytesStream(Stream inner, int keep) : Stream
    {
        private readonly List<byte> _first = new(keep);

        public IReadOnlyList<byte> First
        {
            get
            {
                lock (_first)
                {
                    return _first.ToArray();
                }
            }
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            lock (_first)
            {
                for (var i = 0; i < n && _first.Count < keep; i++)
                {
                    _first.Add(buffer[offset + i]);
                }
            }
            return n;
        }

        /// <summary>Adds what the socket has already received (without waiting) to the first bytes.</summary>
        public void TakeBuffered(Socket socket)
        {
            try
            {
                var buffer = new byte[keep];
                while (First.Count < keep && socket.Available > 0)
                {
                    if (Read(buffer, 0, Math.Min(keep - First.Count, socket.Available)) == 0)
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // Closed meanwhile: keep what was read.
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Flush() => inner.Flush();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        // Closing is left to the TcpClient that owns the socket (disposed when the probe returns): BouncyCastle
        // closes its stream on a fatal error, before the probe had a chance to read what else the server sent.
    }

    /// <summary>Exposes whether a CertificateRequest arrived (BouncyCastle keeps it in a protected field).</summary>
    private sealed class ProbeProtocol(Stream stream) : TlsClientProtocol(stream)
    {
        public bool CertificateRequestReceived => m_certificateRequest is not null;
    }

    private static readonly Lazy<TlsCrypto> CapabilityCrypto = new(() => new BcTlsCrypto(new SecureRandom()));

    /// <summary>True when BouncyCastle implements the suite, so the probe can put it in its ClientHello.</summary>
    public static bool CanOffer(int cipherSuite) => TlsUtilities.GetSupportedCipherSuites(CapabilityCrypto.Value, [cipherSuite]).Length == 1;

    /// <summary>Every suite the probe can offer, strongest first (the default offer).</summary>
    public static IReadOnlyList<int> AllCipherSuites => OfferedCipherSuites;

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

    private sealed class ProbeClient(TlsCrypto crypto, string? sni, TlsVersionChoice versions, int[] offered) : DefaultTlsClient(crypto)
    {
        public ProbeProtocol? Protocol { get; set; }
        public List<byte[]> Certificates { get; } = [];
        public ProtocolVersion? ServerVersion { get; private set; }
        public int? SelectedCipherSuite { get; private set; }
        public string? AlertReceived { get; private set; }
        public byte? AlertDescriptionReceived { get; private set; }
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
        protected override int[] GetSupportedCipherSuites() => TlsUtilities.GetSupportedCipherSuites(Crypto, offered);

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
            if (AlertReceived is null)
            {
                AlertReceived = AlertDescription.GetText(alertDescription);
                AlertDescriptionReceived = (byte)alertDescription;
            }
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
