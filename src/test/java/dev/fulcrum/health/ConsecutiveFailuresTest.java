package dev.fulcrum.health;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.PacedUpload;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What counts towards consecutiveFailures: a backend's own failed exchanges since its admission; no slow upload. */
@ExtendWith(VertxExtension.class)
class ConsecutiveFailuresTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /**
     * A backend ejected by the proxy after {@code consecutiveFailures} (3) comes back through the probes; one
     * more failed exchange afterwards is one failure, not the fourth of a run that the ejection already ended.
     */
    @Test
    void passiveFailureRunStartsAfreshOnceProbesReadmitTheBackend(Vertx vertx) {
        TestBackend flaky = TestBackend.start(vertx, "flaky", req -> {
            if (req.path().equals("/drop")) {
                req.connection().close();
            } else {
                req.response().end("ok");
            }
        });
        List<HealthState> changes = new CopyOnWriteArrayList<>();
        vertx.eventBus().<JsonObject>consumer(HealthEvent.ADDRESS,
                message -> changes.add(HealthEvent.fromJson(message.body()).state()));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(flaky)).put("consecutiveFailures", 3));
        Backend state = fulcrum.backends().all().get(0);
        Http http = new Http(vertx, fulcrum.port());

        for (int i = 0; i < 3; i++) {
            assertEquals(502, http.get("/drop").await().status());
        }
        Await.until("ejected after three failures in a row", WAIT, () -> state.health() == HealthState.UNHEALTHY);
        assertTrue(state.lastFailure().startsWith("3 failed exchanges in a row"), state.lastFailure());
        Await.until("readmitted by the probes", WAIT, () -> changes.size() == 3);
        assertEquals(List.of(HealthState.HEALTHY, HealthState.UNHEALTHY, HealthState.HEALTHY), changes);

        // The proxies hear of the readmission a moment after this test's own consumer; a 503 meanwhile does not
        // count against the backend.
        int[] status = {0};
        Await.until("the proxies route to it again", WAIT, () -> (status[0] = http.get("/drop").await().status()) != 503);
        assertEquals(502, status[0]);
        int probes = flaky.probes();
        // An ejection message is handled by the health checker before the probes it starts afterwards.
        Await.until("three more probes ran", WAIT, () -> flaky.probes() >= probes + 3);

        assertAll(
                () -> assertEquals(List.of(HealthState.HEALTHY, HealthState.UNHEALTHY, HealthState.HEALTHY), changes,
                        "one failed exchange after readmission changed the backend's health"),
                () -> assertTrue(state.lastFailure().startsWith("3 failed exchanges in a row"),
                        "ejected again, by: " + state.lastFailure()));
    }

    /**
     * A server removed while three requests wait on it, then added back under the same URL: after
     * {@code shutdownTimeout} the old requests are cut (and retried elsewhere). Those failures belong to the
     * removed backend; they must not eject the new one, which never failed.
     */
    @Test
    void cutRequestsOfARemovedBackendDoNotEjectItsReAddedNamesake(Vertx vertx, @TempDir Path dir) {
        AtomicInteger held = new AtomicInteger();
        TestBackend x = TestBackend.start(vertx, "x", req -> {
            if (held.incrementAndGet() > 3) {
                req.response().end("x");
            } // the first three are held until their connection is cut
        });
        TestBackend y = TestBackend.start(vertx, "y");
        JsonObject config = Balancer.config(x).put("shutdownTimeout", "400ms");
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend oldX = fulcrum.backends().all().get(0);
        Http http = new Http(vertx, fulcrum.port());
        List<String> changes = new CopyOnWriteArrayList<>();
        vertx.eventBus().<JsonObject>consumer(HealthEvent.ADDRESS, message -> {
            HealthEvent event = HealthEvent.fromJson(message.body());
            changes.add(event.backend().equals(y.url()) ? "y " + event.state() : "x " + event.state() + ": " + event.reason());
        });

        List<Future<Http.Reply>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(http.get("/held"));
        }
        Await.until("three requests wait on x", WAIT, () -> oldX.inFlight() == 3);
        file.renameReplace(config.copy().put("servers", new JsonArray().add(y.url())));
        Await.until("x removed", WAIT, () -> fulcrum.status().generation() == 2);
        file.renameReplace(config.copy().put("servers", new JsonArray().add(x.url()).add(y.url())));
        Await.until("x added back", WAIT, () -> fulcrum.status().generation() == 3);
        Backend newX = fulcrum.backends().find("default", x.url()).orElseThrow();
        assertNotSame(oldX, newX);
        assertEquals(HealthState.HEALTHY, newX.health());

        for (Future<Http.Reply> reply : waiting) {
            assertEquals(200, reply.await().status(), "cut after shutdownTimeout, then retried");
        }
        Await.until("the old backend has nothing in flight", WAIT, () -> oldX.inFlight() == 0);
        boolean ejected = poll(Duration.ofSeconds(1), () -> newX.health() != HealthState.HEALTHY);

        assertFalse(ejected, "the re-added x was ejected for the removed one's failures: " + newX.lastFailure()
                + "; health events " + changes);
    }

    /** Uploads slower than requestTimeout must not count as failed exchanges and eject a healthy backend (consecutiveFailures 3). */
    @Test
    void slowUploadsDoNotEjectAHealthyBackend(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "quick", req -> req.body().onSuccess(body ->
                req.response().end("got " + body.length())));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "500ms"));
        Http http = new Http(vertx, fulcrum.port());
        Buffer piece = Http.bytes(1024, 9);

        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            statuses.add(http.on(client -> client.request(HttpMethod.POST, "/upload").compose(req -> {
                req.setChunked(true);
                req.exceptionHandler(error -> { });
                PacedUpload.write(vertx, req, piece, 4, 250);
                return req.response().map(HttpClientResponse::statusCode);
            })).await());
        }

        Http.Reply after = http.get("/").await();
        assertEquals(new Http.Reply(200, "got 0"), after, "slow uploads answered " + statuses + "; then");
        assertEquals(HealthState.HEALTHY, fulcrum.backends().all().get(0).health(), fulcrum.backends().all().get(0).lastFailure());
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes; returns whether it held. */
    private static boolean poll(Duration timeout, java.util.function.BooleanSupplier condition) {
        try {
            Await.until("polled", timeout, condition);
            return true;
        } catch (AssertionError timedOut) {
            return false;
        }
    }
}
