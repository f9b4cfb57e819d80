package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestPki;
import dev.fulcrum.support.TlsBackend;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.dns.AddressResolverOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static dev.fulcrum.support.TestPki.SHORT_HOST;
import static dev.fulcrum.support.TestPki.SNI_HOST;
import static dev.fulcrum.support.TlsBackend.trusting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The name an https backend is checked and addressed by: its IP address against IP SANs, its host name in SNI. */
@ExtendWith(VertxExtension.class)
class BackendTlsNamesTest {

    private final List<Vertx> ownVertx = new ArrayList<>();

    @AfterEach
    void closeOwnVertx() {
        for (Vertx vertx : ownVertx) {
            vertx.close().await();
        }
    }

    /** A backend given by IP address, whose certificate names that address (IP SAN), is verified and proxied. */
    @Test
    void httpsBackendByIpAddressWithIpSanIsProxied(Vertx vertx) {
        TestPki pki = TestPki.get();
        int port = TlsBackend.start(vertx, pki.goodLeaf(), new HttpServerOptions(), req -> req.response().end("by ip"));
        String url = "https://127.0.0.1:" + port;
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config(url), pki.caA()));

        assertEquals(HealthState.HEALTHY, backend(fulcrum, url).health(), backend(fulcrum, url).lastFailure());
        assertEquals(new Http.Reply(200, "by ip"), new Http(vertx, fulcrum.port()).get("/").await());
    }

    /** IPv6 literal: the Host header form is "[::1]", but the name checked against the certificate is ::1. */
    @Test
    void httpsBackendByIpv6AddressWithIpSanIsProxied(Vertx vertx) {
        TestPki pki = TestPki.get();
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(TestPki.keyCert(pki.goodLeaf())));
        server.requestHandler(req -> req.response().end("by ipv6"));
        server.listen(0, "::1").await();
        String url = "https://[::1]:" + server.actualPort();
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config(url), pki.caA()));

        assertEquals(HealthState.HEALTHY, backend(fulcrum, url).health(), backend(fulcrum, url).lastFailure());
        assertEquals(new Http.Reply(200, "by ipv6"), new Http(vertx, fulcrum.port()).get("/").await());
    }

    /** A certificate that names only localhost does not name 127.0.0.1: the reason must say so. */
    @Test
    void ipAddressNotInTheCertificateIsReportedAsNotNamed(Vertx vertx) {
        SelfSignedCertificate localhostOnly = SelfSignedCertificate.create("localhost");
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
        TestPki pki = TestPki.get();
        Vertx own = vertxResolving(SNI_HOST);
        Queue<String> serverNames = new ConcurrentLinkedQueue<>();
        Queue<String> hosts = new ConcurrentLinkedQueue<>();
        int port = TlsBackend.start(own, pki.goodLeaf(), new HttpServerOptions().setSni(true), req -> {
            serverNames.add(String.valueOf(req.connection().indicatedServerName()));
            hosts.add(String.valueOf(req.authority()));
            req.response().end("sni");
        });
        String url = "https://" + SNI_HOST + ":" + port;
        for (boolean preserveHost : new boolean[] {true, false}) {
            serverNames.clear();
            hosts.clear();
            Fulcrum fulcrum = Balancer.start(own, trusting(Balancer.config(url), pki.caA())
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
        TestPki pki = TestPki.get();
        Vertx own = vertxResolving(SHORT_HOST);
        Queue<String> serverNames = new ConcurrentLinkedQueue<>();
        int port = TlsBackend.start(own, pki.goodLeaf(), new HttpServerOptions().setSni(true), req -> {
            serverNames.add(String.valueOf(req.connection().indicatedServerName()));
            req.response().end("sni");
        });
        String url = "https://" + SHORT_HOST + ":" + port;
        Fulcrum fulcrum = Balancer.start(own, trusting(Balancer.config(url), pki.caA()).put("healthCheckInterval", "1h"));
        assertEquals(HealthState.HEALTHY, backend(fulcrum, url).health(), backend(fulcrum, url).lastFailure());

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        assertEquals(200, response.status(), response::toString);
        assertEquals(List.of(SHORT_HOST), List.copyOf(serverNames), "server names the backend saw");
    }

    /** A Vert.x of this test's own whose resolver maps {@code host} to loopback. */
    private Vertx vertxResolving(String host) {
        Vertx own = Vertx.vertx(new VertxOptions().setAddressResolverOptions(new AddressResolverOptions()
                .setHostsValue(Buffer.buffer("127.0.0.1 " + host + "\n127.0.0.1 localhost\n"))));
        ownVertx.add(own);
        return own;
    }

    private static Backend backend(Fulcrum fulcrum, String url) {
        return fulcrum.backends().find("default", url).orElseThrow();
    }
}
