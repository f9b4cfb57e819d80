package dev.fulcrum.app;

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
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An edit with values the runtime cannot honour (wrapping numbers, a server twice, sub-ms periods) is refused. */
@ExtendWith(VertxExtension.class)
class ReloadValueChecksTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /**
     * Numbers too large for a long, or with a fraction where a whole number is due, are refused: they used to
     * wrap or be cut (a weight of 2^64+1 became 1, a maxRequestBody of 2^64+100 became 100 bytes).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "weight 2^64+1                      | \"servers\": [{\"url\": \"URL\", \"weight\": 18446744073709551617}]",
            "maxRequestBody 2^64+100            | \"servers\": [\"URL\"], \"maxRequestBody\": 18446744073709551716",
            "consecutiveFailures -(2^64-1)      | \"servers\": [\"URL\"], \"consecutiveFailures\": -18446744073709551615",
            "maxRequestBody with a fraction 1.5 | \"servers\": [\"URL\"], \"maxRequestBody\": 1.5"})
    void hugeOrFractionalNumbersAreRefusedNotWrapped(String kind, String body, Vertx vertx, @TempDir Path dir) {
        TestBackend first = TestBackend.start(vertx, "first");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);

        file.renameReplace("{\"listenPort\": \"127.0.0.1:0\", \"adminPort\": \"127.0.0.1:0\", \"configScanPeriod\": \"20ms\", "
                + body.replace("URL", first.url()) + ", \"requestTimeout\": \"7s\"}");

        Await.until("the edit is judged", WAIT, () -> Reloads.judged(fulcrum));
        assertNotNull(fulcrum.status().lastError(), kind + " was accepted and applied as: weight "
                + fulcrum.config().servers().get(0).weight() + ", maxRequestBody " + fulcrum.config().limits().maxRequestBody()
                + ", consecutiveFailures " + fulcrum.config().consecutiveFailures());
        assertEquals(1, fulcrum.status().generation());
    }

    @Test
    void duplicateServerDifferingOnlyByTrailingSlashOrHostCaseIsRefused(Vertx vertx, @TempDir Path dir) {
        TestBackend first = TestBackend.start(vertx, "first");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);

        file.renameReplace(config.copy().put("servers", new JsonArray()
                .add(first.url()).add("HTTP://LOCALHOST:" + first.port() + "/").add("http://localhost:" + first.port())));

        Await.until("the edit is judged", WAIT, () -> Reloads.judged(fulcrum));
        String error = fulcrum.status().lastError();
        assertNotNull(error, "applied: " + fulcrum.config().servers());
        assertTrue(error.startsWith("servers[2]: \"http://localhost:" + first.port() + "\" is listed twice (also servers[1])"), error);
        assertEquals(1, fulcrum.status().generation());
    }

    /** The same server written with its scheme's default port spelled out, or with a leading zero, is a duplicate. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "default port spelled out | http://127.0.0.1:80 | http://127.0.0.1",
            "leading zero in the port | URL                 | LEADING_ZERO"})
    void duplicateServerSpelledWithDefaultPortOrLeadingZeroIsRefused(String kind, String one, String other, Vertx vertx,
                                                                     @TempDir Path dir) {
        TestBackend first = TestBackend.start(vertx, "first");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        String leadingZero = "http://127.0.0.1:0" + first.port();

        file.renameReplace(config.copy().put("servers", new JsonArray()
                .add(one.replace("URL", first.url())).add(other.replace("LEADING_ZERO", leadingZero))));

        Await.until("the edit is judged", WAIT, () -> Reloads.judged(fulcrum));
        assertNotNull(fulcrum.status().lastError(), kind + ": one server listed twice was applied as "
                + fulcrum.backends().all().size() + " backends " + fulcrum.config().servers());
        assertEquals(1, fulcrum.status().generation());
    }

    /**
     * Timers tick in milliseconds: a scan period or probe timeout below 1 ms would become 0 (never scanning
     * again, or every probe failing with an internal error). Such an edit is refused and the old config serves.
     */
    @Test
    void subMillisecondPeriodsAndTimeoutsAreRefusedOnReload(Vertx vertx, @TempDir Path dir) {
        TestBackend a = TestBackend.start(vertx, "a");
        JsonObject config = Balancer.fastHealth(Balancer.config(a));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());

        file.renameReplace(config.copy().put("configScanPeriod", "500us"));
        Await.until("the scan period edit is refused", WAIT, () -> fulcrum.status().lastError() != null);
        assertTrue(fulcrum.status().lastError().contains("configScanPeriod: \"500us\" must be at least 1ms"),
                fulcrum.status().lastError());

        file.renameReplace(config.copy().put("healthCheck", new JsonObject().put("timeout", "900us")));
        Await.until("the probe timeout edit is refused", WAIT,
                () -> fulcrum.status().lastError().contains("healthCheck.timeout"));
        assertEquals(1, fulcrum.status().generation());
        assertEquals(200, http.get("/").await().status());
    }
}
