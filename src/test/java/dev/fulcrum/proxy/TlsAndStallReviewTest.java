package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.dns.AddressResolverOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Adversarial review of two features, with real sockets on both sides of the real proxy: {@code https}
 * backends ({@code backendTls}: IP SANs, SNI, keep-alive, WebSocket, reloads, client certificates, expiry, hung
 * handshakes) and stall timeouts (a request in progress is cut when its body stops moving, never when it moves
 * slowly or waits on its backend). Certificates come from the JDK's keytool: a CA and leaves it signs.
 */
@ExtendWith(VertxExtension.class)
class TlsAndStallReviewTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String PASSWORD = "changeit";
    private static final String SNI_HOST = "api.fulcrum.test";
    /** A single-label name, as Docker Compose and Kubernetes short service names are. */
    private static final String SHORT_HOST = "payments";

    /** CA A, CA B, a leaf signed by A naming localhost, api.fulcrum.test, 127.0.0.1 and ::1; an expired one. */
    private static Path pki;
    private static Path caA;
    private static Path caB;
    private static Path goodLeaf;
    private static Path expiredLeaf;
    private static Path otherCaLeaf;

    private final List<Socket> sockets = new ArrayList<>();
    private final List<Vertx> ownVertx = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() throws Exception {
        pki = Files.createTempDirectory("fulcrum-review-pki");
        caA = ca("a");
        caB = ca("b");
        goodLeaf = leaf("good", "ca-a", "dns:localhost,dns:" + SNI_HOST + ",dns:" + SHORT_HOST + ",ip:127.0.0.1,ip:0:0:0:0:0:0:0:1", null, 30);
        expiredLeaf = leaf("expired", "ca-a", "dns:localhost,ip:127.0.0.1", "-10d", 2);
        otherCaLeaf = leaf("other", "ca-b", "dns:localhost,ip:127.0.0.1", null, 30);
    }

    @AfterEach
    void closeAll() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        for (Vertx vertx : ownVertx) {
            vertx.close().await();
        }
    }

    // =========================================================================================================
    // TLS
    // =========================================================================================================

    /** A backend given by IP address, whose certificate names that address (IP SAN), is verified and proxied. */
    @Test
    void httpsBackendByIpAddressWithIpSanIsProxied(Vertx vertx) {
        int port = tlsBackend(vertx, goodLeaf, new HttpServerOptions(), req -> req.response().end("by ip"));
        String url = "https://127.0.0.1:" + port;
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config(url), caA));

        assertEquals(HealthState.HEALTHY, backend(fulcrum, url).health(), backend(fulcrum, url).lastFailure());
        assertEquals(new Http.Reply(200, "by ip"), new Http(vertx, fulcrum.port()).get("/").await());
    }

    /** IPv6 literal: the Host header form is "[::1]", but the name checked against the certificate is ::1. */
    @Test
    void httpsBackendByIpv6AddressWithIpSanIsProxied(Vertx vertx) {
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PfxOptions().setPath(goodLeaf.toString()).setPassword(PASSWORD)));
        server.requestHandler(req -> req.response().end("by ipv6"));
        server.listen(0, "::1").await();
        String url = "https://[::1]:" + server.actualPort();
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config(url), caA));

        assertEquals(HealthState.HEALTHY, backend(fulcrum, url).health(), backend(fulcrum, url).lastFailure());
        assertEquals(new Http.Reply(200, "by ipv6"), new Http(vertx, fulcrum.port()).get("/").await());
    }

    /** A certificate that names only localhost does not name 127.0.0.1: the reason must say so. */
    @Test
    void ipAddressNotInTheCertificateIsReportedAsNotNamed(Vertx vertx) {
        io.vertx.core.net.SelfSignedCertificate localhostOnly = io.vertx.core.net.SelfSignedCertificate.create("localhost");
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(localhostOnly.keyCertOptions()));
        server.requestHandler(req -> req.response().end("x"));
        server.listen(0, "127.0.0.1").await();
        String url = "https://127.0.0.1:" + server.actualPort();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(url)
                .put("backendTls", new JsonObject().put("caFile", localhostOnly.certificatePath())));

        Backend backend = backend(fulcrum, url);
        assertEquals(HealthState.UNHEALTHY, backend.health());
        assertTrue(backend.lastFailure().startsWith("TLS handshake failed: the certificate does not name 127.0.0.1"),
                backend.lastFailure());
    }

    /**
     * SNI: a backend addressed by a host name sees that name in the ClientHello (virtual hosts on one TLS port
     * need it), with preserveHost true (the client's Host is some other name) and false alike.
     */
    @Test
    void sniNamesTheBackendHostWhateverTheClientsHost() {
        Vertx own = vertxResolving(SNI_HOST);
        Queue<String> serverNames = new ConcurrentLinkedQueue<>();
        Queue<String> hosts = new ConcurrentLinkedQueue<>();
        int port = tlsBackend(own, goodLeaf, new HttpServerOptions().setSni(true), req -> {
            serverNames.add(String.valueOf(req.connection().indicatedServerName()));
            hosts.add(String.valueOf(req.authority()));
            req.response().end("sni");
        });
        String url = "https://" + SNI_HOST + ":" + port;
        for (boolean preserveHost : new boolean[] {true, false}) {
            serverNames.clear();
            hosts.clear();
            Fulcrum fulcrum = Balancer.start(own, trusting(Balancer.config(url), caA)
                    .put("preserveHost", preserveHost).put("healthCheckInterval", "1h"));
            assertEquals(HealthState.HEALTHY, backend(fulcrum, url).health(), backend(fulcrum, url).lastFailure());

            RawHttp.Response response = RawHttp.send(fulcrum.port(),
                    "GET / HTTP/1.1\r\nHost: www.client-facing.example\r\nConnection: close\r\n\r\n");

            assertEquals(200, response.status(), response::toString);
            assertTrue(serverNames.stream().allMatch(SNI_HOST::equals),
                    "preserveHost " + preserveHost + ": server names seen " + serverNames);
            assertEquals(preserveHost ? "www.client-facing.example" : SNI_HOST + ":" + port,
                    List.copyOf(hosts).get(hosts.size() - 1), "preserveHost " + preserveHost);
            fulcrum.stop().await();
        }
    }

    /**
     * SNI for a single-label host name (https://payments:8443, a Compose or Kubernetes short service name): the
     * JDK sends no SNI for a name without a dot unless told to (Vert.x: forceSni), so a backend that picks its
     * certificate or virtual host by SNI never learns which one is wanted. Go's proxy sends it for any name.
     */
    @Test
    void sniIsSentForASingleLabelHostName() {
        Vertx own = vertxResolving(SHORT_HOST);
        Queue<String> serverNames = new ConcurrentLinkedQueue<>();
        int port = tlsBackend(own, goodLeaf, new HttpServerOptions().setSni(true), req -> {
            serverNames.add(String.valueOf(req.connection().indicatedServerName()));
            req.response().end("sni");
        });
        String url = "https://" + SHORT_HOST + ":" + port;
        Fulcrum fulcrum = Balancer.start(own, trusting(Balancer.config(url), caA).put("healthCheckInterval", "1h"));
        assertEquals(HealthState.HEALTHY, backend(fulcrum, url).health(), backend(fulcrum, url).lastFailure());

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        assertEquals(200, response.status(), response::toString);
        assertEquals(List.of(SHORT_HOST), List.copyOf(serverNames), "server names the backend saw");
    }

    /**
     * A handshake failure on the request path (the backend's certificate changed to one from an untrusted CA)
     * is retried on the other backend, a POST too: nothing was sent.
     */
    @Test
    void handshakeFailureOnTheRequestPathIsRetriedElsewhereForAPost(Vertx vertx) {
        int trusted = tlsBackend(vertx, goodLeaf, new HttpServerOptions(), req -> req.body().onSuccess(b -> req.response().end("a " + b)));
        int untrusted = tlsBackend(vertx, otherCaLeaf, new HttpServerOptions(), req -> req.response().end("never"));
        AtomicInteger target = new AtomicInteger(trusted);
        String switching = "https://localhost:" + relay(vertx, target);
        TestBackend plain = TestBackend.start(vertx, "b", req -> req.body().onSuccess(b -> req.response().end("b " + b)));
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config(switching, plain.url()), caA)
                .put("healthCheckInterval", "1h").put("consecutiveFailures", 100));
        assertEquals(HealthState.HEALTHY, backend(fulcrum, switching).health());
        target.set(untrusted);

        for (int i = 0; i < 2; i++) {
            RawHttp.Response post = RawHttp.send(fulcrum.port(),
                    "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
            assertEquals(new Http.Reply(200, "b hello"), new Http.Reply(post.status(), post.body()), post.toString());
        }
    }

    /**
     * A long-lived stream (server-sent events) on an https backend when a reload edits backendTls in a way that
     * still trusts the backend (a CA added to the bundle): the stream is no request of a backend or listener
     * that went away, so it must not be cut after shutdownTimeout.
     */
    @Test
    void streamOnAnHttpsBackendOutlivesABackendTlsEdit(Vertx vertx, @TempDir Path dir) throws IOException {
        AtomicBoolean streamCut = new AtomicBoolean();
        AtomicInteger beats = new AtomicInteger();
        int port = tlsBackend(vertx, goodLeaf, new HttpServerOptions(), req -> {
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
        Path bundle = dir.resolve("bundle.pem");
        Files.writeString(bundle, Files.readString(caA) + Files.readString(caB));
        JsonObject config = trusting(Balancer.config(url).put("healthCheckInterval", "1h")
                .put("shutdownTimeout", "500ms").put("requestTimeout", "2s"), caA);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Socket socket = connect(fulcrum.port());
        socket.getOutputStream().write("GET /events HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        assertTrue(RawResponse.readHead(in).startsWith("HTTP/1.1 200"));

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

    /** Keep-alive to an https backend: sequential requests share one TLS connection (no handshake per request). */
    @Test
    void tlsConnectionsAreReusedAcrossRequests(Vertx vertx) throws IOException {
        AtomicInteger connections = new AtomicInteger();
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PfxOptions().setPath(goodLeaf.toString()).setPassword(PASSWORD)));
        server.connectionHandler(c -> connections.incrementAndGet());
        server.requestHandler(req -> req.response().end("keep"));
        server.listen(0, "127.0.0.1").await();
        String url = "https://localhost:" + server.actualPort();
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config(url), caA).put("healthCheckInterval", "1h"));
        int afterProbe = connections.get();

        // One client connection, so the requests land on one proxy event loop, one after the other.
        Socket socket = connect(fulcrum.port());
        InputStream in = new BufferedInputStream(socket.getInputStream());
        for (int i = 0; i < 10; i++) {
            socket.getOutputStream().write(("GET /" + i + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            RawResponse response = RawResponse.read(in);
            assertEquals(new RawResponse(200, "keep"), response);
            Await.until("the backend connection is back in the pool", WAIT,
                    () -> backend(fulcrum, url).inFlight() == 0);
        }

        assertEquals(1, connections.get() - afterProbe, "TLS connections opened for 10 sequential requests");
    }

    @Test
    void webSocketToAnHttpsBackend(Vertx vertx) throws IOException {
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PfxOptions().setPath(goodLeaf.toString()).setPassword(PASSWORD)));
        server.webSocketHandler(ws -> ws.handler(frame -> ws.writeTextMessage(frame.toString() + " (tls echo)")));
        server.requestHandler(req -> req.response().end("probe"));
        server.listen(0, "127.0.0.1").await();
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config("https://localhost:" + server.actualPort()), caA));

        Socket socket = connect(fulcrum.port());
        InputStream in = webSocketHandshake(socket);
        sendText(socket, "hello");
        assertEquals("hello (tls echo)", readText(in));
    }

    @Test
    void httpAndHttpsBackendsMixInOneConfig(Vertx vertx) {
        int tls = tlsBackend(vertx, goodLeaf, new HttpServerOptions(), req -> req.response().end("tls"));
        TestBackend plain = TestBackend.start(vertx, "plain");
        // Round-robin: least-busy breaks ties at random, and one in 32 runs would send all six to one backend.
        JsonObject config = Balancer.config("https://localhost:" + tls, plain.url()).put("algorithm", "round-robin");
        Fulcrum fulcrum = Balancer.start(vertx, trusting(config, caA));
        Http http = new Http(vertx, fulcrum.port());

        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Http.Reply reply = http.get("/").await();
            assertEquals(200, reply.status(), reply.body());
            bodies.add(reply.body());
        }
        assertTrue(bodies.contains("tls") && bodies.contains("plain"), bodies.toString());
    }

    /**
     * A reload that changes only {@code verify} (false to true): the pooled connection made without any check
     * must not carry the next request, which must meet the new rule (the certificate is untrusted: no 200).
     */
    @Test
    void reloadChangingOnlyVerifyAppliesToPooledConnections(Vertx vertx, @TempDir Path dir) {
        int port = tlsBackend(vertx, goodLeaf, new HttpServerOptions(), req -> req.response().end("ok"));
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
        int port = tlsBackend(vertx, goodLeaf, new HttpServerOptions(), req -> req.response().end("ok"));
        String url = "https://localhost:" + port;
        Path caFile = Files.copy(caA, dir.resolve("ca.pem"));
        JsonObject config = Balancer.config(url).put("healthCheckInterval", "1h")
                .put("backendTls", new JsonObject().put("caFile", caFile.toString()));
        Fulcrum fulcrum = Balancer.startWatching(vertx, ConfigFile.plain(dir, config));
        Http http = new Http(vertx, fulcrum.port());
        assertEquals(200, http.get("/").await().status());

        Files.copy(caB, caFile, StandardCopyOption.REPLACE_EXISTING);
        fulcrum.rescan();
        Await.until("the rescan applied", WAIT, () -> fulcrum.status().generation() == 2);

        Http.Reply reply = http.get("/").await();
        assertEquals(502, reply.status(), reply.toString());
        assertEquals("backend TLS handshake failed", reply.body().trim());
    }

    /** A request in flight on the old pool when backendTls changes finishes normally; new ones are served too. */
    @Test
    void requestInFlightWhenBackendTlsChangesFinishes(Vertx vertx, @TempDir Path dir) throws IOException {
        AtomicInteger requests = new AtomicInteger();
        int port = tlsBackend(vertx, goodLeaf, new HttpServerOptions(), req -> {
            if (requests.incrementAndGet() == 1) {
                vertx.setTimer(800, id -> req.response().end("slow"));
            } else {
                req.response().end("fast");
            }
        });
        String url = "https://localhost:" + port;
        Path bundle = dir.resolve("bundle.pem");
        Files.writeString(bundle, Files.readString(caA) + Files.readString(caB));
        JsonObject config = trusting(Balancer.config(url).put("healthCheckInterval", "1h"), caA);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());

        var slow = http.get("/slow");
        Await.until("the slow request reached the backend", WAIT, () -> requests.get() == 1);
        file.renameReplace(trusting(config.copy(), bundle));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);
        assertEquals(new Http.Reply(200, "fast"), http.get("/fast").await());

        assertEquals(new Http.Reply(200, "slow"), slow.await());
        Await.until("nothing in flight", WAIT, () -> backend(fulcrum, url).inFlight() == 0);
    }

    /**
     * A backend that demands a client certificate (Fulcrum has none to give): the reason an operator reads must
     * say the backend wants a client certificate, not a bare "connection failed" / "Connection was closed".
     */
    @Test
    void backendRequiringAClientCertificateIsReportedClearly(Vertx vertx) {
        int port = tlsBackend(vertx, goodLeaf, new HttpServerOptions().setClientAuth(ClientAuth.REQUIRED)
                .setTrustOptions(new PemTrustOptions().addCertPath(caA.toString())), req -> req.response().end("mtls"));
        String url = "https://localhost:" + port;
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config(url), caA));

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
        int plainTls = tlsBackend(vertx, goodLeaf, new HttpServerOptions(), req -> req.response().end("ok"));
        int mtls = tlsBackend(vertx, goodLeaf, new HttpServerOptions().setClientAuth(ClientAuth.REQUIRED)
                .setTrustOptions(new PemTrustOptions().addCertPath(caA.toString())), req -> req.response().end("mtls"));
        AtomicInteger target = new AtomicInteger(plainTls);
        String url = "https://localhost:" + relay(vertx, target);
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config(url), caA).put("healthCheckInterval", "1h")
                .put("consecutiveFailures", 1));
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
        int port = tlsBackend(vertx, expiredLeaf, new HttpServerOptions(), req -> req.response().end("old"));
        String url = "https://localhost:" + port;
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config(url), caA));

        Backend backend = backend(fulcrum, url);
        assertEquals(HealthState.UNHEALTHY, backend.health());
        assertTrue(backend.lastFailure().startsWith("TLS handshake failed: the certificate has expired"),
                backend.lastFailure());
    }

    /**
     * An https backend that accepts TCP connections but never completes the TLS handshake (a hung process, a
     * plain-HTTP port by mistake that waits for a request line): nothing was sent, so the request goes to the
     * other backend, whatever its method, as README's "Retries" promises for a TLS handshake failure.
     */
    @Test
    void hungTlsHandshakeIsRetriedElsewhereForAPost(Vertx vertx) {
        AtomicBoolean hang = new AtomicBoolean(false);
        int port = switchableTlsBackend(vertx, hang);
        String hungUrl = "https://localhost:" + port;
        TestBackend healthy = TestBackend.start(vertx, "healthy", req -> req.body().onSuccess(b -> req.response().end("took " + b)));
        JsonObject config = trusting(Balancer.config(hungUrl, healthy.url()), caA).put("connectTimeout", "300ms")
                .put("requestTimeout", "3s").put("healthCheckInterval", "1h").put("consecutiveFailures", 100)
                .put("algorithm", "round-robin");
        Fulcrum fulcrum = Balancer.start(vertx, config);
        assertEquals(HealthState.HEALTHY, backend(fulcrum, hungUrl).health(), backend(fulcrum, hungUrl).lastFailure());
        hang.set(true);

        // Round robin (one balancer per proxy event loop): of four requests, some meet the hung backend first.
        for (int i = 0; i < 4; i++) {
            long start = System.nanoTime();
            RawHttp.Response post = RawHttp.send(fulcrum.port(),
                    "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(new Http.Reply(200, "took hello"), new Http.Reply(post.status(), post.body()),
                    "POST " + i + " after " + tookMillis + " ms: " + post);
            assertTrue(tookMillis < 2_500, "POST " + i + " took " + tookMillis + " ms");
        }
    }

    /**
     * The same hung handshake as the only backend, in rotation (unknown health, probes far apart): the client
     * must hear within about connectTimeout that the backend did not accept the connection in time (504), the
     * way a TCP connect timeout is reported: not wait for Vert.x's 10 s SSL handshake timeout, and not be told
     * "backend connection failed".
     */
    @Test
    void hungTlsHandshakeIsBoundedByConnectTimeoutAndReportedAsSuch(Vertx vertx) {
        AtomicBoolean hang = new AtomicBoolean(false);
        int port = switchableTlsBackend(vertx, hang);
        String url = "https://localhost:" + port;
        JsonObject config = trusting(Balancer.config(url), caA).put("connectTimeout", "300ms")
                .put("requestTimeout", "3s").put("healthCheckInterval", "1h").put("consecutiveFailures", 100);
        Fulcrum fulcrum = Balancer.start(vertx, config);
        assertEquals(HealthState.HEALTHY, backend(fulcrum, url).health(), backend(fulcrum, url).lastFailure());
        hang.set(true);

        long start = System.nanoTime();
        RawHttp.Response get = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        long getMillis = (System.nanoTime() - start) / 1_000_000;
        start = System.nanoTime();
        RawHttp.Response post = RawHttp.send(fulcrum.port(),
                "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        long postMillis = (System.nanoTime() - start) / 1_000_000;

        assertTrue(getMillis < 2_500 && postMillis < 2_500, "GET took " + getMillis + " ms, POST " + postMillis + " ms");
        assertEquals(504, get.status(), get::toString);
        assertEquals("backend did not accept the connection in time", get.body().trim());
        assertEquals(504, post.status(), post::toString);
        assertEquals("backend did not accept the connection in time", post.body().trim());
    }

    /**
     * A POST to an https backend whose TLS handshake is slow (700 ms through a slow link) but well within
     * connectTimeout: the client has sent everything and waits on the backend; clientIdleTimeout (400 ms) must
     * not cut it ("a request waiting on a slow backend is never cut by it").
     */
    @Test
    void postWaitingOnASlowTlsHandshakeIsNotCutByClientIdleTimeout(Vertx vertx) {
        int tls = tlsBackend(vertx, goodLeaf, new HttpServerOptions(),
                req -> req.body().onSuccess(body -> req.response().end("got " + body)));
        int slowLink = delayingRelay(vertx, tls, 700);
        String post = "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
        JsonObject config = trusting(Balancer.config("https://localhost:" + slowLink), caA)
                .put("connectTimeout", "3s").put("requestTimeout", "3s").put("clientIdleTimeout", "5s")
                .put("healthCheckInterval", "1h").put("healthCheck", new JsonObject().put("timeout", "3s"));
        // Control: with a long clientIdleTimeout the slow link works.
        Fulcrum control = Balancer.start(vertx, config);
        RawHttp.Response controlResponse = RawHttp.send(control.port(), post);
        assertEquals(200, controlResponse.status(), controlResponse::toString);
        control.stop().await();

        Fulcrum fulcrum = Balancer.start(vertx, config.copy().put("clientIdleTimeout", "400ms"));
        RawHttp.Response response = RawHttp.send(fulcrum.port(), post);

        assertEquals(200, response.status(), response::toString);
        assertEquals("got hello", response.body());
    }

    /** Same slow handshake, WebSocket upgrade: the handshake must complete, not be cut by clientIdleTimeout. */
    @Test
    void webSocketUpgradeWaitingOnASlowTlsHandshakeIsNotCut(Vertx vertx) throws IOException {
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PfxOptions().setPath(goodLeaf.toString()).setPassword(PASSWORD)));
        server.webSocketHandler(ws -> ws.handler(frame -> ws.writeTextMessage(frame.toString() + " (echo)")));
        server.requestHandler(req -> req.response().end("probe"));
        server.listen(0, "127.0.0.1").await();
        int slowLink = delayingRelay(vertx, server.actualPort(), 700);
        JsonObject config = trusting(Balancer.config("https://localhost:" + slowLink), caA)
                .put("connectTimeout", "3s").put("requestTimeout", "3s").put("clientIdleTimeout", "5s")
                .put("healthCheckInterval", "1h").put("healthCheck", new JsonObject().put("timeout", "3s"));
        Fulcrum control = Balancer.start(vertx, config);
        Socket controlSocket = connect(control.port());
        InputStream controlIn = webSocketHandshake(controlSocket);
        sendText(controlSocket, "control");
        assertEquals("control (echo)", readText(controlIn), "with a long clientIdleTimeout the slow link works");
        controlSocket.close();
        control.stop().await();
        Fulcrum fulcrum = Balancer.start(vertx, config.copy().put("clientIdleTimeout", "400ms"));

        Socket socket = connect(fulcrum.port());
        InputStream in = webSocketHandshake(socket);
        sendText(socket, "hi");
        assertEquals("hi (echo)", readText(in));
    }

    // =========================================================================================================
    // Stall timeouts: legitimate traffic is never cut
    // =========================================================================================================

    /** Server-sent events with a heartbeat every 100 ms, for 2 s, under 500 ms timeouts: never cut. */
    @Test
    void serverSentEventsWithFrequentHeartbeatsAreNeverCut(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "sse", req -> {
            HttpServerResponse response = req.response().setChunked(true).putHeader("content-type", "text/event-stream");
            response.write(": open\n\n");
            AtomicInteger sent = new AtomicInteger();
            vertx.setPeriodic(100, id -> {
                if (sent.incrementAndGet() > 20) {
                    vertx.cancelTimer(id);
                    response.end("data: bye\n\n");
                } else {
                    response.write("data: " + sent.get() + "\n\n");
                }
            });
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "500ms").put("clientIdleTimeout", "500ms"));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");

        assertEquals(200, response.status(), response::toString);
        assertTrue(response.body().endsWith("data: bye\n\n"), response.body());
        assertTrue(response.body().contains("data: 20\n\n"), response.body());
    }

    /** A long poll: the backend sends its headers after 800 ms (under requestTimeout 2 s, over clientIdleTimeout). */
    @Test
    void longPollAnsweredBeforeRequestTimeoutIsNotCutByClientIdleTimeout(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "poll", req -> vertx.setTimer(800, id -> req.response().end("event")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "2s").put("clientIdleTimeout", "400ms"));

        RawHttp.Response get = RawHttp.send(fulcrum.port(), "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n");
        RawHttp.Response post = RawHttp.send(fulcrum.port(),
                "POST /poll HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");

        assertEquals(200, get.status(), get::toString);
        assertEquals(200, post.status(), post::toString);
    }

    /** An upload of 100 bytes every 100 ms for 2 s, under 500 ms timeouts: never cut. */
    @Test
    void slowButSteadyUploadIsNeverCut(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "sink", req -> req.body().onSuccess(b -> req.response().end("got " + b.length())));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "500ms").put("clientIdleTimeout", "500ms").put("requestHeaderTimeout", "500ms"));
        Socket socket = connect(fulcrum.port());
        OutputStream out = socket.getOutputStream();
        out.write("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        byte[] piece = "x".repeat(100).getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < 20; i++) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // pacing the upload, not waiting for a state
            out.write(piece);
            out.flush();
        }
        RawResponse response = RawResponse.read(new BufferedInputStream(socket.getInputStream()));
        assertEquals(200, response.status(), response::toString);
        assertEquals("got 2000", response.body());
    }

    /** A Content-Length download of 100 bytes every 100 ms for 2 s, under 500 ms timeouts: never cut. */
    @Test
    void slowButSteadyDownloadIsNeverCut(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "drip", req -> {
            HttpServerResponse response = req.response().putHeader("content-length", "2000");
            AtomicInteger sent = new AtomicInteger();
            vertx.setPeriodic(100, id -> {
                response.write("y".repeat(100));
                if (sent.incrementAndGet() == 20) {
                    vertx.cancelTimer(id);
                    response.end();
                }
            });
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "500ms").put("clientIdleTimeout", "500ms"));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET /drip HTTP/1.1\r\nHost: x\r\n\r\n");

        assertEquals(200, response.status(), response::toString);
        assertEquals(2000, response.body().length());
    }

    /**
     * A large upload to a backend that stops reading for 1 s (it is busy, say writing what it got) and then reads
     * the rest. The client keeps sending the whole time (TCP holds it back): it has not "stopped sending its
     * upload", and the backend's pause is far under requestTimeout (3 s). clientIdleTimeout (500 ms) must not
     * cut it.
     */
    @Test
    void uploadToABackendThatPausesReadingIsNotCutByClientIdleTimeout(Vertx vertx) throws Exception {
        long total = 24L * 1024 * 1024;
        AtomicLong received = new AtomicLong();
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setReceiveBufferSize(32 * 1024));
        server.requestHandler(req -> {
            if ("fulcrum-health-check".equals(req.getHeader("user-agent"))) {
                req.response().end();
                return;
            }
            req.handler(chunk -> {
                long before = received.getAndAdd(chunk.length());
                if (before < 1024 * 1024 && before + chunk.length() >= 1024 * 1024) {
                    req.pause();
                    vertx.setTimer(1000, id -> req.resume());
                }
            });
            req.endHandler(v -> req.response().end("got " + received.get()));
        });
        server.listen(0, "127.0.0.1").await();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + server.actualPort())
                .put("requestTimeout", "3s").put("clientIdleTimeout", "500ms"));

        RawResponse response = upload(fulcrum.port(), total);

        assertEquals(200, response.status(), () -> "backend got " + received.get() + " of " + total + ": " + response);
        assertEquals("got " + total, response.body());
    }

    /**
     * The same upload to a backend that reads slowly but steadily (a chunk every 10 ms, a few MB/s): the
     * request moves the whole time, so it must never be cut.
     */
    @Test
    void uploadToASlowButSteadyReaderIsNotCut(Vertx vertx) throws Exception {
        long total = 12L * 1024 * 1024;
        AtomicLong received = new AtomicLong();
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setReceiveBufferSize(32 * 1024));
        server.requestHandler(req -> {
            if ("fulcrum-health-check".equals(req.getHeader("user-agent"))) {
                req.response().end();
                return;
            }
            req.pause();
            req.handler(chunk -> received.addAndGet(chunk.length()));
            req.endHandler(v -> req.response().end("got " + received.get()));
            long timer = vertx.setPeriodic(5, id -> req.fetch(4));
            req.response().closeHandler(v -> vertx.cancelTimer(timer));
            req.response().endHandler(v -> vertx.cancelTimer(timer));
        });
        server.listen(0, "127.0.0.1").await();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + server.actualPort())
                .put("requestTimeout", "3s").put("clientIdleTimeout", "500ms"));

        RawResponse response = upload(fulcrum.port(), total);

        assertEquals(200, response.status(), () -> "backend got " + received.get() + " of " + total + ": " + response);
        assertEquals("got " + total, response.body());
    }

    /**
     * A client that reads its large download slowly but steadily (64 KiB every 20 ms): it is reading, so it must
     * not be taken for "a reader that never reads".
     */
    @Test
    void downloadToASlowButSteadyReaderIsNotCut(Vertx vertx) throws IOException {
        int total = 12 * 1024 * 1024;
        Buffer chunk = Http.bytes(64 * 1024, 7);
        TestBackend backend = TestBackend.start(vertx, "big", req -> {
            HttpServerResponse response = req.response().putHeader("content-length", String.valueOf(total));
            pump(response, chunk, total, new AtomicLong());
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "3s")
                // Progress shows as the kernel takes bytes, about a third of the socket's send buffer at a time.
                .put("clientIdleTimeout", "1500ms"));
        Socket socket = new Socket();
        socket.setReceiveBufferSize(64 * 1024);
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", fulcrum.port()));
        socket.setSoTimeout(5_000);
        sockets.add(socket);
        socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[64 * 1024];
        long started = System.nanoTime();
        long read = 0;
        long headEnd = -1;
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        boolean closed = false;
        for (int i = 0; i < 100_000 && (headEnd < 0 || read - headEnd < total); i++) {
            int n = in.read(buffer);
            if (n < 0) {
                closed = true;
                break;
            }
            if (headEnd < 0) {
                head.write(buffer, 0, n);
                int at = head.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
                if (at >= 0) {
                    headEnd = read + at + 4;
                }
            }
            read += n;
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // a slow reader's pace
        }
        assertTrue(!closed && headEnd >= 0 && read - headEnd == total,
                "the slow reader (64 KiB every 20 ms, never pausing) got " + (read - Math.max(headEnd, 0)) + " of " + total
                        + " bytes, closed: " + closed + " after " + (System.nanoTime() - started) / 1_000_000 + " ms");
    }

    /** A WebSocket idle for 1.2 s under 300 ms timeouts is not closed by them; frames still flow after. */
    @Test
    void idleWebSocketOutlivesBothTimeouts(Vertx vertx) throws IOException {
        HttpServer server = vertx.createHttpServer()
                .webSocketHandler(ws -> ws.handler(frame -> ws.writeTextMessage(frame.toString() + " (echo)")))
                .requestHandler(req -> req.response().end("probe"));
        server.listen(0, "127.0.0.1").await();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + server.actualPort())
                .put("requestTimeout", "300ms").put("clientIdleTimeout", "300ms").put("requestHeaderTimeout", "300ms"));
        Socket socket = connect(fulcrum.port());
        InputStream in = webSocketHandshake(socket);
        sendText(socket, "one");
        assertEquals("one (echo)", readText(in));

        socket.setSoTimeout(1_200);
        try {
            int b = in.read();
            throw new AssertionError("the idle WebSocket was closed or got data: " + b);
        } catch (SocketTimeoutException stillOpen) {
            // idle, and still open
        }
        socket.setSoTimeout(5_000);
        sendText(socket, "two");
        assertEquals("two (echo)", readText(in));
    }

    /** A WebSocket handshake the backend answers after 700 ms (auth): not cut by clientIdleTimeout (300 ms). */
    @Test
    void slowWebSocketHandshakeIsNotCutByClientIdleTimeout(Vertx vertx) throws IOException {
        HttpServer server = vertx.createHttpServer()
                .requestHandler(req -> {
                    if ("fulcrum-health-check".equals(req.getHeader("user-agent"))) {
                        req.response().end();
                        return;
                    }
                    req.pause();
                    vertx.setTimer(700, id -> req.toWebSocket().onSuccess(ws ->
                            ws.handler(frame -> ws.writeTextMessage(frame.toString() + " (echo)"))));
                });
        server.listen(0, "127.0.0.1").await();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + server.actualPort())
                .put("requestTimeout", "3s").put("clientIdleTimeout", "300ms"));
        Socket socket = connect(fulcrum.port());
        InputStream in = webSocketHandshake(socket);
        sendText(socket, "late");
        assertEquals("late (echo)", readText(in));
    }

    /** Pipelined requests whose first answer takes 700 ms (headers): both answered, in order, under 300 ms idle. */
    @Test
    void pipelinedRequestsBehindASlowAnswerAreNotCut(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "slow-first", req -> {
            if (req.path().equals("/slow")) {
                vertx.setTimer(700, id -> req.response().end("slow"));
            } else {
                req.response().end("fast");
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "3s").put("clientIdleTimeout", "300ms"));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(),
                "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 3);

        assertEquals(List.of("slow", "fast", "fast"), responses.stream().map(RawHttp.Response::body).toList(),
                responses::toString);
    }

    /**
     * An HTTP/1.0 client (the proxy counts a body of unknown length before sending anything) whose backend sends
     * its headers and 10 bytes, then nothing: the backend is silent mid-body, so the exchange must end after
     * requestTimeout like any other stalled body, not hold the client, the backend connection and the in-flight
     * slot for ever.
     */
    @Test
    void http10ClientWhoseBackendStallsMidBodyIsCutAfterRequestTimeout(Vertx vertx) throws IOException {
        AtomicBoolean backendClosed = new AtomicBoolean();
        NetServer raw = vertx.createNetServer().connectHandler(so -> so.handler(data -> {
            String text = data.toString(StandardCharsets.ISO_8859_1);
            if (text.toLowerCase().contains("user-agent: fulcrum-health-check")) {
                so.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            } else if (text.startsWith("GET /stall")) {
                so.closeHandler(v -> backendClosed.set(true));
                so.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n");
            }
        }));
        int port = raw.listen(0, "127.0.0.1").await().actualPort();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port)
                .put("requestTimeout", "500ms").put("clientIdleTimeout", "500ms").put("healthCheckInterval", "1h"));
        Socket socket = connect(fulcrum.port());
        socket.getOutputStream().write("GET /stall HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        socket.setSoTimeout(3_000);

        String received;
        try {
            received = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("3 s after the backend went silent mid-body the HTTP/1.0 client is still held"
                    + " (in flight: " + fulcrum.backends().all().get(0).inFlight() + ")");
        }
        assertTrue(!received.startsWith("HTTP/1.1 200") || !received.contains("Content-Length: 10"),
                "a cut body passed off as complete: " + received);
        Await.until("nothing in flight", WAIT, () -> fulcrum.backends().all().get(0).inFlight() == 0);
        Await.until("the backend connection is closed", WAIT, backendClosed::get);
    }

    /** A backend slower than requestTimeout to send headers: 504 by design, in about requestTimeout. */
    @Test
    void backendSlowerThanRequestTimeoutIs504(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "slower", req -> vertx.setTimer(1500, id -> req.response().end("late")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "400ms").put("clientIdleTimeout", "5s").put("consecutiveFailures", 100));

        long start = System.nanoTime();
        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        long took = (System.nanoTime() - start) / 1_000_000;

        assertEquals(504, response.status(), response::toString);
        assertTrue(took < 1_400, "took " + took + " ms");
        Await.until("nothing in flight", WAIT, () -> fulcrum.backends().all().get(0).inFlight() == 0);
    }

    // =========================================================================================================
    // Stall timeouts: a cut leaves nothing behind
    // =========================================================================================================

    /**
     * A backend stalling mid-body during a drain: it is cut after requestTimeout; the in-flight count is back
     * to 0, the backend's connection is closed, and the drain counts it as cut off, not finished.
     */
    @Test
    void backendStallCutDuringDrainIsCountedAsCutOffAndClosesTheBackendConnection(Vertx vertx) throws IOException {
        AtomicBoolean backendClosed = new AtomicBoolean();
        AtomicInteger served = new AtomicInteger();
        NetServer raw = vertx.createNetServer().connectHandler(so -> {
            so.closeHandler(v -> {
                if (served.get() > 0) {
                    backendClosed.set(true);
                }
            });
            so.handler(data -> {
                String text = data.toString(StandardCharsets.ISO_8859_1);
                if (text.toLowerCase().contains("user-agent: fulcrum-health-check")) {
                    so.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                } else if (text.startsWith("GET /stall")) {
                    served.incrementAndGet();
                    so.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
                }
            });
        });
        int port = raw.listen(0, "127.0.0.1").await().actualPort();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port)
                .put("requestTimeout", "500ms").put("clientIdleTimeout", "500ms").put("shutdownTimeout", "5s")
                .put("healthCheckInterval", "1h"));
        Socket socket = connect(fulcrum.port());
        socket.getOutputStream().write("GET /stall HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        assertTrue(RawResponse.readHead(in).startsWith("HTTP/1.1 200"));

        long start = System.nanoTime();
        Drained drained = fulcrum.shutdown().await();
        long took = (System.nanoTime() - start) / 1_000_000;

        assertEquals(new Drained(0, 1), drained);
        assertTrue(took < 3_000, "the stalled exchange held the drain for " + took + " ms");
        Await.until("the backend's connection is closed", WAIT, backendClosed::get);
        assertEquals(0, fulcrum.backends().all().get(0).inFlight());
    }

    /** A client stalling mid-upload during a drain: cut after clientIdleTimeout, counted as cut off, slot back. */
    @Test
    void clientStallCutDuringDrainIsCountedAsCutOff(Vertx vertx) throws IOException {
        AtomicInteger backendAborted = new AtomicInteger();
        AtomicInteger backendRequests = new AtomicInteger();
        TestBackend backend = TestBackend.start(vertx, "reader", req -> {
            backendRequests.incrementAndGet();
            req.exceptionHandler(error -> backendAborted.incrementAndGet());
            req.body().onSuccess(body -> req.response().end("got " + body.length()));
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "500ms")
                .put("clientIdleTimeout", "500ms").put("shutdownTimeout", "5s"));
        Socket socket = connect(fulcrum.port());
        socket.getOutputStream().write("POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789"
                .getBytes(StandardCharsets.ISO_8859_1));
        Await.until("the backend has the request", WAIT, () -> backendRequests.get() == 1);

        Drained drained = fulcrum.shutdown().await();

        assertEquals(new Drained(0, 1), drained);
        assertEquals(0, fulcrum.backends().all().get(0).inFlight());
        Await.until("the backend's request is ended too", WAIT, () -> backendAborted.get() == 1);
    }

    /** A client that never reads its large response, during a drain: cut, counted as cut off, backend closed. */
    @Test
    void clientThatNeverReadsCutDuringDrainIsCountedAsCutOff(Vertx vertx) throws IOException {
        Buffer chunk = Http.bytes(64 * 1024, 3);
        AtomicBoolean backendResponseClosed = new AtomicBoolean();
        TestBackend backend = TestBackend.start(vertx, "big", req -> {
            HttpServerResponse response = req.response().setChunked(true);
            response.closeHandler(v -> backendResponseClosed.set(true));
            pump(response, chunk, 64L * 1024 * 1024, new AtomicLong());
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "500ms")
                .put("clientIdleTimeout", "500ms").put("shutdownTimeout", "5s"));
        Socket socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024);
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", fulcrum.port()));
        sockets.add(socket);
        socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        Await.until("the exchange is in flight", WAIT, () -> fulcrum.backends().all().get(0).inFlight() == 1);

        Drained drained = fulcrum.shutdown().await();

        assertEquals(new Drained(0, 1), drained);
        assertEquals(0, fulcrum.backends().all().get(0).inFlight());
        Await.until("the backend's response is closed", WAIT, backendResponseClosed::get);
    }

    // =========================================================================================================
    // helpers
    // =========================================================================================================

    private static Backend backend(Fulcrum fulcrum, String url) {
        return fulcrum.backends().find(url).orElseThrow();
    }

    private static JsonObject trusting(JsonObject config, Path caFile) {
        return config.put("backendTls", new JsonObject().put("caFile", caFile.toString()));
    }

    private Vertx vertxResolving(String host) {
        Vertx own = Vertx.vertx(new VertxOptions().setAddressResolverOptions(new AddressResolverOptions()
                .setHostsValue(Buffer.buffer("127.0.0.1 " + host + "\n127.0.0.1 localhost\n"))));
        ownVertx.add(own);
        return own;
    }

    /** An https server with {@code keystore}'s key and chain, answering Fulcrum's probes 200. */
    private static int tlsBackend(Vertx vertx, Path keystore, HttpServerOptions options, Handler<HttpServerRequest> handler) {
        HttpServer server = vertx.createHttpServer(options.setSsl(true)
                .setKeyCertOptions(new PfxOptions().setPath(keystore.toString()).setPassword(PASSWORD)));
        server.requestHandler(req -> {
            if ("fulcrum-health-check".equals(req.getHeader("user-agent"))) {
                req.response().end();
            } else {
                handler.handle(req);
            }
        });
        return server.listen(0, "127.0.0.1").await().actualPort();
    }

    /** A relay to a real TLS backend that, once {@code hang} is set, accepts new connections and relays nothing. */
    private static int switchableTlsBackend(Vertx vertx, AtomicBoolean hang) {
        int tls = tlsBackend(vertx, goodLeaf, new HttpServerOptions(), req -> req.response().end("ok"));
        AtomicInteger target = new AtomicInteger(tls);
        int port = relay(vertx, target);
        return hangWhen(vertx, port, hang);
    }

    private static int hangWhen(Vertx vertx, int port, AtomicBoolean hang) {
        NetServer front = vertx.createNetServer().connectHandler(client -> {
            if (hang.get()) {
                client.handler(data -> { });
                return;
            }
            pipe(vertx, client, port);
        });
        return front.listen(0, "127.0.0.1").await().actualPort();
    }

    /** A TCP relay to whichever port {@code target} holds when a connection arrives. */
    private static int relay(Vertx vertx, AtomicInteger target) {
        NetServer relay = vertx.createNetServer().connectHandler(client -> pipe(vertx, client, target.get()));
        return relay.listen(0, "127.0.0.1").await().actualPort();
    }

    private static void pipe(Vertx vertx, NetSocket client, int port) {
        client.pause();
        vertx.createNetClient().connect(port, "127.0.0.1").onSuccess(upstream -> {
            client.handler(upstream::write);
            upstream.handler(client::write);
            client.closeHandler(v -> upstream.close());
            upstream.closeHandler(v -> client.close());
            client.resume();
        }).onFailure(e -> client.close());
    }

    /** A TCP relay to {@code target} that holds each new connection's first bytes for {@code delayMillis} (a slow link). */
    private static int delayingRelay(Vertx vertx, int target, long delayMillis) {
        NetServer relay = vertx.createNetServer().connectHandler(client -> {
            client.pause();
            vertx.createNetClient().connect(target, "127.0.0.1").onSuccess(upstream -> {
                AtomicBoolean first = new AtomicBoolean(true);
                upstream.handler(data -> {
                    if (first.compareAndSet(true, false)) {
                        upstream.pause();
                        vertx.setTimer(delayMillis, id -> {
                            client.write(data);
                            upstream.resume();
                        });
                    } else {
                        client.write(data);
                    }
                });
                client.handler(upstream::write);
                client.closeHandler(v -> upstream.close());
                upstream.closeHandler(v -> client.close());
                client.resume();
            }).onFailure(e -> client.close());
        });
        return relay.listen(0, "127.0.0.1").await().actualPort();
    }

    private static void pump(HttpServerResponse response, Buffer chunk, long total, AtomicLong written) {
        for (int i = 0; i < 10_000 && written.get() < total && !response.writeQueueFull(); i++) {
            int size = (int) Math.min(chunk.length(), total - written.get());
            response.write(size == chunk.length() ? chunk : chunk.getBuffer(0, size));
            written.addAndGet(size);
        }
        if (written.get() >= total) {
            response.end();
        } else if (response.writeQueueFull()) {
            response.drainHandler(v -> pump(response, chunk, total, written));
        } else {
            Vertx.currentContext().runOnContext(v -> pump(response, chunk, total, written));
        }
    }

    /** Sends {@code total} bytes as fast as TCP lets it, on another thread, and reads the response. */
    private RawResponse upload(int port, long total) throws Exception {
        Socket socket = connect(port);
        socket.setSoTimeout(20_000);
        OutputStream out = socket.getOutputStream();
        AtomicReference<IOException> writeError = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                out.write(("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + total + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                byte[] block = new byte[64 * 1024];
                for (long sent = 0; sent < total; sent += block.length) {
                    out.write(block, 0, (int) Math.min(block.length, total - sent));
                }
                out.flush();
            } catch (IOException e) {
                writeError.set(e);
            }
        });
        writer.start();
        RawResponse response;
        try {
            response = RawResponse.read(new BufferedInputStream(socket.getInputStream()));
        } catch (IOException e) {
            response = new RawResponse(0, "connection ended: " + e + "; writer: " + writeError.get());
        }
        socket.close();
        writer.join(10_000);
        return response;
    }

    private Socket connect(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(5_000);
        sockets.add(socket);
        return socket;
    }

    private static InputStream webSocketHandshake(Socket socket) throws IOException {
        socket.getOutputStream().write(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        String head = RawResponse.readHead(in);
        assertTrue(head.startsWith("HTTP/1.1 101"), "handshake answered: " + head);
        return in;
    }

    /** A masked text frame (the mask is all zeros, so the payload is sent as is). */
    private static void sendText(Socket socket, String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0x81);
        frame.write(0x80 | payload.length);
        frame.write(new byte[4]);
        frame.write(payload);
        socket.getOutputStream().write(frame.toByteArray());
        socket.getOutputStream().flush();
    }

    private static String readText(InputStream in) throws IOException {
        int first = in.read();
        int second = in.read();
        if (first < 0 || second < 0) {
            throw new EOFException("closed instead of a frame");
        }
        int length = second & 0x7f;
        byte[] payload = in.readNBytes(length);
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** A response read from a stream: status and body (Content-Length or chunked). */
    record RawResponse(int status, String body) {

        static String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            for (int i = 0; i < 64 * 1024; i++) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("closed in the head: " + head.toString(StandardCharsets.ISO_8859_1));
                }
                head.write(b);
                String text = head.toString(StandardCharsets.ISO_8859_1);
                if (text.endsWith("\r\n\r\n")) {
                    return text;
                }
            }
            throw new IOException("head too long");
        }

        static RawResponse read(InputStream in) throws IOException {
            String head = readHead(in);
            int status = Integer.parseInt(head.substring(9, 12));
            String lower = head.toLowerCase();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            int at = lower.indexOf("content-length:");
            if (at >= 0) {
                int length = Integer.parseInt(lower.substring(at + 15, lower.indexOf("\r\n", at)).trim());
                body.writeBytes(in.readNBytes(length));
            } else if (lower.contains("transfer-encoding: chunked")) {
                for (int i = 0; i < 100_000; i++) {
                    String line = line(in);
                    int size = Integer.parseInt(line.split(";")[0].trim(), 16);
                    if (size == 0) {
                        line(in);
                        break;
                    }
                    body.writeBytes(in.readNBytes(size));
                    line(in);
                }
            }
            return new RawResponse(status, body.toString(StandardCharsets.ISO_8859_1));
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < 1024; i++) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException();
                }
                if (b == '\n') {
                    return line.toString().trim();
                }
                line.append((char) b);
            }
            throw new IOException("line too long");
        }
    }

    // ---- certificates, made with the JDK's keytool ------------------------------------------------------------

    private static Path ca(String name) throws Exception {
        Path store = pki.resolve("ca-" + name + ".p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=Fulcrum Review CA " + name, "-ext", "bc:c", "-validity", "30",
                "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        Path pem = pki.resolve("ca-" + name + ".pem");
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", store.toString(), "-storepass", PASSWORD,
                "-file", pem.toString());
        return pem;
    }

    private static Path leaf(String name, String ca, String san, String startDate, int validityDays) throws Exception {
        Path store = pki.resolve(name + ".p12");
        keytool("-genkeypair", "-alias", "leaf", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-validity", "30", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        Path csr = pki.resolve(name + ".csr");
        keytool("-certreq", "-alias", "leaf", "-keystore", store.toString(), "-storepass", PASSWORD, "-file", csr.toString());
        Path cert = pki.resolve(name + ".pem");
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore",
                pki.resolve(ca + ".p12").toString(), "-storepass", PASSWORD, "-infile", csr.toString(),
                "-outfile", cert.toString(), "-rfc", "-ext", "SAN=" + san, "-validity", String.valueOf(validityDays)));
        if (startDate != null) {
            gencert.add("-startdate");
            gencert.add(startDate);
        }
        keytool(gencert.toArray(String[]::new));
        Path chain = pki.resolve(name + "-chain.pem");
        Files.writeString(chain, Files.readString(cert) + Files.readString(pki.resolve(ca + ".pem")));
        keytool("-importcert", "-noprompt", "-alias", "leaf", "-file", chain.toString(), "-keystore", store.toString(),
                "-storepass", PASSWORD);
        return store;
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + ": " + new String(output, StandardCharsets.UTF_8));
        }
    }
}
