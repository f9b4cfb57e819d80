package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.LogFile;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One ID per request, in {@code requestIdHeader}: the backend sees it, the client gets it back, the log has it. */
@ExtendWith(VertxExtension.class)
class RequestIdTest {

    private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

    private final List<String> seenByBackend = new CopyOnWriteArrayList<>();

    private TestBackend recording(Vertx vertx, String header, boolean echo) {
        return TestBackend.start(vertx, "a", req -> {
            seenByBackend.add(String.valueOf(req.getHeader(header)));
            if (echo && req.getHeader(header) != null) {
                req.response().putHeader(header, req.getHeader(header));
            }
            req.response().end("ok");
        });
    }

    private static String[] get(Http http, int port, String header, String id) {
        String[] returned = new String[2];
        http.on(client -> client.request(HttpMethod.GET, port, "127.0.0.1", "/")
                .compose(request -> (id == null ? request : request.putHeader(header, id)).send())
                .compose(response -> {
                    returned[0] = response.getHeader(header);
                    returned[1] = String.valueOf(response.headers().getAll(header).size());
                    return response.body();
                })).await();
        return returned;
    }

    @Test
    void aRequestWithoutAnIdGetsAFreshOneForwardedReturnedAndLogged(Vertx vertx, @TempDir Path dir) {
        TestBackend backend = recording(vertx, "X-Request-Id", true);
        Path log = dir.resolve("access.log");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("accessLog", new JsonObject().put("path", log.toString())));
        Http http = new Http(vertx, fulcrum.port());

        String[] first = get(http, fulcrum.port(), "X-Request-Id", null);
        String[] second = get(http, fulcrum.port(), "X-Request-Id", null);

        assertTrue(first[0].matches(UUID), first[0]);
        assertEquals("1", first[1], "once, though the backend echoed it");
        assertNotEquals(first[0], second[0]);
        assertEquals(List.of(first[0], second[0]), seenByBackend);
        List<String> logged = LogFile.lines(log, 2);
        assertEquals(first[0], new JsonObject(logged.get(0)).getString("requestId"));
        assertEquals(second[0], new JsonObject(logged.get(1)).getString("requestId"));
    }

    @Test
    void aClientsOwnSaneIdIsKeptAndAnInvalidOneReplaced(Vertx vertx) {
        TestBackend backend = recording(vertx, "X-Request-Id", false);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Http http = new Http(vertx, fulcrum.port());
        String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        assertEquals(traceparent, get(http, fulcrum.port(), "X-Request-Id", traceparent)[0]);
        String tooLong = "a".repeat(RequestIds.MAX_LENGTH + 1);
        String replaced = get(http, fulcrum.port(), "X-Request-Id", tooLong)[0];
        String withQuote = get(http, fulcrum.port(), "X-Request-Id", "abc\"def")[0];

        assertTrue(replaced.matches(UUID), replaced);
        assertTrue(withQuote.matches(UUID), withQuote);
        assertEquals(List.of(traceparent, replaced, withQuote), seenByBackend);
    }

    @Test
    void fulcrumsOwnAnswersCarryTheIdToo(Vertx vertx) {
        TestBackend down = TestBackend.start(vertx, "down").probeStatus(500);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(down));
        RawHttp.Response noBackend = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: mine-1\r\n\r\n");
        RawHttp.Response badRequest = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nX-Request-Id: mine-2\r\n\r\n");

        assertEquals(503, noBackend.status());
        assertEquals("mine-1", noBackend.header("X-Request-Id"));
        assertEquals(400, badRequest.status());
        assertEquals("mine-2", badRequest.header("X-Request-Id"));
    }

    @Test
    void aConfiguredHeaderIsUsedAndAnEmptyOneTurnsIdsOff(Vertx vertx) {
        TestBackend backend = recording(vertx, "X-Correlation-Id", false);
        Fulcrum custom = Balancer.start(vertx, Balancer.config(backend).put("requestIdHeader", "X-Correlation-Id"));
        assertTrue(get(new Http(vertx, custom.port()), custom.port(), "X-Correlation-Id", null)[0].matches(UUID));
        // Two balancers on one Vert.x would share one random port (Vert.x's port -1), and take turns answering.
        custom.stop().await();

        Fulcrum off = Balancer.start(vertx, Balancer.config(backend).put("requestIdHeader", ""));
        String[] none = get(new Http(vertx, off.port()), off.port(), "X-Request-Id", null);
        assertNull(none[0]);
        assertEquals("null", seenByBackend.get(1));
    }
}
