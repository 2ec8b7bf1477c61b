import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A minimal JSSE client that fails the way a Java backend client fails (PKIX path building, endpoint
 * identification "HTTPS"), for making test captures. Single-file source launch, no build:
 *
 * <pre>
 * java tools/java-client/PcapTlsClient.java --connect 127.0.0.1:20001 --bind 127.0.0.1:21001 \
 *     --host backend.pcaptls.test --truststore captures/truststores/root.jks --storepass changeit \
 *     [--keystore captures/pki/client.p12 --keypass changeit [--key-alias client]] [--protocol TLSv1.3]
 *     [--ciphers A,B]
 * </pre>
 *
 * The TCP connection goes to --connect (from the fixed local --bind address, so a capture can be split per
 * connection); --host is what the TLS layer sees: the SNI name and the name checked against the certificate.
 * Prints one line, "OK" or the exception's message, and exits 0 or 1.
 *
 * --key-alias presents that client certificate whatever CAs the server names in its CertificateRequest (as
 * Spring's key-alias or Apache HttpClient's PrivateKeyStrategy do); without it JSSE offers only a certificate
 * whose issuer the server named, and sends none otherwise.
 */
public final class PcapTlsClient {
    private static final int TIMEOUT_MILLIS = 10_000;
    private static final int MAX_RESPONSE_BYTES = 1 << 16;

    public static void main(String[] args) {
        Map<String, String> opts = parse(args);
        try {
            run(opts);
            System.out.println("OK");
            System.exit(0);
        } catch (Exception e) {
            String message = e.getMessage();
            System.out.println(message != null ? message.replace('\n', ' ') : e.getClass().getName());
            System.exit(1);
        }
    }

    private static void run(Map<String, String> opts) throws Exception {
        String host = require(opts, "host");
        InetSocketAddress target = endpoint(require(opts, "connect"));
        String pass = opts.getOrDefault("storepass", "changeit");

        KeyStore trust = load(require(opts, "truststore"), pass);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);

        KeyManager[] keyManagers = null;
        if (opts.containsKey("keystore")) {
            String keyPass = opts.getOrDefault("keypass", "changeit");
            KeyStore keys = load(opts.get("keystore"), keyPass);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, keyPass.toCharArray());
            keyManagers = kmf.getKeyManagers();
            if (opts.containsKey("key-alias")) {
                keyManagers = new KeyManager[] {
                    new FixedAliasKeyManager((X509ExtendedKeyManager) keyManagers[0], opts.get("key-alias"))};
            }
        }

        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers, tmf.getTrustManagers(), null);
        warmUp(context, host, target.getPort(), opts);

        try (Socket plain = new Socket()) {
            plain.setSoTimeout(TIMEOUT_MILLIS);
            plain.setReuseAddress(true);
            if (opts.containsKey("bind")) {
                plain.bind(endpoint(opts.get("bind")));
            }
            plain.connect(target, TIMEOUT_MILLIS);
            try (SSLSocket tls = (SSLSocket) context.getSocketFactory()
                    .createSocket(plain, host, target.getPort(), true)) {
                tls.setSSLParameters(parameters(tls.getSSLParameters(), opts));
                tls.startHandshake();

                OutputStream out = tls.getOutputStream();
                out.write(("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                // Read the answer so that a failure the server reports after the handshake (TLS 1.3 client
                // certificate checks) surfaces here as an exception.
                InputStream in = tls.getInputStream();
                byte[] buffer = new byte[4096];
                int total = 0;
                int n;
                while (total < MAX_RESPONSE_BYTES && (n = in.read(buffer)) > 0) {
                    total += n;
                }
                if (total == 0) {
                    throw new java.io.IOException("connection closed without a response");
                }
            }
        }
    }

    private static SSLParameters parameters(SSLParameters params, Map<String, String> opts) {
        params.setEndpointIdentificationAlgorithm("HTTPS");
        if (opts.containsKey("protocol")) {
            params.setProtocols(new String[] {opts.get("protocol")});
        }
        if (opts.containsKey("ciphers")) {
            params.setCipherSuites(opts.get("ciphers").split(","));
        }
        return params;
    }

    /**
     * Builds one ClientHello in memory before connecting. A cold JVM otherwise spends seconds loading the
     * handshake classes between the TCP connect and the ClientHello, a gap no warmed-up client shows.
     */
    private static void warmUp(SSLContext context, String host, int port, Map<String, String> opts) throws Exception {
        SSLEngine engine = context.createSSLEngine(host, port);
        engine.setUseClientMode(true);
        engine.setSSLParameters(parameters(engine.getSSLParameters(), opts));
        engine.beginHandshake();
        engine.wrap(ByteBuffer.allocate(0), ByteBuffer.allocate(engine.getSession().getPacketBufferSize()));
        engine.closeOutbound();
    }

    private static KeyStore load(String path, String pass) throws Exception {
        String type = path.endsWith(".jks") ? "JKS" : "PKCS12";
        KeyStore store = KeyStore.getInstance(type);
        try (InputStream in = new FileInputStream(path)) {
            store.load(in, pass.toCharArray());
        }
        return store;
    }

    /** Parses "host:port", "[v6]:port" or "v6:port" (the last colon separates the port). */
    private static InetSocketAddress endpoint(String value) {
        int colon = value.lastIndexOf(':');
        String host = value.substring(0, colon).replace("[", "").replace("]", "");
        return new InetSocketAddress(host, Integer.parseInt(value.substring(colon + 1)));
    }

    private static String require(Map<String, String> opts, String name) {
        String value = opts.get(name);
        if (value == null) {
            System.err.println("missing --" + name);
            System.exit(2);
        }
        return value;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                System.err.println("unexpected argument " + args[i]);
                System.exit(2);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        return opts;
    }

    /** Always offers one client certificate, ignoring the issuers the server asked for. */
    private static final class FixedAliasKeyManager extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager inner;
        private final String alias;

        FixedAliasKeyManager(X509ExtendedKeyManager inner, String alias) {
            this.inner = inner;
            this.alias = alias;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return alias;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return alias;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {alias};
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return inner.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return inner.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public X509Certificate[] getCertificateChain(String name) {
            return inner.getCertificateChain(name);
        }

        @Override
        public PrivateKey getPrivateKey(String name) {
            return inner.getPrivateKey(name);
        }
    }
}
