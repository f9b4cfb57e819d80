package dev.fulcrum.app;

import dev.fulcrum.proxy.Drained;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A new listenPort is bound before the old one lets go; a port that cannot be bound refuses the reload. */
@ExtendWith(VertxExtension.class)
class ReloadListenerTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void newPortServesAndOldPortDrainsThenRefuses(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "b", req -> {
            if (req.path().equals("/slow")) {
                vertx.setTimer(500, t -> req.response().end("b"));
            } else {
                req.response().end("b");
            }
        });
        int[] ports = Ports.free(2);
        int oldPort = ports[0];
        int newPort = ports[1];
        JsonObject config = Balancer.config(backend).put("listenPort", "127.0.0.1:" + oldPort);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http old = new Http(vertx, oldPort);
        Future<Http.Reply> inFlight = old.get("/slow");
        Await.until("the slow request is in flight", WAIT, () -> backend.requests() == 1);

        file.renameReplace(config.copy().put("listenPort", "127.0.0.1:" + newPort));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);

        assertEquals(200, new Http(vertx, newPort).get("/").await().status());
        assertEquals(new Http.Reply(200, "b"), inFlight.await(), "the request in flight on the old port completed");
        Await.until("the old port refuses new connections", WAIT, () -> refuses(oldPort));
        assertEquals(newPort, fulcrum.port());
    }

    @Test
    void portInUseRefusesTheReloadAndTheOldPortKeepsServing(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "b");
        JsonObject config = Balancer.config(backend);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        int port = fulcrum.port();
        TestBackend squatter = TestBackend.start(vertx, "squatter");

        file.renameReplace(config.copy().put("listenPort", "127.0.0.1:" + squatter.port()).put("requestTimeout", "5s"));
        Await.until("the edit is refused", WAIT, () -> fulcrum.status().lastError() != null);

        String error = fulcrum.status().lastError();
        assertTrue(error.startsWith("listenPort 127.0.0.1:" + squatter.port() + ": cannot bind"), error);
        assertEquals(1, fulcrum.status().generation());
        assertEquals(port, fulcrum.port());
        assertEquals(new Http.Reply(200, "b"), new Http(vertx, port).get("/").await());
        assertEquals(60_000, fulcrum.config().requestTimeout().toMillis(), "nothing of the edit applied");
        assertFalse(refuses(port));
    }

    @Test
    void adminPortInUseRefusesTheReloadAndNamesIt(Vertx vertx, @TempDir Path dir) {
        TestBackend backend = TestBackend.start(vertx, "b");
        JsonObject config = Balancer.config(backend);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        int adminPort = fulcrum.adminPort();
        TestBackend squatter = TestBackend.start(vertx, "squatter");

        file.renameReplace(config.copy().put("adminPort", "127.0.0.1:" + squatter.port()));
        Await.until("the edit is refused", WAIT, () -> fulcrum.status().lastError() != null);

        String error = fulcrum.status().lastError();
        assertTrue(error.startsWith("adminPort 127.0.0.1:" + squatter.port() + ": cannot bind"), error);
        assertTrue(error.endsWith("still serving on 127.0.0.1:0"), error);
        assertEquals(200, new Http(vertx, adminPort).get("/health/live").await().status());
    }

    /** README: "If the new port cannot be bound, the whole edit is refused". Once the port is free, a re-read (SIGHUP) applies it. */
    @Test
    void editRefusedForAPortInUseAppliesOnARescanOnceThePortIsFree(Vertx vertx, @TempDir Path dir) {
        TestBackend backend = TestBackend.start(vertx, "b");
        JsonObject config = Balancer.config(backend);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        TestBackend squatter = TestBackend.start(vertx, "squatter");
        int wanted = squatter.port();

        file.renameReplace(config.copy().put("listenPort", "127.0.0.1:" + wanted));
        Await.until("the edit is refused", WAIT, () -> fulcrum.status().lastError() != null);
        squatter.stop();

        fulcrum.rescan(); // what kill -HUP does
        // Each proxy verticle takes the new listener on its own event loop, just after the edit applies.
        Await.until("the rescan applies the file now that its port is free", Duration.ofSeconds(3),
                () -> fulcrum.status().generation() == 2 && fulcrum.port() == wanted);
    }

    /**
     * README (Live reload): a new adminPort is bound first, then the old listener stops. The probes answer on
     * the new port, the old one is closed, and the new admin port is closed again when Fulcrum stops.
     */
    @Test
    void adminPortEditMovesTheProbesAndShutdownClosesTheNewPort(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "b");
        int[] ports = Ports.free(2);
        // The delay holds the admin server up after the SIGTERM long enough to ask it for readiness.
        JsonObject config = Balancer.config(backend).put("adminPort", "127.0.0.1:" + ports[0]).put("shutdownDelay", "300ms");
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);

        file.renameReplace(config.copy().put("adminPort", "127.0.0.1:" + ports[1]));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);

        Http admin = new Http(vertx, ports[1]);
        assertEquals(200, admin.get("/health/ready").await().status());
        assertEquals(200, admin.get("/health/live").await().status());
        Await.until("the old admin port is closed", WAIT, () -> refuses(ports[0]));
        assertEquals(ports[1], fulcrum.adminPort());

        Future<Drained> shutdown = fulcrum.shutdown();
        assertEquals(503, admin.get("/health/ready").await().status(), "readiness DOWN on the new admin port");
        shutdown.await();
        Await.until("the new admin port is closed after the stop", WAIT, () -> refuses(ports[1]));
    }

    static boolean refuses(int port) {
        return Ports.refuses(port);
    }

}
