package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.PemCertificates;
import dev.fulcrum.support.PemCertificates.Pair;
import dev.fulcrum.support.Scrape;
import dev.fulcrum.support.TestBackend;
import dev.fulcrum.support.TlsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A renewed certificate serves new handshakes without a restart or a failed request, whether its files are rewritten
 * in place or swapped by a Kubernetes Secret's symlink; open connections keep theirs, and a bad pair is refused.
 */
@ExtendWith(VertxExtension.class)
class CertificateRotationTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String HOST = "shop.example.com";
    /** The request loop's bounds: it normally ends, well before either, when the test says so. */
    private static final int MOST_REQUESTS = 5_000;
    private static final Duration MOST_LOOP_TIME = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void filesRewrittenInPlaceServeNewHandshakesWithNoFailedRequest(Vertx vertx) throws Exception {
        Pair live = PemCertificates.ec(dir, "live", 30, HOST);
        Pair renewed = PemCertificates.ec(dir, "renewed", 90, HOST);
        Fulcrum fulcrum = watching(vertx, live);
        X509Certificate before = TlsClient.served(fulcrum.tlsPort(), HOST);

        RequestLoop loop = RequestLoop.start(fulcrum.tlsPort());
        Await.until("requests served before the renewal", WAIT, () -> loop.served.get() >= 5);
        renewed.copyOver(live);
        Await.until("the renewed certificate served", WAIT, () -> TlsClient.served(fulcrum.tlsPort(), HOST).equals(read(renewed.cert())));
        int servedAtRenewal = loop.served.get();
        Await.until("requests served after the renewal", WAIT, () -> loop.served.get() >= servedAtRenewal + 5);
        loop.stop();

        assertEquals(0, loop.failed.get(), "failed requests out of " + loop.served.get());
        assertNotEquals(before, read(renewed.cert()));
        // The listener takes the pair a moment before the reload's bookkeeping (and its metrics) ends.
        Await.until("the renewal counted as applied", WAIT, () -> fulcrum.status().generation() == 2);
        Scrape scrape = Scrape.of(vertx, fulcrum.adminPort());
        assertEquals((double) read(renewed.cert()).getNotAfter().toInstant().getEpochSecond(),
                scrape.value("fulcrum_tls_certificate_expiry_timestamp_seconds", "name", HOST));
        assertTrue(scrape.count("fulcrum_tls_certificate_reloads_total", "result", "applied") >= 1);
    }

    /** A Secret volume: {@code tls.crt -> ..data/tls.crt}, {@code ..data -> ..<version>}, swapped by one rename. */
    @Test
    void aSecretsSymlinkSwapIsSeen(Vertx vertx) throws Exception {
        Path secret = Files.createDirectories(dir.resolve("secret"));
        Pair first = PemCertificates.ec(dir, "first", 30, HOST);
        Pair second = PemCertificates.ec(dir, "second", 30, HOST);
        publish(secret, "..2026_12_01", first);
        Files.createSymbolicLink(secret.resolve("tls.crt"), Path.of("..data", "tls.crt"));
        Files.createSymbolicLink(secret.resolve("tls.key"), Path.of("..data", "tls.key"));
        Fulcrum fulcrum = watching(vertx, new Pair(secret.resolve("tls.crt"), secret.resolve("tls.key")));
        assertEquals(read(first.cert()), TlsClient.served(fulcrum.tlsPort(), HOST));

        publish(secret, "..2026_12_02", second);

        Await.until("the swapped certificate served", WAIT, () -> TlsClient.served(fulcrum.tlsPort(), HOST).equals(read(second.cert())));
    }

    @Test
    void openConnectionsKeepTheirCertificate(Vertx vertx) throws Exception {
        Pair live = PemCertificates.ec(dir, "live", 30, HOST);
        Pair renewed = PemCertificates.ec(dir, "renewed", 30, HOST);
        Fulcrum fulcrum = watching(vertx, live);
        try (TlsClient open = TlsClient.connect(fulcrum.tlsPort(), HOST)) {
            assertTrue(open.get(HOST, "/").startsWith("HTTP/1.1 200"));

            renewed.copyOver(live);
            Await.until("the renewed certificate served", WAIT, () -> TlsClient.served(fulcrum.tlsPort(), HOST).equals(read(renewed.cert())));

            assertTrue(open.get(HOST, "/").startsWith("HTTP/1.1 200"), "the open connection still serves");
            assertEquals(read(live.cert().resolveSibling("live-original.crt")), open.peer(), "with the certificate it was opened with");
        }
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefusedAndTheOldPairKeepsServing(Vertx vertx) throws Exception {
        Pair live = PemCertificates.ec(dir, "live", 30, HOST);
        Pair other = PemCertificates.ec(dir, "other", 30, HOST);
        Pair renewed = PemCertificates.ec(dir, "renewed", 30, HOST);
        Fulcrum fulcrum = watching(vertx, live);
        X509Certificate serving = TlsClient.served(fulcrum.tlsPort(), HOST);

        Files.copy(other.cert(), live.cert(), StandardCopyOption.REPLACE_EXISTING);

        Await.until("the mismatched pair refused", WAIT, () -> fulcrum.status().lastError() != null);
        assertTrue(fulcrum.status().lastError().contains("tls.certificates[0]: keyFile \"" + live.key() + "\" is not the key of the certificate"),
                fulcrum.status().lastError());
        assertEquals(serving, TlsClient.served(fulcrum.tlsPort(), HOST), "the last good pair keeps serving");
        try (TlsClient client = TlsClient.connect(fulcrum.tlsPort(), HOST)) {
            assertTrue(client.get(HOST, "/").startsWith("HTTP/1.1 200"));
        }
        assertEquals(1.0, Scrape.of(vertx, fulcrum.adminPort()).count("fulcrum_tls_certificate_reloads_total", "result", "refused"));

        renewed.copyOver(live);
        Await.until("the good pair applied", WAIT, () -> TlsClient.served(fulcrum.tlsPort(), HOST).equals(read(renewed.cert())));
        // The listener takes the pair a moment before the reload's bookkeeping ends.
        Await.until("the edit counted as applied", WAIT, () -> fulcrum.status().generation() == 2);
    }

    /** With scans an hour apart, SIGHUP (the watcher's rescan) is what reads the renewed files. */
    @Test
    void aRescanReadsRenewedFilesAtOnce(Vertx vertx) throws Exception {
        Pair live = PemCertificates.ec(dir, "live", 30, HOST);
        Pair renewed = PemCertificates.ec(dir, "renewed", 30, HOST);
        JsonObject config = Balancer.withTls(Balancer.config(TestBackend.start(vertx, "app")), live)
                .put("configScanPeriod", "1h");
        Fulcrum fulcrum = Balancer.startWatching(vertx, ConfigFile.plain(dir, config));
        renewed.copyOver(live);

        fulcrum.rescan();

        Await.until("the renewed certificate served", WAIT, () -> TlsClient.served(fulcrum.tlsPort(), HOST).equals(read(renewed.cert())));
    }

    private Fulcrum watching(Vertx vertx, Pair pair) throws IOException {
        if (Files.isRegularFile(pair.cert()) && !Files.isSymbolicLink(pair.cert())) {
            Files.copy(pair.cert(), pair.cert().resolveSibling("live-original.crt"), StandardCopyOption.REPLACE_EXISTING);
        }
        JsonObject config = Balancer.withTls(Balancer.config(TestBackend.start(vertx, "app")), pair);
        return Balancer.startWatching(vertx, ConfigFile.plain(dir, config));
    }

    /** Writes {@code pair} into {@code secret/version} and points {@code ..data} at it with one rename, as the kubelet does. */
    private static void publish(Path secret, String version, Pair pair) throws IOException {
        Path files = Files.createDirectories(secret.resolve(version));
        Files.copy(pair.cert(), files.resolve("tls.crt"));
        Files.copy(pair.key(), files.resolve("tls.key"));
        Path next = secret.resolve("..data_tmp");
        Files.createSymbolicLink(next, Path.of(version));
        Files.move(next, secret.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static X509Certificate read(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** HTTPS requests one after another, each on a new connection (a new handshake), on a thread of its own. */
    private static final class RequestLoop {

        final AtomicInteger served = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        private final AtomicBoolean stopping = new AtomicBoolean();
        private CompletableFuture<Void> running;

        static RequestLoop start(int port) {
            RequestLoop loop = new RequestLoop();
            long deadline = System.nanoTime() + MOST_LOOP_TIME.toNanos();
            loop.running = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < MOST_REQUESTS && !loop.stopping.get() && System.nanoTime() < deadline; i++) {
                    try (TlsClient client = TlsClient.connect(port, HOST)) {
                        if (client.get(HOST, "/").startsWith("HTTP/1.1 200")) {
                            loop.served.incrementAndGet();
                        } else {
                            loop.failed.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        loop.failed.incrementAndGet();
                    }
                }
            });
            return loop;
        }

        void stop() throws Exception {
            stopping.set(true);
            running.get(10, TimeUnit.SECONDS);
        }
    }
}
