package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.RawBackend;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.Sha256;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.NetServer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A request no backend processed (refused, or on a connection the backend just closed) is retried, body and all. */
@ExtendWith(VertxExtension.class)
class RetriesTest {

    private static final String CLOSE = "Connection: close\r\n";

    /** README: a refused connection sends the request "once more to a different healthy backend, whatever its method". */
    @Test
    void refusedConnectionRetriesAPostWithItsBodyIntact(Vertx vertx) {
        TestBackend live = TestBackend.start(vertx, "live", req -> req.body().onSuccess(body -> req.response().end(Sha256.of(body))));
        TestBackend dying = TestBackend.start(vertx, "dying");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(live, dying).put("algorithm", "round-robin"));
        dying.stop();
        Http http = new Http(vertx, fulcrum.port());

        List<Future<Http.Reply>> replies = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Buffer body = Http.bytes(256 * 1024, 100 + i);
            expected.add(Sha256.of(body));
            replies.add(http.on(client -> client.request(HttpMethod.POST, "/post")
                    .compose(req -> req.send(body))
                    .compose(resp -> resp.body().map(b -> new Http.Reply(resp.statusCode(), b.toString())))));
        }
        List<Http.Reply> answered = replies.stream().map(reply -> reply.await()).toList();

        assertEquals(expected.stream().map(sha -> new Http.Reply(200, sha)).toList(), answered);
        InFlight.awaitNone(fulcrum, "after retried POSTs");
    }

    /**
     * A backend whose keep-alive timeout fires just as the proxy reuses the connection closes it without
     * answering: the request was never processed. NGINX retries a request that fails on a cached keep-alive
     * connection (even on the same, only server: ngx_http_upstream_next gives the try back for a cached peer), as
     * Go's transport does for an idempotent request on a reused connection. Here the backend closes every
     * connection on which a second request arrives; with one backend, every GET must still be answered 200.
     */
    @Test
    void requestMeetingAKeepAliveConnectionTheBackendJustClosedIsRetriedNot502(Vertx vertx) {
        AtomicInteger closedUnanswered = new AtomicInteger();
        int port = oneRequestPerConnectionBackend(vertx, closedUnanswered);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));
        Http http = new Http(vertx, fulcrum.port());

        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < 20; i++) {
            int status = http.get("/n" + i).map(Http.Reply::status).otherwise(0).await();
            statuses.merge(status, 1, Integer::sum);
        }

        assertTrue(closedUnanswered.get() > 0, "the proxy reused a connection the backend then closed");
        assertEquals(Map.of(200, 20), statuses, "statuses of 20 sequential GETs (0 = transport error)");
        InFlight.awaitNone(fulcrum, "after requests on closed pooled connections");
    }

    /**
     * With several backends the retry goes elsewhere, but it meets a reused connection there too: "retry on
     * another backend" does not help, and each such request is counted as a failure against a healthy backend.
     */
    @Test
    void withTwoBackendsRequestsMeetingClosedKeepAliveConnectionsAreStillAnswered(Vertx vertx) {
        AtomicInteger closedUnanswered = new AtomicInteger();
        int a = oneRequestPerConnectionBackend(vertx, closedUnanswered);
        int b = oneRequestPerConnectionBackend(vertx, closedUnanswered);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + a, "http://127.0.0.1:" + b)
                .put("algorithm", "round-robin"));
        Http http = new Http(vertx, fulcrum.port());

        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < 30; i++) {
            int status = http.get("/n" + i).map(Http.Reply::status).otherwise(0).await();
            statuses.merge(status, 1, Integer::sum);
        }

        assertTrue(closedUnanswered.get() > 0, "the proxy reused connections the backends then closed");
        assertEquals(Map.of(200, 30), statuses, "statuses of 30 sequential GETs (0 = transport error)");
    }

    /**
     * The natural form of the same race: a backend that closes after each response without "Connection: close".
     * Seen failing with 41 of 200 GETs answered 502 in about half the runs, depending on which event loops the
     * client, proxies and backend share; kept as a regression check.
     */
    @Test
    void backendClosingAfterEachResponseWithoutConnectionCloseDoesNotFailLaterRequests(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));
        Http http = new Http(vertx, fulcrum.port());

        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < 200; i++) {
            int status = http.get("/n" + i).map(Http.Reply::status).otherwise(0).await();
            statuses.merge(status, 1, Integer::sum);
        }

        assertEquals(Map.of(200, 200), statuses, "statuses of 200 sequential GETs (0 = transport error)");
        InFlight.awaitNone(fulcrum, "after requests on closed pooled connections");
    }

    /** The same backend, with the client pipelining its requests: each answer frees the connection at once. */
    @Test
    void backendClosingAfterEachResponseDoesNotFailPipelinedRequests(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));
        StringBuilder requests = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            requests.append("GET /p").append(i).append(" HTTP/1.1\r\nHost: x\r\n").append(i == 19 ? CLOSE : "").append("\r\n");
        }

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), requests.toString(), 20);

        assertEquals(java.util.Collections.nCopies(20, 200), responses.stream().map(RawHttp.Response::status).toList(),
                responses::toString);
        InFlight.awaitNone(fulcrum, "after pipelined requests on closed pooled connections");
    }

    /**
     * Answers the first request on each connection (keep-alive, properly framed) and closes the connection,
     * unanswered, when another request arrives on it: what a backend's keep-alive timeout does when it fires as
     * the proxy reuses the connection. Probes are answered and closed.
     */
    private static int oneRequestPerConnectionBackend(Vertx vertx, AtomicInteger closedUnanswered) {
        NetServer server = vertx.createNetServer().connectHandler(socket -> {
            Buffer[] pending = {Buffer.buffer()};
            int[] answered = {0};
            socket.handler(data -> {
                pending[0].appendBuffer(data);
                String text = pending[0].toString(StandardCharsets.ISO_8859_1);
                int end = text.indexOf("\r\n\r\n");
                if (end < 0) {
                    return;
                }
                pending[0] = pending[0].getBuffer(end + 4, pending[0].length());
                if (text.substring(0, end).toLowerCase(Locale.ROOT).contains("\r\nuser-agent: fulcrum-health-check")) {
                    socket.end(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
                } else if (answered[0]++ == 0) {
                    socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                } else {
                    closedUnanswered.incrementAndGet();
                    socket.close();
                }
            });
        });
        return server.listen(0, "127.0.0.1").await().actualPort();
    }
}
