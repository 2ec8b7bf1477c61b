import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The differential harness's Java client: one JVM for the whole run. Reads jobs from standard input, one per line
 * ("id TAB port TAB host TAB truststore.jks TAB TLSv1.2|TLSv1.3"), connects to 127.0.0.1:port with an SSLSocket
 * (endpoint identification HTTPS, the keytool-made truststore, password changeit, default java.security),
 * and answers one line per job: "id TAB OK" or "id TAB FAIL TAB class: message TAB class: message ..." (the whole
 * cause chain, outermost first, newlines replaced by spaces). It starts with "READY TAB java.version"; an empty
 * line ends the run.
 */
public final class DiffClient {
    private static final int TIMEOUT_MILLIS = 30_000;
    private static final Map<String, SSLContext> CONTEXTS = new ConcurrentHashMap<>();

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        ExecutorService pool = Executors.newFixedThreadPool(Integer.parseInt(args.length > 0 ? args[0] : "6"));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        out.println("READY\t" + System.getProperty("java.version"));
        String line;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
            String[] job = line.split("\t", -1);
            pool.submit(() -> {
                String answer = run(job);
                synchronized (out) {
                    out.println(job[0] + "\t" + answer);
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(5, TimeUnit.MINUTES);
    }

    private static String run(String[] job) {
        try {
            SSLContext context = CONTEXTS.computeIfAbsent(job[3], DiffClient::context);
            try (Socket plain = new Socket()) {
                plain.setSoTimeout(TIMEOUT_MILLIS);
                plain.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(job[1])), TIMEOUT_MILLIS);
                try (SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, job[2], Integer.parseInt(job[1]), true)) {
                    SSLParameters params = tls.getSSLParameters();
                    params.setEndpointIdentificationAlgorithm("HTTPS");
                    params.setProtocols(new String[] {job[4]});
                    tls.setSSLParameters(params);
                    tls.startHandshake();
                }
            }
            return "OK";
        } catch (Throwable e) {
            StringBuilder chain = new StringBuilder("FAIL");
            for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
                String message = t.getMessage();
                chain.append('\t').append(t.getClass().getName()).append(": ")
                    .append(message == null ? "" : message.replace('\n', ' ').replace('\r', ' ').replace('\t', ' '));
            }
            return chain.toString();
        }
    }

    private static SSLContext context(String truststore) {
        try {
            KeyStore trust = KeyStore.getInstance("JKS");
            try (InputStream in = new FileInputStream(truststore)) {
                trust.load(in, "changeit".toCharArray());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
