package dev.fulcrum.admin;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.proxy.Drained;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.SocketReads;
import dev.fulcrum.support.TestBackend;
import io.netty.channel.EventLoop;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.reflect.Field;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /health/live} is UP while the proxy's event loops answer: all through a drain, not while one is wedged. */
@ExtendWith(VertxExtension.class)
class LivenessTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /** Kubernetes: on SIGTERM readiness goes DOWN but liveness must stay UP, or the kubelet kills the drain. */
    @Test
    void livenessStaysUpAndReadinessDownForTheWholeDrain(Vertx vertx) {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(700, t -> req.response().end("done")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(slow).put("shutdownDelay", "100ms"));
        Http admin = new Http(vertx, fulcrum.adminPort());
        Future<Http.Reply> inFlight = new Http(vertx, fulcrum.port()).get("/");
        Await.until("the request reached the backend", WAIT, () -> slow.requests() == 1);

        Future<Drained> shutdown = fulcrum.shutdown();

        assertEquals(503, admin.get("/health/ready").await().status(), "readiness DOWN at once");
        assertEquals(200, admin.get("/health/live").await().status(), "liveness UP during shutdownDelay");
        Await.until("the listener stopped accepting", WAIT, () -> Ports.refuses(fulcrum.port()));
        assertFalse(inFlight.isComplete());
        assertEquals(200, admin.get("/health/live").await().status(), "liveness UP while draining");
        assertEquals(503, admin.get("/health/ready").await().status(), "readiness DOWN while draining");
        assertEquals(new Http.Reply(200, "done"), inFlight.await());
        assertEquals(new Drained(1, 0), shutdown.await());
    }

    /**
     * README: "GET /health/live is 200 while the event loops answer". With a proxy event loop wedged (a blocked
     * handler, a runaway loop), the clients it was dealt get no answer, and liveness must say so, so that the
     * kubelet restarts the pod; it must not keep answering 200 from the admin's own, still free, event loop.
     */
    @Test
    void livenessIsNotUpWhileAProxyEventLoopIsWedged(Vertx vertx) throws Exception {
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(TestBackend.start(vertx, "a")));
        EventLoop adminLoop = eventLoopOf(field(fulcrum, "admin"));
        List<EventLoop> proxyLoops = new ArrayList<>();
        for (Object proxy : (List<?>) field(fulcrum, "proxies")) {
            EventLoop loop = eventLoopOf(proxy);
            if (loop != adminLoop && !proxyLoops.contains(loop)) {
                proxyLoops.add(loop);
            }
        }
        // In production (one event loop per core) the admin always shares a loop with a proxy: block the others.
        assertFalse(proxyLoops.isEmpty(), "no proxy event loop apart from the admin's");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(proxyLoops.size());
        for (EventLoop loop : proxyLoops) {
            loop.execute(() -> {
                blocked.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        try {
            assertTrue(blocked.await(5, TimeUnit.SECONDS));
            // Connections are dealt to the proxies in turn: of two, one lands on a wedged loop and gets no answer.
            try (Socket one = new Socket("127.0.0.1", fulcrum.port()); Socket two = new Socket("127.0.0.1", fulcrum.port())) {
                int unanswered = 0;
                for (Socket proxy : List.of(one, two)) {
                    proxy.setSoTimeout(500);
                    proxy.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    try {
                        proxy.getInputStream().read();
                    } catch (SocketTimeoutException e) {
                        unanswered++;
                    }
                }
                assertTrue(unanswered >= 1, "a proxy event loop is wedged: its clients get no answer");
            }
            int status;
            try (Socket socket = new Socket("127.0.0.1", fulcrum.adminPort())) {
                socket.setSoTimeout(3_000);
                socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                String head = SocketReads.until(socket.getInputStream(), "\r\n");
                status = Integer.parseInt(head.substring(9, 12));
            } catch (AssertionError noAnswer) {
                status = 0; // no answer in time is a failed probe too
            }
            assertEquals(503, status, "liveness is DOWN (503) while a proxy event loop is wedged and its clients get no answer");
        } finally {
            release.countDown();
        }
    }

    private static Object field(Object owner, String name) throws ReflectiveOperationException {
        Field field = owner.getClass().getDeclaredField(name);
        field.setAccessible(true);
        return field.get(owner);
    }

    private static EventLoop eventLoopOf(Object verticle) throws ReflectiveOperationException {
        Field context = VerticleBase.class.getDeclaredField("context");
        context.setAccessible(true);
        return ((ContextInternal) context.get(verticle)).nettyEventLoop();
    }
}
