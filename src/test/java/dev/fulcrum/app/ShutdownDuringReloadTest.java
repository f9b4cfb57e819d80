package dev.fulcrum.app;

import dev.fulcrum.proxy.Drained;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.Reloads;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A drain and a reload at once: the edit opens no listener, the drain waits for no probe, old listeners drain. */
@ExtendWith(VertxExtension.class)
class ShutdownDuringReloadTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /** README: "after shutdownDelay the listener stops accepting". A listenPort edit during the drain must bind no new one. */
    @Test
    void listenPortEditDuringTheDrainOpensNoNewListener(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(1500, t -> req.response().end("slow")));
        JsonObject config = Balancer.config(slow);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        int oldPort = fulcrum.port();
        int newPort = Ports.free(1)[0];
        Future<Http.Reply> inFlight = new Http(vertx, oldPort).get("/");
        Await.until("a request is in flight", WAIT, () -> slow.requests() == 1);

        Future<Drained> shutdown = fulcrum.shutdown();
        Await.until("the old port stops accepting", WAIT, () -> Ports.refuses(oldPort));
        file.renameReplace(config.copy().put("listenPort", "127.0.0.1:" + newPort));
        // Bounded: either the edit is applied (or refused) within a few scans, or the drain ends first.
        Await.until("the edit is judged or the drain is over", WAIT, () -> Reloads.judged(fulcrum) || shutdown.isComplete());
        boolean newPortAccepts = !Ports.refuses(newPort);

        assertEquals(new Http.Reply(200, "slow"), inFlight.await());
        shutdown.await();
        assertFalse(newPortAccepts, "during the drain, generation " + fulcrum.status().generation()
                + " opened a listener on " + newPort + " that accepted a connection");
    }

    @Test
    void shutdownWhileAReloadWaitsForAFirstProbeCompletes(Vertx vertx, @TempDir Path dir) {
        TestBackend a = TestBackend.start(vertx, "a");
        TestBackend hanging = TestBackend.start(vertx, "hanging").probeHandler(req -> { });
        JsonObject config = Balancer.config(a).put("healthCheck", new JsonObject().put("timeout", "2s"));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        int port = fulcrum.port();

        file.renameReplace(config.copy().put("servers", new JsonArray().add(a.url()).add(hanging.url())));
        Await.until("the reload waits on the new server's first probe", WAIT, () -> hanging.probes() == 1);

        Drained drained;
        try {
            drained = fulcrum.shutdown().await(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("shutdown did not complete while a reload was being applied");
        }
        assertEquals(new Drained(0, 0), drained);
        assertTrue(Ports.refuses(port));
    }

    /**
     * A listenPort edit lets the old listener's requests in flight finish "for up to shutdownTimeout" (README,
     * Live reload). A SIGTERM that arrives while such a request still runs must drain it too, not cut it off.
     */
    @Test
    void requestInFlightOnTheOldListenerAfterAListenPortEditIsDrainedBySigterm(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(2_000, t -> req.response().end("done")));
        int[] ports = Ports.free(2);
        JsonObject config = Balancer.config(slow).put("listenPort", "127.0.0.1:" + ports[0]);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Future<Http.Reply> inFlight = new Http(vertx, ports[0]).get("/");
        Await.until("the request reached the backend", WAIT, () -> slow.requests() == 1);

        file.renameReplace(config.copy().put("listenPort", "127.0.0.1:" + ports[1]));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);
        Future<Drained> shutdown = fulcrum.shutdown();

        assertEquals(new Http.Reply(200, "done"),
                inFlight.otherwise(error -> new Http.Reply(0, String.valueOf(error))).await(),
                "the request in flight on the old listener was cut off by the drain");
        assertEquals(0, shutdown.await().cutOff());
    }
}
