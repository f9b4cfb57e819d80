package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.RawBackend;
import dev.fulcrum.support.RawHttp;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A backend's 1xx is never the final answer: 103 and a stray 100 are followed by it; a 102 becomes Fulcrum's 502. */
@ExtendWith(VertxExtension.class)
class InterimResponsesTest {

    private static final String CLOSE = "Connection: close\r\n";

    /**
     * RFC 9110 §15.2: a 1xx response is interim; the final response follows on the same exchange. A proxy
     * forwards it or drops it, but must never hand it to the client as the final answer. Vert.x's client takes
     * a 102 for the final response (it knows only 100 and 103 as interim) and would lose the real one, so
     * Fulcrum cannot relay the exchange: the client gets a 502 that says so, never the 102, and the backend
     * connection, now out of step, is closed.
     */
    @Test
    void interim102ProcessingIsNeverTakenForTheFinalResponse(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 102 Processing\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(),
                "GET /slow-webdav HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 2);

        assertEquals(List.of(502, 502), responses.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals("backend sent an interim (1xx) response that Fulcrum cannot relay", responses.get(0).body().trim());
        assertEquals(responses.get(0).body(), responses.get(1).body(), "the second request met a fresh connection, not the stray 200");
        InFlight.awaitNone(fulcrum, "after a 102");
    }

    /** 103 Early Hints (RFC 8297) followed by the final response: the client gets the final response intact. */
    @Test
    void earlyHints103IsFollowedByTheFinalResponse(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /again HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 4);
        List<RawHttp.Response> finals = responses.stream().filter(r -> r.status() >= 200).toList();

        assertEquals(List.of(200, 200), finals.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals(List.of("final", "final"), finals.stream().map(RawHttp.Response::body).toList());
        InFlight.awaitNone(fulcrum, "after 103s");
    }

    /** A backend that sends 100 Continue unasked (some do for every upload): the client gets the final answer. */
    @Test
    void unsolicited100ContinueFromTheBackendIsNotTheAnswer(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /b HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 4);
        List<RawHttp.Response> finals = responses.stream().filter(r -> r.status() >= 200).toList();

        assertEquals(List.of(201, 201), finals.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals(List.of("done", "done"), finals.stream().map(RawHttp.Response::body).toList());
    }
}
