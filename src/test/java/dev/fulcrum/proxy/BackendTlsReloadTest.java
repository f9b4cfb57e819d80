package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.SocketReads;
import dev.fulcrum.support.TestPki;
import dev.fulcrum.support.TlsBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.fulcrum.support.TlsBackend.trusting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A backendTls edit, or a CA file's new content on a rescan, reaches pooled connections but not requests in flight. */
@ExtendWith(VertxExtension.class)
class BackendTlsReloadTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

    /**
     * A reload that changes only {@code verify} (false to true): the pooled connection made without any check
     * must not carry the next request, which must meet the new rule (the certificate is untrusted: no 200).
     */
    @Test
    void reloadChangingOnlyVerifyAppliesToPooledConnections(Vertx vertx, @TempDir Path dir) {
        int port = TlsBackend.start(vertx, TestPki.get().goodLeaf(), new HttpServerOptions(), req -> req.response().end("ok"));
        String url = "https://localhost:" + port;
        JsonObject config = Balancer.config(url).put("healthCheckInterval", "1h")
                .put("backendTls", new JsonObject().put("verify", false));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        assertEquals(200, http.get("/").await().status());

        file.renameReplace(config.copy().put("backendTls", new JsonObject().put("verify", true)));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);

        Http.Reply reply = http.get("/").await();
        assertNotEquals(200, reply.status(), "served over a connection the new rules reject: " + reply);
    }

    /**
     * A CA file whose content is replaced (SIGHUP, same path): the proxy's pooled connections made under the old
     * CA must not carry new requests (the backend's issuer is no longer trusted).
     */
    @Test
    void caContentReplacedOnRescanAppliesToThePoolToo(Vertx vertx, @TempDir Path dir) throws IOException {
        TestPki pki = TestPki.get();
        int port = TlsBackend.start(vertx, pki.goodLeaf(), new HttpServerOptions(), req -> req.response().end("ok"));
        String url = "https://localhost:" + port;
        Path caFile = Files.copy(pki.caA(), dir.resolve("ca.pem"));
        JsonObject config = Balancer.config(url).put("healthCheckInterval", "1h")
                .put("backendTls", new JsonObject().put("caFile", caFile.toString()));
        Fulcrum fulcrum = Balancer.startWatching(vertx, ConfigFile.plain(dir, config));
        Http http = new Http(vertx, fulcrum.port());
        assertEquals(200, http.get("/").await().status());

        Files.copy(pki.caB(), caFile, StandardCopyOption.REPLACE_EXISTING);
        fulcrum.rescan();
        Await.until("the rescan applied", WAIT, () -> fulcrum.status().generation() == 2);

        Http.Reply reply = http.get("/").await();
        assertEquals(502, reply.status(), reply.toString());
        assertEquals("backend TLS handshake failed", reply.body().trim());
    }

    /** A request in flight on the old pool when backendTls changes finishes normally; new ones are served too. */
    @Test
    void requestInFlightWhenBackendTlsChangesFinishes(Vertx vertx, @TempDir Path dir) throws IOException {
        TestPki pki = TestPki.get();
        AtomicInteger requests = new AtomicInteger();
        int port = TlsBackend.start(vertx, pki.goodLeaf(), new HttpServerOptions(), req -> {
            if (requests.incrementAndGet() == 1) {
                vertx.setTimer(800, id -> req.response().end("slow"));
            } else {
                req.response().end("fast");
            }
        });
        String url = "https://localhost:" + port;
        Path bundle = bothCas(pki, dir);
        JsonObject config = trusting(Balancer.config(url).put("healthCheckInterval", "1h"), pki.caA());
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());

        Future<Http.Reply> slow = http.get("/slow");
        Await.until("the slow request reached the backend", WAIT, () -> requests.get() == 1);
        file.renameReplace(trusting(config.copy(), bundle));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);
        assertEquals(new Http.Reply(200, "fast"), http.get("/fast").await());

        assertEquals(new Http.Reply(200, "slow"), slow.await());
        Await.until("nothing in flight", WAIT, () -> fulcrum.backends().find("default", url).orElseThrow().inFlight() == 0);
    }

    /**
     * A long-lived stream (server-sent events) on an https backend when a reload edits backendTls in a way that
     * still trusts the backend (a CA added to the bundle): the stream is no request of a backend or listener
     * that went away, so it must not be cut after shutdownTimeout.
     */
    @Test
    void streamOnAnHttpsBackendOutlivesABackendTlsEdit(Vertx vertx, @TempDir Path dir) throws IOException {
        TestPki pki = TestPki.get();
        AtomicBoolean streamCut = new AtomicBoolean();
        AtomicInteger beats = new AtomicInteger();
        int port = TlsBackend.start(vertx, pki.goodLeaf(), new HttpServerOptions(), req -> {
            if (!req.path().equals("/events")) {
                req.response().end("other");
                return;
            }
            HttpServerResponse response = req.response().setChunked(true);
            response.write("data: open\n\n");
            long timer = vertx.setPeriodic(100, id -> {
                if (beats.incrementAndGet() >= 25) {
                    vertx.cancelTimer(id);
                    response.end("data: bye\n\n");
                } else {
                    response.write("data: beat\n\n");
                }
            });
            response.closeHandler(v -> {
                vertx.cancelTimer(timer);
                streamCut.set(true);
            });
        });
        String url = "https://localhost:" + port;
        Path bundle = bothCas(pki, dir);
        JsonObject config = trusting(Balancer.config(url).put("healthCheckInterval", "1h")
                .put("shutdownTimeout", "500ms").put("requestTimeout", "2s"), pki.caA());
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write("GET /events HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        assertTrue(SocketReads.head(in).startsWith("HTTP/1.1 200"));

        file.renameReplace(trusting(config.copy(), bundle));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);
        // The reload only takes effect in a proxy's pools with its next request to the backend.
        // New connections are spread over the proxy's event loops: a few reach the stream's one too.
        for (int i = 0; i < 4; i++) {
            RawHttp.Response other = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertEquals(200, other.status(), other::toString);
        }

        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        for (int i = 0; i < 10_000 && !seen.toString(StandardCharsets.ISO_8859_1).contains("\r\n0\r\n\r\n"); i++) {
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            seen.write(buffer, 0, n);
        }
        String rest = seen.toString(StandardCharsets.ISO_8859_1);
        assertTrue(rest.contains("data: bye"), "the stream was cut after " + beats.get() + " beats (backend saw close: "
                + streamCut.get() + "): " + rest.length() + " bytes");
    }

    /** A CA bundle trusting both of the PKI's CAs: an edit that still trusts the backend. */
    private static Path bothCas(TestPki pki, Path dir) throws IOException {
        Path bundle = dir.resolve("bundle.pem");
        Files.writeString(bundle, Files.readString(pki.caA()) + Files.readString(pki.caB()));
        return bundle;
    }
}
