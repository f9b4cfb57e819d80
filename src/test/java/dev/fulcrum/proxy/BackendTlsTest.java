package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TcpRelay;
import dev.fulcrum.support.TestPki;
import dev.fulcrum.support.TlsBackend;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code https} backends over real TLS on loopback: certificates are checked (against {@code backendTls.caFile}
 * or the JVM's authorities, host name included), a failed check says why, and {@code verify: false} accepts any.
 */
@ExtendWith(VertxExtension.class)
class BackendTlsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    /** Made once: generating a key pair takes a good part of a second. */
    private static final SelfSignedCertificate LOCALHOST = SelfSignedCertificate.create("localhost");
    private static final SelfSignedCertificate OTHER_HOST = SelfSignedCertificate.create("other.example");

    @Test
    void backendWhoseCertificateIsSignedByCaFileIsProxied(Vertx vertx) {
        SelfSignedCertificate certificate = LOCALHOST;
        String url = tlsBackend(vertx, certificate);
        Fulcrum fulcrum = Balancer.start(vertx, trusting(config(url), certificate));

        Http.Reply reply = new Http(vertx, fulcrum.port()).get("/").await();

        assertEquals(200, reply.status(), reply.body());
        assertEquals("over tls", reply.body());
        assertEquals(HealthState.HEALTHY, backend(fulcrum, url).health());
    }

    @Test
    void certificateNotTrustedIsReportedAndNeverProxied(Vertx vertx) {
        String url = tlsBackend(vertx, LOCALHOST);
        Fulcrum fulcrum = Balancer.start(vertx, config(url));

        Backend backend = backend(fulcrum, url);
        assertEquals(HealthState.UNHEALTHY, backend.health());
        assertTrue(backend.lastFailure().startsWith("TLS handshake failed: the certificate is not trusted"),
                backend.lastFailure());
        assertEquals(503, new Http(vertx, fulcrum.port()).get("/").await().status());
    }

    @Test
    void certificateForAnotherHostIsReportedEvenWhenItsIssuerIsTrusted(Vertx vertx) {
        SelfSignedCertificate other = OTHER_HOST;
        String url = tlsBackend(vertx, other);
        Fulcrum fulcrum = Balancer.start(vertx, trusting(config(url), other));

        Backend backend = backend(fulcrum, url);
        assertEquals(HealthState.UNHEALTHY, backend.health());
        assertTrue(backend.lastFailure().startsWith("TLS handshake failed: the certificate does not name localhost"),
                backend.lastFailure());
    }

    @Test
    void verifyFalseAcceptsAnyCertificate(Vertx vertx) {
        String url = tlsBackend(vertx, OTHER_HOST);
        JsonObject config = config(url).put("backendTls", new JsonObject().put("verify", false));
        Fulcrum fulcrum = Balancer.start(vertx, config);

        Http.Reply reply = new Http(vertx, fulcrum.port()).get("/").await();

        assertEquals(200, reply.status(), reply.body());
        assertEquals("over tls", reply.body());
    }

    /** The probe client and the proxy's pools follow a reload; no restart. */
    @Test
    void caFileAddedByReloadTakesEffect(Vertx vertx, @TempDir Path dir) {
        SelfSignedCertificate certificate = LOCALHOST;
        String url = tlsBackend(vertx, certificate);
        JsonObject config = tlsHealth(config(url));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend backend = backend(fulcrum, url);
        assertEquals(HealthState.UNHEALTHY, backend.health());

        file.renameReplace(trusting(config.copy(), certificate));

        Await.until("the backend is healthy once its issuer is trusted", WAIT,
                () -> backend.health() == HealthState.HEALTHY);
        assertEquals(2, fulcrum.status().generation());
        assertEquals("over tls", new Http(vertx, fulcrum.port()).get("/").await().body());
    }

    /** A CA file replaced in place is read again on SIGHUP (the watcher only sees the config file change). */
    @Test
    void caFileReplacedInPlaceIsReadAgainOnRescan(Vertx vertx, @TempDir Path dir) throws IOException {
        String url = tlsBackend(vertx, LOCALHOST);
        Path caFile = Files.copy(Path.of(OTHER_HOST.certificatePath()), dir.resolve("ca.pem"));
        JsonObject config = tlsHealth(config(url))
                .put("backendTls", new JsonObject().put("caFile", caFile.toString()));
        Fulcrum fulcrum = Balancer.startWatching(vertx, ConfigFile.plain(dir, config));
        Backend backend = backend(fulcrum, url);
        assertEquals(HealthState.UNHEALTHY, backend.health());

        Files.copy(Path.of(LOCALHOST.certificatePath()), caFile, StandardCopyOption.REPLACE_EXISTING);
        fulcrum.rescan();

        Await.until("the backend is healthy under the new CA file", WAIT, () -> backend.health() == HealthState.HEALTHY);
        assertEquals(2, fulcrum.status().generation());
    }

    /** The other way round: requests on connections made under the old rules stop once the CA is withdrawn. */
    @Test
    void caFileRemovedByReloadStopsTrustingTheBackend(Vertx vertx, @TempDir Path dir) {
        SelfSignedCertificate certificate = LOCALHOST;
        String url = tlsBackend(vertx, certificate);
        JsonObject config = trusting(tlsHealth(config(url)), certificate);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        assertEquals(200, http.get("/").await().status());

        JsonObject withoutCa = config.copy();
        withoutCa.remove("backendTls");
        file.renameReplace(withoutCa);

        Backend backend = backend(fulcrum, url);
        Await.until("the backend is no longer trusted", WAIT, () -> backend.health() == HealthState.UNHEALTHY);
        assertTrue(backend.lastFailure().startsWith("TLS handshake failed: the certificate is not trusted"),
                backend.lastFailure());
    }

    /**
     * A request the proxy cannot hand over because the handshake fails gets a 502 that says so, and the
     * passive checker's reason names the TLS problem, not just "connection failed".
     */
    @Test
    void handshakeFailureOnTheRequestPathIsA502ThatSaysSo(Vertx vertx, @TempDir Path dir) {
        SelfSignedCertificate certificate = LOCALHOST;
        String url = tlsBackend(vertx, certificate);
        // Probes far apart, so that the proxy meets the untrusted certificate before the checker does.
        JsonObject config = trusting(config(url).put("healthCheckInterval", "1h")
                .put("consecutiveFailures", 1), certificate);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        assertEquals(200, http.get("/").await().status());
        JsonObject withoutCa = config.copy();
        withoutCa.remove("backendTls");
        file.renameReplace(withoutCa);
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);

        Http.Reply reply = http.get("/").await();

        assertEquals(502, reply.status());
        assertEquals("backend TLS handshake failed", reply.body().trim());
        Backend backend = backend(fulcrum, url);
        Await.until("the proxy ejected it", WAIT, () -> backend.health() == HealthState.UNHEALTHY);
        assertTrue(backend.lastFailure().contains("TLS handshake failed: the certificate is not trusted"),
                backend.lastFailure());
    }

    /** A dropped connection is retried on a new one, to the same backend when it is the only one: over TLS too. */
    @Test
    void retryAfterADroppedConnectionHandshakesAgain(Vertx vertx) {
        AtomicInteger requests = new AtomicInteger();
        String url = tlsBackend(vertx, LOCALHOST, req -> {
            if ("fulcrum-health-check".equals(req.getHeader("user-agent"))) {
                req.response().end();
            } else if (requests.incrementAndGet() == 1) {
                req.connection().close();
            } else {
                req.response().end("second attempt");
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, trusting(config(url), LOCALHOST));

        Http.Reply reply = new Http(vertx, fulcrum.port()).get("/").await();

        assertEquals(new Http.Reply(200, "second attempt"), reply);
        assertEquals(2, requests.get());
    }

    /**
     * A backend that demands a client certificate (Fulcrum has none to give): the reason an operator reads must
     * say the backend wants a client certificate, not a bare "connection failed" / "Connection was closed".
     */
    @Test
    void backendRequiringAClientCertificateIsReportedClearly(Vertx vertx) {
        TestPki pki = TestPki.get();
        int port = TlsBackend.start(vertx, pki.goodLeaf(), new HttpServerOptions().setClientAuth(ClientAuth.REQUIRED)
                .setTrustOptions(new PemTrustOptions().addCertPath(pki.caA().toString())), req -> req.response().end("mtls"));
        String url = "https://localhost:" + port;
        Fulcrum fulcrum = Balancer.start(vertx, TlsBackend.trusting(Balancer.config(url), pki.caA()));

        Backend backend = backend(fulcrum, url);
        assertEquals(HealthState.UNHEALTHY, backend.health());
        String reason = backend.lastFailure();
        assertTrue(reason.startsWith("TLS handshake failed") && reason.contains("client certificate"),
                "probe reason: " + reason);
    }

    /**
     * Same backend, seen by the proxy (it was healthy, then began to require client certificates): the client's
     * 502 and the passive reason must say it is about TLS, not "backend connection failed".
     */
    @Test
    void backendRequiringAClientCertificateGivesA502ThatSaysTls(Vertx vertx) {
        TestPki pki = TestPki.get();
        int plainTls = TlsBackend.start(vertx, pki.goodLeaf(), new HttpServerOptions(), req -> req.response().end("ok"));
        int mtls = TlsBackend.start(vertx, pki.goodLeaf(), new HttpServerOptions().setClientAuth(ClientAuth.REQUIRED)
                .setTrustOptions(new PemTrustOptions().addCertPath(pki.caA().toString())), req -> req.response().end("mtls"));
        AtomicInteger target = new AtomicInteger(plainTls);
        String url = "https://localhost:" + TcpRelay.to(vertx, target);
        Fulcrum fulcrum = Balancer.start(vertx, TlsBackend.trusting(Balancer.config(url), pki.caA())
                .put("healthCheckInterval", "1h").put("consecutiveFailures", 1));
        assertEquals(HealthState.HEALTHY, backend(fulcrum, url).health(), backend(fulcrum, url).lastFailure());
        target.set(mtls);

        Http.Reply reply = new Http(vertx, fulcrum.port()).get("/").await();

        assertEquals(new Http.Reply(502, "backend TLS handshake failed\n"), reply);
        Backend backend = backend(fulcrum, url);
        Await.until("the proxy ejected it", WAIT, () -> backend.health() == HealthState.UNHEALTHY);
        assertTrue(backend.lastFailure().contains("TLS handshake failed"), backend.lastFailure());
    }

    /** An expired certificate issued by a trusted CA: the reason is "expired", not "not trusted". */
    @Test
    void expiredCertificateFromATrustedCaIsReportedAsExpired(Vertx vertx) {
        TestPki pki = TestPki.get();
        int port = TlsBackend.start(vertx, pki.expiredLeaf(), new HttpServerOptions(), req -> req.response().end("old"));
        String url = "https://localhost:" + port;
        Fulcrum fulcrum = Balancer.start(vertx, TlsBackend.trusting(Balancer.config(url), pki.caA()));

        Backend backend = backend(fulcrum, url);
        assertEquals(HealthState.UNHEALTHY, backend.health());
        assertTrue(backend.lastFailure().startsWith("TLS handshake failed: the certificate has expired"),
                backend.lastFailure());
    }

    private static String tlsBackend(Vertx vertx, SelfSignedCertificate certificate) {
        return tlsBackend(vertx, certificate, req -> req.response().end("over tls"));
    }

    private static String tlsBackend(Vertx vertx, SelfSignedCertificate certificate, Handler<HttpServerRequest> handler) {
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(certificate.keyCertOptions()));
        server.requestHandler(handler);
        server.listen(0, "localhost").await();
        return "https://localhost:" + server.actualPort();
    }

    /** A cold JVM's first handshakes, on a busy machine, can take longer than the default probe timeout. */
    private static JsonObject config(String url) {
        return Balancer.config(url).put("healthCheck", new JsonObject().put("timeout", "5s"));
    }

    /** Probes as often as {@link Balancer#fastHealth}, with the same patience for handshakes. */
    private static JsonObject tlsHealth(JsonObject config) {
        return Balancer.fastHealth(config).put("healthCheck", new JsonObject().put("timeout", "5s"));
    }

    private static JsonObject trusting(JsonObject config, SelfSignedCertificate certificate) {
        return config.put("backendTls", new JsonObject().put("caFile", certificate.certificatePath()));
    }

    private static Backend backend(Fulcrum fulcrum, String url) {
        return fulcrum.backends().find("default", url).orElseThrow();
    }
}
