package dev.fulcrum.app;

import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.LogCapture;
import dev.fulcrum.support.TestBackend;
import dev.fulcrum.support.Traffic;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every real way of writing the file is seen, and nothing but complete, valid files is ever applied. */
@ExtendWith(VertxExtension.class)
class ReloadFileWritesTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    /** How operators and their tools replace a config file. */
    enum WriteStyle {
        IN_PLACE_REWRITE(ConfigFile::plain, ConfigFile::rewriteInPlace),
        EDITOR_RENAME_REPLACE(ConfigFile::plain, ConfigFile::renameReplace),
        KUBERNETES_CONFIGMAP_SYMLINK_SWAP(ConfigFile::configMap, ConfigFile::swapConfigMap);

        final BiFunction<Path, JsonObject, ConfigFile> create;
        final BiConsumer<ConfigFile, JsonObject> write;

        WriteStyle(BiFunction<Path, JsonObject, ConfigFile> create, BiConsumer<ConfigFile, JsonObject> write) {
            this.create = create;
            this.write = write;
        }
    }

    @ParameterizedTest
    @EnumSource(WriteStyle.class)
    void everyWayOfWritingTheFileApplies(WriteStyle style, Vertx vertx, @TempDir Path dir) {
        TestBackend first = TestBackend.start(vertx, "first");
        TestBackend second = TestBackend.start(vertx, "second");
        JsonObject config = Balancer.config(first);
        ConfigFile file = style.create.apply(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        Traffic traffic = Traffic.start(http, 2);

        style.write.accept(file, config.copy().put("servers", new JsonArray().add(second.url())));

        Await.until("the new config applies", WAIT, () -> http.get("/").await().body().equals("second"));
        traffic.stopAndAssertAllOk();
    }

    @Test
    void halfWrittenFileIsRefusedThenTheCompleteFileApplies(Vertx vertx, @TempDir Path dir) {
        TestBackend first = TestBackend.start(vertx, "first");
        TestBackend second = TestBackend.start(vertx, "second");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        Traffic traffic = Traffic.start(http, 2);

        // Pauses longer than the 20 ms scan period, so the watcher sees the empty and the half-written file.
        file.writeSlowly(config.copy().put("servers", new JsonArray().add(second.url())),
                () -> LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)));

        Await.until("the complete file applies", WAIT, () -> fulcrum.status().generation() == 2);
        assertEquals("second", http.get("/").await().body());
        traffic.stopAndAssertAllOk();
        assertEquals(2, fulcrum.status().generation(), "the partial states were never applied");
    }

    @Test
    void rapidAlternatingValidAndInvalidRewritesUnderLoadEndOnTheLastValidFile(Vertx vertx, @TempDir Path dir) {
        List<TestBackend> backends = List.of(
                TestBackend.start(vertx, "a"), TestBackend.start(vertx, "b"), TestBackend.start(vertx, "c"));
        JsonObject config = Balancer.config(backends.toArray(TestBackend[]::new));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        Traffic traffic = Traffic.start(http, 4);

        JsonObject last = null;
        for (int i = 0; i < 200; i++) {
            if (i % 2 == 0) {
                // Always two of the three servers, and a different timeout each time, so every valid edit changes something.
                JsonArray servers = new JsonArray().add(backends.get(i % 3).url()).add(backends.get((i + 1) % 3).url());
                last = config.copy().put("servers", servers).put("requestTimeout", (10 + i) + "s");
                file.rewriteInPlace(last);
            } else {
                file.rewriteInPlace("{\"servers\": [" + i);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(3));
        }
        file.rewriteInPlace(last);

        JsonObject expected = last;
        Await.until("the last valid file is in force", WAIT,
                () -> fulcrum.config().requestTimeout().toSeconds() == 10 + 198);
        traffic.stopAndAssertAllOk();
        assertEquals(expected.getJsonArray("servers").getList(),
                fulcrum.backends().all().stream().map(b -> b.url()).toList());
        assertTrue(traffic.answered() > 100);
    }

    @Test
    void scanThatFindsNoChangeLogsNothing(Vertx vertx, @TempDir Path dir) {
        TestBackend backend = TestBackend.start(vertx, "b");
        JsonObject config = Balancer.config(backend);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        try (LogCapture configLog = LogCapture.of("fulcrum.config")) {
            // Atomic writes: an in-place rewrite could be caught half-written, which is a change (refused).
            file.renameReplace(config);
            file.renameReplace(config.encode());
            Await.until("the whitespace-only edit was read", WAIT, () -> fulcrum.status().appliedAt() != null);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            assertEquals(List.of(), configLog.messages());
            assertEquals(1, fulcrum.status().generation());
        }
    }
}
