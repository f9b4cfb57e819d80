package dev.fulcrum.app;

import dev.fulcrum.config.ConfigException;
import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Reloads;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A reloaded file is read as at startup: CRLF and a BOM are fine; not one JSON object, or not UTF-8, is refused. */
@ExtendWith(VertxExtension.class)
class ReloadFileTextTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void crlfLineEndingsApplyLikeAnyOtherEdit(Vertx vertx, @TempDir Path dir) {
        TestBackend first = TestBackend.start(vertx, "first");
        TestBackend second = TestBackend.start(vertx, "second");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());

        file.renameReplace(config.copy().put("servers", new JsonArray().add(second.url()))
                .encodePrettily().replace("\n", "\r\n") + "\r\n");

        Await.until("the CRLF edit applied", WAIT, () -> fulcrum.status().generation() == 2);
        assertNull(fulcrum.status().lastError());
        assertEquals("second", http.get("/").await().body());
    }

    /** A file saved with a UTF-8 byte-order mark (as some Windows editors do) applies, as it does at startup. */
    @Test
    void byteOrderMarkIsAcceptedAsAtStartup(Vertx vertx, @TempDir Path dir) {
        TestBackend first = TestBackend.start(vertx, "first");
        TestBackend second = TestBackend.start(vertx, "second");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        String withBom = "\uFEFF" + config.copy().put("servers", new JsonArray().add(second.url())).encodePrettily();

        file.renameReplace(withBom);

        Await.until("the edit is applied", WAIT, () -> fulcrum.status().generation() == 2);
        assertNull(fulcrum.status().lastError());
        assertEquals(ConfigParser.load(file.path()), fulcrum.config(), "a reload is judged exactly as the startup file");
        Await.until("traffic goes to the new server", WAIT, () -> http.get("/").await().body().equals("second"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"[\"http://127.0.0.1:1\"]", "42", "null", "\"{}\"", "true"})
    void validJsonThatIsNotAnObjectIsRefused(String text, Vertx vertx, @TempDir Path dir) {
        TestBackend first = TestBackend.start(vertx, "first");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http admin = new Http(vertx, fulcrum.adminPort());

        file.renameReplace(text);

        Await.until("the edit is refused", WAIT, () -> fulcrum.status().lastError() != null);
        assertTrue(fulcrum.status().lastError().startsWith("the config must be a JSON object"), fulcrum.status().lastError());
        assertEquals(1, fulcrum.status().generation());
        Http.Reply ready = admin.get("/health/ready").await();
        assertEquals(200, ready.status(), "readiness stays UP after a refused edit");
        assertEquals(fulcrum.status().lastError(), Reloads.reportedConfig(ready).getString("lastError"));
        assertEquals(1, Reloads.reportedConfig(ready).getInteger("generation"));
    }

    /** README: invalid JSON is refused "with line and column". Text after the object gets neither. */
    @Test
    void textAfterTheObjectIsRefusedWithLineAndColumn(Vertx vertx, @TempDir Path dir) {
        TestBackend first = TestBackend.start(vertx, "first");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);

        // A paste that left a second copy of the object at the end of the file.
        file.renameReplace(config.encodePrettily() + "\n" + config.encodePrettily());

        Await.until("the edit is refused", WAIT, () -> fulcrum.status().lastError() != null);
        String error = fulcrum.status().lastError();
        assertTrue(error.matches("invalid JSON at line \\d+, column \\d+: .*"), error);
    }

    /** The watcher judges the file as startup does: bytes that are not UTF-8 are refused, not replaced. */
    @Test
    void fileThatIsNotUtf8IsRefusedOnReloadAsAtStartup(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend first = TestBackend.start(vertx, "first");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        String[] around = config.copy().put("healthCheck", new JsonObject().put("path", "/health@"))
                .encodePrettily().split("@");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(around[0].getBytes(StandardCharsets.UTF_8));
        bytes.write(0xFF); // never valid in UTF-8
        bytes.writeBytes(around[1].getBytes(StandardCharsets.UTF_8));
        Path temp = dir.resolve("latin1.tmp");
        Files.write(temp, bytes.toByteArray());
        ConfigException atStartup = assertThrows(ConfigException.class, () -> ConfigParser.load(temp));
        assertEquals("cannot read the file: it is not UTF-8 text", atStartup.getMessage());

        Files.move(temp, file.path(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        Await.until("the edit is judged", WAIT, () -> Reloads.judged(fulcrum));
        assertNotNull(fulcrum.status().lastError(), "applied a file startup refuses; healthCheck.path is now "
                + fulcrum.config().healthCheck().path().chars().mapToObj(c -> String.format("U+%04X", c)).toList());
        assertEquals(1, fulcrum.status().generation());
    }
}
