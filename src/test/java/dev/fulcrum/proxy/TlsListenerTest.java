package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.LogFile;
import dev.fulcrum.support.PemCertificates;
import dev.fulcrum.support.PemCertificates.Pair;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.Scrape;
import dev.fulcrum.support.TestBackend;
import dev.fulcrum.support.TlsClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTPS listener beside the plain one: certificates chosen by SNI, HTTP/2 by ALPN, and what the backend is told. */
@ExtendWith(VertxExtension.class)
class TlsListenerTest {

    @TempDir
    Path dir;

    @Test
    void sniChoosesTheCertificateAndTheFirstIsTheDefault(Vertx vertx) {
        Pair a = PemCertificates.ec(dir, "a", 30, "a.example.com");
        Pair wildcard = PemCertificates.ec(dir, "w", 30, "*.w.example.com");
        Pair b = PemCertificates.rsaPkcs1(dir, "b", 30, "b.example.com");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.withTls(Balancer.config(TestBackend.start(vertx, "app")), a, wildcard, b));
        int port = fulcrum.tlsPort();

        assertEquals(List.of("a.example.com"), TlsClient.names(TlsClient.served(port, "a.example.com")));
        assertEquals(List.of("b.example.com"), TlsClient.names(TlsClient.served(port, "b.example.com")));
        assertEquals(List.of("*.w.example.com"), TlsClient.names(TlsClient.served(port, "x.w.example.com")));
        assertEquals(List.of("a.example.com"), TlsClient.names(TlsClient.served(port, "y.x.w.example.com")),
                "a wildcard covers one level only");
        assertEquals(List.of("a.example.com"), TlsClient.names(TlsClient.served(port, "other.example.org")));
        assertEquals(List.of("a.example.com"), TlsClient.names(TlsClient.served(port, null)), "no SNI: the first certificate");
    }

    @Test
    void theBackendLearnsTheRequestCameOverHttps(Vertx vertx) {
        TestBackend echo = TestBackend.start(vertx, "echo", req -> req.response().end(
                req.getHeader("x-forwarded-proto") + " " + req.getHeader("x-forwarded-port") + " " + req.getHeader("forwarded")));
        Pair a = PemCertificates.ec(dir, "a", 30, "a.example.com");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.withTls(Balancer.config(echo), a).put("forwardedHeaders", "both"));

        try (TlsClient client = TlsClient.connect(fulcrum.tlsPort(), "a.example.com")) {
            String response = client.get("a.example.com", "/");
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
            assertTrue(response.endsWith("https " + fulcrum.tlsPort() + " for=127.0.0.1;proto=https;host=a.example.com"), response);
            assertTrue(client.get("a.example.com", "/again").startsWith("HTTP/1.1 200"), "the connection is kept alive");
        }
        assertTrue(new Http(vertx, fulcrum.port()).get("/").await().body().startsWith("http "), "the plain listener still serves");
    }

    /**
     * A backend's hop-by-hop response headers must not reach an HTTP/2 client: Connection is a protocol error there
     * (RFC 9113 §8.2.2), which vertx-http-proxy 5.0 copies (upstream #152).
     */
    @Test
    void alpnNegotiatesHttp2AndHopByHopHeadersStayBehind(Vertx vertx) {
        TestBackend keepAlive = TestBackend.start(vertx, "app", req -> req.response()
                .putHeader("connection", "keep-alive, x-private")
                .putHeader("keep-alive", "timeout=5")
                .putHeader("x-private", "hop")
                .putHeader("x-app", "1")
                .end("over h2"));
        Pair a = PemCertificates.ec(dir, "a", 30, "a.example.com");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.withTls(Balancer.config(keepAlive), a)
                .put("accessLog", new JsonObject().put("path", dir.resolve("access.log").toString())));
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false)
                .setUseAlpn(true).setProtocolVersion(HttpVersion.HTTP_2));

        for (int i = 0; i < 3; i++) {
            // The body is asked for in the same callback: Vert.x 5.0.10 may never complete a body() asked for later (#6038).
            HttpClientResponse response = client.request(HttpMethod.GET, fulcrum.tlsPort(), "localhost", "/")
                    .compose(req -> req.send()).compose(resp -> resp.body().map(body -> {
                        assertEquals("over h2", body.toString());
                        return resp;
                    })).await();
            assertEquals(HttpVersion.HTTP_2, response.version());
            assertEquals(200, response.statusCode());
            assertEquals("1", response.getHeader("x-app"));
            assertEquals(null, response.getHeader("keep-alive"));
            assertEquals(null, response.getHeader("x-private"), "a header the Connection header names is hop-by-hop too");
        }
        Scrape scrape = Scrape.of(vertx, fulcrum.adminPort());
        assertEquals(3.0, scrape.count("fulcrum_requests_total", "backend", keepAlive.url(), "code", "200", "pool", "default"));
        assertEquals(3.0, scrape.count("fulcrum_client_requests_total", "protocol", "HTTP/2.0", "scheme", "https"));
        assertEquals(0.0, scrape.count("fulcrum_client_requests_total", "protocol", "HTTP/1.1", "scheme", "https"));
        List<String> logged = LogFile.lines(dir.resolve("access.log"), 3);
        assertTrue(logged.stream().allMatch(line -> new JsonObject(line).getString("protocol").equals("HTTP/2.0")), logged.toString());
    }

    @Test
    void minVersionRefusesOlderClients(Vertx vertx) {
        Pair a = PemCertificates.ec(dir, "a", 30, "a.example.com");
        JsonObject config = Balancer.withTls(Balancer.config(TestBackend.start(vertx, "app")), a);
        Fulcrum tls12 = Balancer.start(vertx, config);
        try (TlsClient client = TlsClient.connect(tls12.tlsPort(), "a.example.com", "TLSv1.2")) {
            assertEquals("TLSv1.2", client.protocol(), "TLS 1.2 is accepted by default");
        }
        assertThrows(UncheckedIOException.class, () -> TlsClient.connect(tls12.tlsPort(), "a.example.com", "TLSv1.1"),
                "TLS 1.1 never is");

        tls12.stop().await();
        config.getJsonObject("tls").put("minVersion", "TLSv1.3");
        Fulcrum tls13 = Balancer.start(vertx, config);
        UncheckedIOException refused = assertThrows(UncheckedIOException.class,
                () -> TlsClient.connect(tls13.tlsPort(), "a.example.com", "TLSv1.2"));
        assertTrue(refused.getCause() instanceof SSLException, refused.toString());
        try (TlsClient client = TlsClient.connect(tls13.tlsPort(), "a.example.com")) {
            assertEquals("TLSv1.3", client.protocol());
        }
    }

    @Test
    void httpsRedirectSendsPlainRequestsToTheHttpsListener(Vertx vertx) {
        TestBackend app = TestBackend.start(vertx, "app");
        Pair a = PemCertificates.ec(dir, "a", 30, "a.example.com");
        JsonObject config = Balancer.withTls(Balancer.config(app), a);
        config.getJsonObject("tls").put("httpsRedirect", true);
        Fulcrum fulcrum = Balancer.start(vertx, config);

        RawHttp.Response redirect = RawHttp.send(fulcrum.port(),
                "POST /cart/add?item=7 HTTP/1.1\r\nHost: shop.example.com:8080\r\nContent-Length: 0\r\n\r\n");
        assertEquals(308, redirect.status(), "308 keeps the method and body");
        assertEquals("https://shop.example.com:" + fulcrum.tlsPort() + "/cart/add?item=7", redirect.header("location"));
        assertEquals(0, app.requests());
        try (TlsClient client = TlsClient.connect(fulcrum.tlsPort(), "a.example.com")) {
            assertTrue(client.get("shop.example.com", "/cart").startsWith("HTTP/1.1 200"), "HTTPS itself is served");
        }
        Scrape scrape = Scrape.of(vertx, fulcrum.adminPort());
        assertEquals(1.0, scrape.count("fulcrum_requests_total", "backend", "none", "code", "308", "pool", "none"));
    }

    @Test
    void eachCertificatesExpiryIsAMetric(Vertx vertx) {
        Pair a = PemCertificates.ec(dir, "a", 30, "a.example.com");
        Pair b = PemCertificates.ec(dir, "b", 60, "b.example.com", "www.b.example.com");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.withTls(Balancer.config(TestBackend.start(vertx, "app")), a, b));
        Scrape scrape = Scrape.of(vertx, fulcrum.adminPort());

        long a30 = fulcrum.config().tls().certificates().get(0).notAfter().getEpochSecond();
        long b60 = fulcrum.config().tls().certificates().get(1).notAfter().getEpochSecond();
        assertEquals((double) a30, scrape.value("fulcrum_tls_certificate_expiry_timestamp_seconds", "name", "a.example.com"));
        assertEquals((double) b60, scrape.value("fulcrum_tls_certificate_expiry_timestamp_seconds", "name", "b.example.com"));
        assertTrue(b60 - a30 > 29 * 86_400L);
    }

    /**
     * BoringSSL (netty-tcnative) instead of the JDK's TLS: the same certificates by SNI, the same protocols. (Without
     * SNI, BoringSSL takes the first certificate of the key type it prefers: these two are of one type.)
     */
    @Test
    void theOpensslEngineServesTheSameWay(Vertx vertx) {
        Pair a = PemCertificates.ec(dir, "a", 30, "a.example.com");
        Pair b = PemCertificates.ec(dir, "b", 30, "b.example.com");
        JsonObject config = Balancer.withTls(Balancer.config(TestBackend.start(vertx, "app")), a, b);
        config.getJsonObject("tls").put("engine", "openssl");
        Fulcrum fulcrum = Balancer.start(vertx, config);

        assertEquals(List.of("b.example.com"), TlsClient.names(TlsClient.served(fulcrum.tlsPort(), "b.example.com")));
        assertEquals(List.of("a.example.com"), TlsClient.names(TlsClient.served(fulcrum.tlsPort(), null)));
        try (TlsClient client = TlsClient.connect(fulcrum.tlsPort(), "a.example.com", "TLSv1.2")) {
            assertTrue(client.get("a.example.com", "/").startsWith("HTTP/1.1 200"));
        }
        HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false)
                .setUseAlpn(true).setProtocolVersion(HttpVersion.HTTP_2));
        HttpVersion version = h2.request(HttpMethod.GET, fulcrum.tlsPort(), "localhost", "/")
                .compose(req -> req.send()).compose(resp -> resp.body().map(body -> resp.version())).await();
        assertEquals(HttpVersion.HTTP_2, version);
    }
}
