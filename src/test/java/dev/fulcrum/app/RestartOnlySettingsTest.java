package dev.fulcrum.app;

import dev.fulcrum.config.IoTransport;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Settings fixed at start (header and URI limits, transport) are refused on reload: a restart applies them. */
@ExtendWith(VertxExtension.class)
class RestartOnlySettingsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /**
     * maxHeaderSize and maxUriLength size the HTTP decoder when the listener opens: an edit changing them is
     * refused with a message saying a restart applies them, instead of being reported as applied.
     */
    @Test
    void headerAndUriLimitEditsAreRefusedAsNeedingARestart(Vertx vertx, @TempDir Path dir) {
        TestBackend backend = TestBackend.start(vertx, "b");
        JsonObject config = Balancer.config(backend);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);

        file.renameReplace(config.copy().put("maxHeaderSize", "2KiB").put("maxUriLength", "1KiB"));
        Await.until("the edit is refused", WAIT, () -> fulcrum.status().lastError() != null);

        assertTrue(fulcrum.status().lastError().contains("restart"), fulcrum.status().lastError());
        assertEquals(1, fulcrum.status().generation());
        assertEquals(16 * 1024, fulcrum.config().limits().maxHeaderSize());
        RawHttp.Response bigHeader = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: "
                + "a".repeat(6000) + "\r\n\r\n");
        assertEquals(200, bigHeader.status(), "the limit the listener opened with still holds");
    }

    /** The event loops are built on the transport when the process starts: a change is refused, not reported as applied. */
    @Test
    void transportEditIsRefusedAsNeedingARestart(Vertx vertx, @TempDir Path dir) {
        TestBackend backend = TestBackend.start(vertx, "b");
        JsonObject config = Balancer.config(backend);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);

        file.renameReplace(config.copy().put("transport", "nio"));
        Await.until("the edit is refused", WAIT, () -> fulcrum.status().lastError() != null);

        assertEquals("transport cannot change while Fulcrum runs: restart it to apply it", fulcrum.status().lastError());
        assertEquals(1, fulcrum.status().generation());
        assertEquals(IoTransport.AUTO, fulcrum.config().transport());
    }
}
