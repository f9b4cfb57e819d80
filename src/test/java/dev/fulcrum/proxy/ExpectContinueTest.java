package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.ParsedResponse;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code Expect: 100-continue} is answered by Fulcrum once a backend is connected, and refused when there is none. */
@ExtendWith(VertxExtension.class)
class ExpectContinueTest {

    private static final String CLOSE = "Connection: close\r\n";

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

    /**
     * Expect: 100-continue: the client sends its body only after a 100 Continue. Fulcrum answers it itself once
     * a backend is connected (as NGINX does), and the backend sees a plain request.
     */
    @Test
    void expectContinueGetsA100ContinueBeforeTheClientSendsTheBody(Vertx vertx) throws IOException {
        List<String> expectations = new ArrayList<>();
        TestBackend backend = TestBackend.start(vertx, "continuing", req -> {
            expectations.add(String.valueOf(req.getHeader("expect")));
            req.body().onSuccess(body -> req.response().end("got " + body));
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write(("POST /expect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                + "Expect: 100-continue\r\n" + CLOSE + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());

        socket.setSoTimeout(3_000);
        ParsedResponse interim = ParsedResponse.read(in, true);
        assertEquals(100, interim.status(), "the client waits for 100 Continue before sending its body");
        socket.getOutputStream().write("hello".getBytes(StandardCharsets.ISO_8859_1));
        ParsedResponse answer = ParsedResponse.read(in, false);

        assertEquals(200, answer.status(), answer::toString);
        assertEquals("got hello", answer.body());
        assertEquals(List.of("null"), expectations, "the backend gets a plain request");
        InFlight.awaitNone(fulcrum, "after an Expect: 100-continue request");
    }

    /** No backend to send the body to: the client is told so at once and never uploads. */
    @Test
    void expectContinueWithNoHealthyBackendIsRefusedBeforeTheUpload(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "gone");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        backend.stop();
        Socket socket = sockets.connect(fulcrum.port());
        socket.setSoTimeout(3_000);
        socket.getOutputStream().write(("POST /expect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                + "Expect: 100-continue\r\n" + CLOSE + "\r\n").getBytes(StandardCharsets.ISO_8859_1));

        ParsedResponse answer = ParsedResponse.read(new BufferedInputStream(socket.getInputStream()), false);

        assertTrue(answer.status() == 502 || answer.status() == 503, "no 100 Continue, a refusal: " + answer);
    }
}
