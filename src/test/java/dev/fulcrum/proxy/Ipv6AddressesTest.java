package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** IPv6 addresses as HTTP writes them: a client's in X-Forwarded-For and (quoted) Forwarded, a backend's in Host. */
@ExtendWith(VertxExtension.class)
class Ipv6AddressesTest {

    /** An IPv6 client: X-Forwarded-For carries its address, Forwarded carries it quoted and bracketed (RFC 7239 §6). */
    @Test
    void ipv6ClientAddressIsBracketedAndQuotedInForwardedAndUsableInXForwardedFor(Vertx vertx) throws IOException {
        AtomicReference<MultiMap> seen = new AtomicReference<>();
        TestBackend backend = recording(vertx, seen);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("listenPort", "[::1]:0")
                .put("forwardedHeaders", "both"));
        int port = fulcrum.port();

        String response = rawIpv6(port, "GET /v6 HTTP/1.1\r\nHost: [::1]:" + port
                + "\r\nX-Forwarded-For: 2001:db8::7\r\nConnection: close\r\n\r\n");

        assertTrue(response.startsWith("HTTP/1.1 200"), response);
        MultiMap headers = seen.get();
        Matcher forwarded = Pattern.compile("for=\"\\[([^\\]\"]+)\\]\";proto=http;host=\"\\[::1\\]:" + port + "\"")
                .matcher(headers.get("forwarded"));
        assertTrue(forwarded.matches(), "Forwarded: " + headers.get("forwarded"));
        assertIpv6Loopback(forwarded.group(1));
        String xff = headers.get("x-forwarded-for");
        assertTrue(xff.startsWith("2001:db8::7, "), "appended to the client's list: " + xff);
        assertIpv6Loopback(xff.substring("2001:db8::7, ".length()));
        assertEquals("[::1]:" + port, headers.get("x-forwarded-host"));
    }

    /**
     * An IPv6 backend, {@code "http://[::1]:port"}: with preserveHost false it should see its own address as a
     * valid Host ({@code [::1]:port}, RFC 9110 §7.2 and RFC 3986 §3.2.2), and so should its health probes.
     */
    @Test
    void ipv6BackendGetsABracketedHostWithoutPreserveHostAndInItsProbes(Vertx vertx) {
        AtomicReference<String> requestHost = new AtomicReference<>();
        AtomicReference<String> probeHost = new AtomicReference<>();
        HttpServer v6 = vertx.createHttpServer().requestHandler(req -> {
            if ("fulcrum-health-check".equals(req.getHeader("user-agent"))) {
                probeHost.set(req.getHeader("host"));
            } else {
                requestHost.set(req.getHeader("host"));
            }
            req.response().end("v6");
        }).listen(0, "::1").await();
        int port = v6.actualPort();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://[::1]:" + port).put("preserveHost", false));

        Http.Reply reply = new Http(vertx, fulcrum.port()).get("/").await();

        assertEquals(200, reply.status());
        assertEquals("v6", reply.body());
        assertAll(
                () -> assertEquals("[::1]:" + port, requestHost.get(), "Host sent to an IPv6 backend without preserveHost"),
                () -> assertEquals("[::1]:" + port, probeHost.get(), "Host sent by the health probe to an IPv6 backend"));
    }

    private static TestBackend recording(Vertx vertx, AtomicReference<MultiMap> seen) {
        return TestBackend.start(vertx, "rec", req -> {
            seen.set(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
            req.response().end("ok");
        });
    }

    private static void assertIpv6Loopback(String address) {
        assertFalse(address.contains("%"), "a zone id is no part of a forwarded address: " + address);
        try {
            InetAddress parsed = InetAddress.getByName(address);
            assertTrue(parsed instanceof Inet6Address && parsed.isLoopbackAddress(), address);
        } catch (IOException e) {
            throw new AssertionError("not an address: " + address, e);
        }
    }

    /** One HTTP exchange over IPv6 loopback, read until the server closes (5 s at most). */
    private static String rawIpv6(int port, String request) throws IOException {
        try (Socket socket = new Socket("::1", port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            for (int n = in.read(buffer); n >= 0 && received.size() < 1 << 20; n = in.read(buffer)) {
                received.write(buffer, 0, n);
            }
            return received.toString(StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT).startsWith("http/1.1")
                    ? received.toString(StandardCharsets.ISO_8859_1) : "no HTTP response: " + received;
        }
    }
}
