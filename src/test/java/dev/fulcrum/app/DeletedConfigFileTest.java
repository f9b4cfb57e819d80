package dev.fulcrum.app;

import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.LogCapture;
import dev.fulcrum.support.Reloads;
import dev.fulcrum.support.TestBackend;
import dev.fulcrum.support.Traffic;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A deleted config file is a refused edit: logged each time, readiness stays UP, and putting it back clears it. */
@ExtendWith(VertxExtension.class)
class DeletedConfigFileTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void deletedFileIsRefusedAndReadinessStaysUpThenARecreatedFileApplies(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend first = TestBackend.start(vertx, "first");
        TestBackend second = TestBackend.start(vertx, "second");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        Http admin = new Http(vertx, fulcrum.adminPort());
        Traffic traffic = Traffic.start(http, 2);

        Files.delete(file.path());
        Await.until("the missing file is reported", WAIT, () -> fulcrum.status().lastError() != null);
        assertTrue(fulcrum.status().lastError().endsWith("no such file"), fulcrum.status().lastError());
        Http.Reply ready = admin.get("/health/ready").await();
        assertEquals(200, ready.status());
        assertEquals(fulcrum.status().lastError(), Reloads.reportedConfig(ready).getString("lastError"));

        file.renameReplace(config.copy().put("servers", new JsonArray().add(second.url())));
        Await.until("the re-created file applies", WAIT, () -> fulcrum.status().generation() == 2);
        assertNull(fulcrum.status().lastError());
        assertEquals("second", http.get("/").await().body());
        traffic.stopAndAssertAllOk();
    }

    /** A file deleted then put back unchanged clears "no such file" from /health/ready. */
    @Test
    void restoringADeletedFileUnchangedClearsTheReadError(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend first = TestBackend.start(vertx, "first");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        String original = Files.readString(file.path());

        Files.delete(file.path());
        Await.until("the missing file is reported", WAIT, () -> fulcrum.status().lastError() != null);
        file.renameReplace(original);

        Await.until("the restored file clears the read error (reverting a refused edit does)", Duration.ofSeconds(2),
                () -> fulcrum.status().lastError() == null);
    }

    /** README: a refused edit gets "one log line": after a delete and an unchanged restore, a second delete logs again. */
    @Test
    void everyDeletionOfTheFileIsLogged(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend first = TestBackend.start(vertx, "first");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        // An applied edit first, so that the watcher's initial read is over (a late arrival of it clears the read
        // error as a side effect, which would hide the defect).
        file.renameReplace(config.copy().put("requestTimeout", "9s"));
        Await.until("the first edit applied", WAIT, () -> fulcrum.status().generation() == 2);
        String original = Files.readString(file.path());
        // This file's path only: watchers of other tests' deleted temp directories may log on the same logger.
        String missing = "cannot read " + file.path() + ": no such file";
        try (LogCapture log = LogCapture.of("fulcrum.config")) {
            Files.delete(file.path());
            Await.until("the first deletion is logged", WAIT, () -> log.count(missing) == 1);
            file.renameReplace(original);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // ten 20 ms scans read the restored file
            Files.delete(file.path());
            Await.until("the second deletion is logged too", Duration.ofSeconds(2), () -> log.count(missing) == 2);
        }
    }
}
