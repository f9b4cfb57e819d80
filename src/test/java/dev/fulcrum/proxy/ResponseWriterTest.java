package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ParsedResponse;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The response as the client reads it off the wire, for each way {@link ResponseWriter} and the library write one. */
@ExtendWith(VertxExtension.class)
class ResponseWriterTest {

    private static final String IMF_FIXDATE = "[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT";

    @Test
    void aChunkedResponseStaysChunked(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "chunked", req -> req.response().setChunked(true)
                .putHeader("content-type", "text/csv").write("a,b\n").compose(v -> req.response().end("1,2\n")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");

        assertEquals(200, response.status());
        assertEquals(List.of("chunked"), response.headers().get("transfer-encoding"));
        assertNull(response.header("content-length"));
        assertEquals(List.of("text/csv"), response.headers().get("content-type"));
        assertOneDate(response.headers());
        assertEquals("a,b\n1,2\n", response.body());
    }

    @Test
    void aHeadResponseKeepsTheBackendsLengthAndSendsNoBody(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "head", req -> {
            if (req.method() == HttpMethod.HEAD) {
                req.response().putHeader("content-length", "1234").end();
            } else {
                req.response().end("next");
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        try (Socket socket = new Socket("127.0.0.1", fulcrum.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = new BufferedInputStream(socket.getInputStream());

            ParsedResponse head = ParsedResponse.read(in, true);
            ParsedResponse next = ParsedResponse.read(in, false);

            assertEquals(200, head.status());
            assertEquals("1234", head.header("content-length"));
            assertOneDate(head.headers());
            assertEquals(200, next.status(), "the HEAD response sent no body to mistake for the next one");
            assertEquals("next", next.body());
        }
    }

    @Test
    void theProxysOwnResponseWithoutBodyIsDatedAndEmpty(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "small");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("maxRequestBody", 10));

        RawHttp.Response response = RawHttp.send(fulcrum.port(),
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + "x".repeat(100));

        assertEquals(413, response.status());
        assertEquals("0", response.header("content-length"));
        assertEquals("close", response.header("connection"));
        assertOneDate(response.headers());
        assertEquals(0, backend.requests());
    }

    @Test
    void aWarningIsPassedOnWithTheResponse(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "stale", req -> req.response()
                .putHeader("warning", "110 - \"Response is Stale\"").end("old"));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");

        assertEquals(200, response.status());
        assertEquals("110 - \"Response is Stale\"", response.header("warning"));
        assertEquals(1, response.headers().get("date").size());
        assertEquals("old", response.body());
    }

    private static void assertOneDate(Map<String, List<String>> headers) {
        List<String> dates = headers.get("date");
        assertEquals(1, dates == null ? 0 : dates.size(), headers::toString);
        assertTrue(dates.get(0).matches(IMF_FIXDATE), dates.get(0));
    }
}
