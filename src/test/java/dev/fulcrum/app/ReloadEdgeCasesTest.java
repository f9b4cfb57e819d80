package dev.fulcrum.app;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.config.ConfigException;
import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.config.IoTransport;
import dev.fulcrum.proxy.Drained;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.LogCapture;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import dev.fulcrum.support.Traffic;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Config text edge cases, reload sequences, health checking and graceful shutdown, all through a
 * watched file on disk and real loopback sockets. Each test states the behaviour the README promises.
 */
@ExtendWith(VertxExtension.class)
class ReloadEdgeCasesTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    // ------------------------------------------------------------------------------------------------------
    // Config text edge cases
    // ------------------------------------------------------------------------------------------------------

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
        assertEquals(fulcrum.status().lastError(), configStatus(ready).getString("lastError"));
        assertEquals(1, configStatus(ready).getInteger("generation"));
    }

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

        Await.until("the edit is judged", WAIT, () -> decided(fulcrum));
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

        Await.until("the edit is judged", WAIT, () -> decided(fulcrum));
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

        Await.until("the edit is judged", WAIT, () -> decided(fulcrum));
        assertNotNull(fulcrum.status().lastError(), kind + ": one server listed twice was applied as "
                + fulcrum.backends().all().size() + " backends " + fulcrum.config().servers());
        assertEquals(1, fulcrum.status().generation());
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

        Await.until("the edit is judged", WAIT, () -> decided(fulcrum));
        assertNotNull(fulcrum.status().lastError(), "applied a file startup refuses; healthCheck.path is now "
                + fulcrum.config().healthCheck().path().chars().mapToObj(c -> String.format("U+%04X", c)).toList());
        assertEquals(1, fulcrum.status().generation());
    }

    // ------------------------------------------------------------------------------------------------------
    // Values the parser accepts but the runtime cannot honour
    // ------------------------------------------------------------------------------------------------------

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

    /**
     * README: shutdownTimeout bounds "how long requests in flight may take to finish ... when their ... backend
     * goes away". With shutdownTimeout "900ms" the requests in flight to a removed backend are cut at once
     * (502), with "1s" they finish.
     */
    @ParameterizedTest(name = "shutdownTimeout {0}")
    @ValueSource(strings = {"900ms", "1s"})
    void removedBackendLetsItsRequestsFinishWithinShutdownTimeout(String shutdownTimeout, Vertx vertx, @TempDir Path dir) {
        // Each request needs 400 ms, well within either timeout; the "1s" row is the control.
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(400, t -> req.response().end("slow")));
        TestBackend fast = TestBackend.start(vertx, "fast");
        JsonObject config = Balancer.config(slow).put("shutdownTimeout", shutdownTimeout);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend slowState = fulcrum.backends().all().get(0);
        Http http = new Http(vertx, fulcrum.port());

        List<Future<Http.Reply>> inFlight = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inFlight.add(post(http, "/", "order " + i));
        }
        Await.until("3 requests are in flight to the slow server", WAIT, () -> slowState.inFlight() == 3);
        file.renameReplace(config.copy().put("servers", new JsonArray().add(fast.url())));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);

        List<Http.Reply> replies = inFlight.stream().map(reply -> reply.otherwise(new Http.Reply(0, "transport error")).await()).toList();
        assertEquals(List.of(new Http.Reply(200, "slow"), new Http.Reply(200, "slow"), new Http.Reply(200, "slow")), replies);
    }

    // ------------------------------------------------------------------------------------------------------
    // Reload sequences
    // ------------------------------------------------------------------------------------------------------

    /**
     * README: a new requestTimeout "applies to the next request", even while older requests still wait under
     * the old, longer timeout (one deadline queue per event loop).
     */
    @Test
    void shortenedRequestTimeoutAppliesToTheNextRequestEvenWithOlderOnesWaiting(Vertx vertx, @TempDir Path dir) {
        TestBackend silent = TestBackend.start(vertx, "silent", req -> { });
        JsonObject config = Balancer.config(silent).put("requestTimeout", "30s").put("consecutiveFailures", 1000);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend state = fulcrum.backends().all().get(0);
        Http old = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 4; i++) {
            old.get("/old");
        }
        Await.until("4 requests wait under the 30 s timeout", WAIT, () -> state.inFlight() == 4);

        file.renameReplace(config.copy().put("requestTimeout", "200ms"));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);

        List<Future<Http.Reply>> fresh = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            fresh.add(new Http(vertx, fulcrum.port()).get("/new"));
        }
        for (Future<Http.Reply> reply : fresh) {
            try {
                assertEquals(504, reply.await(3, TimeUnit.SECONDS).status());
            } catch (TimeoutException e) {
                fail("a request sent after requestTimeout became 200ms had no answer after 3 s");
            }
        }
    }

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

    /** While an edit waits for a new server's first probe, later edits queue: the last one wins, the middle one is skipped. */
    @Test
    void editsQueuedBehindASlowApplyEndOnTheLastOne(Vertx vertx, @TempDir Path dir) {
        TestBackend a = TestBackend.start(vertx, "a");
        TestBackend hanging = TestBackend.start(vertx, "hanging").probeHandler(req -> { });
        JsonObject config = Balancer.config(a).put("healthCheck", new JsonObject().put("timeout", "1s"));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Traffic traffic = Traffic.start(new Http(vertx, fulcrum.port()), 2);
        JsonObject withHanging = config.copy().put("servers", new JsonArray().add(a.url()).add(hanging.url()));

        file.renameReplace(withHanging);
        Await.until("the new server's first probe is in flight", WAIT, () -> hanging.probes() == 1);
        assertEquals(1, fulcrum.status().generation(), "the reload waits for the first probe");
        file.renameReplace(withHanging.copy().put("requestTimeout", "11s"));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // several 20 ms scans see the middle edit
        file.renameReplace(withHanging.copy().put("requestTimeout", "13s"));

        Await.until("the last edit is in force", WAIT, () -> fulcrum.config().requestTimeout().toSeconds() == 13);
        assertEquals(3, fulcrum.status().generation(), "the first and the last edit applied, not the middle one");
        assertEquals(HealthState.UNHEALTHY, fulcrum.backends().find(hanging.url()).orElseThrow().health());
        traffic.stopAndAssertAllOk();
    }

    @Test
    void revertingARefusedEditClearsTheErrorWithoutANewGenerationAndARoundTripCountsTwice(Vertx vertx, @TempDir Path dir) {
        TestBackend first = TestBackend.start(vertx, "first");
        TestBackend second = TestBackend.start(vertx, "second");
        JsonObject config = Balancer.config(first);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        Http admin = new Http(vertx, fulcrum.adminPort());

        file.renameReplace("{\"servers\": [\"http://127.0.0.1:1\"], \"algorithm\": \"fastest\"}");
        Await.until("the edit is refused", WAIT, () -> fulcrum.status().lastError() != null);
        file.renameReplace(config);
        Await.until("the revert clears the error", WAIT, () -> fulcrum.status().lastError() == null);
        assertEquals(1, fulcrum.status().generation(), "the original text is no new config");
        JsonObject reported = configStatus(admin.get("/health/ready").await());
        assertNull(reported.getValue("lastError"));
        assertEquals(1, reported.getInteger("generation"));

        file.renameReplace(config.copy().put("servers", new JsonArray().add(second.url())));
        Await.until("edit applied", WAIT, () -> fulcrum.status().generation() == 2);
        assertEquals("second", http.get("/").await().body());
        file.renameReplace(config);
        Await.until("revert applied", WAIT, () -> fulcrum.status().generation() == 3);
        assertEquals("first", http.get("/").await().body());
        assertEquals(3, configStatus(admin.get("/health/ready").await()).getInteger("generation"));
    }

    @Test
    void algorithmSwitchedBackAndForthKeepsExactWeightedTurns(Vertx vertx, @TempDir Path dir) {
        TestBackend heavy = TestBackend.start(vertx, "heavy");
        TestBackend light = TestBackend.start(vertx, "light");
        JsonObject roundRobin = Balancer.config(heavy, light).put("algorithm", "round-robin").put("servers", new JsonArray()
                .add(new JsonObject().put("url", heavy.url()).put("weight", 3))
                .add(new JsonObject().put("url", light.url()).put("weight", 1)));
        ConfigFile file = ConfigFile.plain(dir, roundRobin);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        Traffic traffic = Traffic.start(new Http(vertx, fulcrum.port()), 2);

        for (int round = 0; round < 2; round++) {
            file.renameReplace(roundRobin.copy().put("algorithm", "least-busy"));
            int leastBusy = 2 + 2 * round;
            Await.until("least-busy applied", WAIT, () -> fulcrum.status().generation() == leastBusy);
            file.renameReplace(roundRobin);
            Await.until("round-robin applied again", WAIT, () -> fulcrum.status().generation() == leastBusy + 1);
        }
        traffic.stopAndAssertAllOk();

        Map<String, Integer> picks = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            picks.merge(http.get("/").await().body(), 1, Integer::sum);
        }
        assertEquals(Map.of("heavy", 300, "light", 100), picks);
    }

    @Test
    void addedServerThatIsDownCompletesTheReloadAndJoinsOnceItIsUp(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend a = TestBackend.start(vertx, "a");
        int downPort = Ports.free(1)[0];
        JsonObject config = Balancer.fastHealth(Balancer.config(a));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Traffic traffic = Traffic.start(new Http(vertx, fulcrum.port()), 3);

        file.renameReplace(config.copy().put("servers", new JsonArray().add(a.url()).add("http://127.0.0.1:" + downPort)));
        Await.until("the reload completed", WAIT, () -> fulcrum.status().generation() == 2);
        Backend added = fulcrum.backends().find("http://127.0.0.1:" + downPort).orElseThrow();
        assertEquals(HealthState.UNHEALTHY, added.health());
        assertEquals("connection refused", added.lastFailure());

        TestBackend late = TestBackend.startOn(vertx, downPort, "late", req -> req.response().end("late"));
        Await.until("the late server is healthy", WAIT, () -> added.health() == HealthState.HEALTHY);
        Await.until("and gets traffic", WAIT, () -> late.requests() > 20);
        traffic.stopAndAssertAllOk();
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

    // ------------------------------------------------------------------------------------------------------
    // The watched file goes away
    // ------------------------------------------------------------------------------------------------------

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
        assertEquals(fulcrum.status().lastError(), configStatus(ready).getString("lastError"));

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

    // ------------------------------------------------------------------------------------------------------
    // Health
    // ------------------------------------------------------------------------------------------------------

    @Test
    void expectedStatusAndThresholdEditsApplyToTheNextProbes(Vertx vertx, @TempDir Path dir) {
        TestBackend picky = TestBackend.start(vertx, "picky").probeStatus(404);
        TestBackend steady = TestBackend.start(vertx, "steady");
        JsonObject config = Balancer.fastHealth(Balancer.config(picky, steady));
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend pickyState = fulcrum.backends().find(picky.url()).orElseThrow();
        Http http = new Http(vertx, fulcrum.port());
        Traffic traffic = Traffic.start(http, 2);
        assertEquals(HealthState.HEALTHY, pickyState.health(), "404 is within the default 200-499");

        file.renameReplace(config.copy().put("healthCheck", new JsonObject().put("timeout", "500ms")
                .put("expectedStatus", "200-299").put("unhealthyThreshold", 3)));
        Await.until("picky is taken out per the new expectedStatus", WAIT, () -> pickyState.health() == HealthState.UNHEALTHY);
        assertEquals("HTTP 404 from GET / (expected 200-299)", pickyState.lastFailure());
        // Requests already routed when the health event arrived may still reach picky; then none does.
        Await.until("20 requests in a row skip picky", WAIT, () -> {
            int before = picky.requests();
            for (int i = 0; i < 20; i++) {
                if (!http.get("/").await().body().equals("steady")) {
                    return false;
                }
            }
            return picky.requests() == before;
        });
        int served = picky.requests();

        file.renameReplace(config.copy().put("healthCheck", new JsonObject().put("timeout", "500ms")
                .put("expectedStatus", "200,404").put("healthyThreshold", 1)));
        Await.until("picky is back per the new expectedStatus", WAIT, () -> pickyState.health() == HealthState.HEALTHY);
        Await.until("and gets traffic", WAIT, () -> picky.requests() > served + 10);
        traffic.stopAndAssertAllOk();
    }

    @Test
    void flappingBackendCausesNoClientErrorWhileAnotherIsHealthy(Vertx vertx) {
        TestBackend steady = TestBackend.start(vertx, "steady");
        TestBackend[] flappy = {TestBackend.start(vertx, "flappy")};
        int flappyPort = flappy[0].port();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(steady, flappy[0])));
        Backend flappyState = fulcrum.backends().find(flappy[0].url()).orElseThrow();
        Traffic traffic = Traffic.start(new Http(vertx, fulcrum.port()), 4);
        Await.until("traffic flows", WAIT, () -> flappy[0].requests() > 10);

        // Even cycles wait for each transition to be seen; odd ones flap as fast as the server can stop and start.
        for (int cycle = 0; cycle < 6; cycle++) {
            flappy[0].stop();
            if (cycle % 2 == 0) {
                Await.until("flappy is seen down", WAIT, () -> flappyState.health() == HealthState.UNHEALTHY);
            }
            flappy[0] = TestBackend.startOn(vertx, flappyPort, "flappy", req -> req.response().end("flappy"));
            if (cycle % 2 == 0) {
                Await.until("flappy is back and serving", WAIT, () -> flappy[0].requests() > 5);
            }
        }
        traffic.stopAndAssertAllOk();
    }

    // ------------------------------------------------------------------------------------------------------
    // Graceful shutdown
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shutdownWithNoHealthyBackendCompletesAtOnce(Vertx vertx) {
        TestBackend down = TestBackend.start(vertx, "down").probeStatus(503);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(down));
        Http http = new Http(vertx, fulcrum.port());
        assertEquals(503, http.get("/").await().status());
        assertEquals(503, new Http(vertx, fulcrum.adminPort()).get("/health/ready").await().status());

        long started = System.nanoTime();
        assertEquals(new Drained(0, 0), fulcrum.shutdown().await());
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2));
        assertTrue(ReloadListenerTest.refuses(fulcrum.port()));
    }

    /**
     * One request ends within shutdownTimeout, one never would: the first is delivered, the second cut off at the
     * timeout, and the drain reports one of each. README: the process exits "logging how many requests it drained".
     */
    @Test
    void drainReportsTheRequestCutOffAtShutdownTimeout(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "b", req -> {
            if (req.path().equals("/quick")) {
                vertx.setTimer(200, t -> req.response().end("quick"));
            } // "/never" is never answered
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("shutdownTimeout", "600ms"));
        Future<Http.Reply> quick = new Http(vertx, fulcrum.port()).get("/quick");
        Future<Http.Reply> never = new Http(vertx, fulcrum.port()).get("/never");
        Await.until("both requests reached the backend", WAIT, () -> backend.requests() == 2);

        long started = System.nanoTime();
        Drained drained = fulcrum.shutdown().await();
        long millis = (System.nanoTime() - started) / 1_000_000;

        assertEquals(new Http.Reply(200, "quick"), quick.await());
        assertTrue(never.transform(done -> Future.succeededFuture(done.failed())).await(), "the endless request was cut off");
        assertTrue(millis >= 500 && millis < 3_000, "shutdown took " + millis + " ms");
        assertEquals(new Drained(1, 1), drained);
    }

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
        Await.until("the old port stops accepting", WAIT, () -> ReloadListenerTest.refuses(oldPort));
        file.renameReplace(config.copy().put("listenPort", "127.0.0.1:" + newPort));
        // Bounded: either the edit is applied (or refused) within a few scans, or the drain ends first.
        Await.until("the edit is judged or the drain is over", WAIT, () -> decided(fulcrum) || shutdown.isComplete());
        boolean newPortAccepts = !ReloadListenerTest.refuses(newPort);

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
        assertTrue(ReloadListenerTest.refuses(port));
    }

    // ------------------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------------------

    /** The edit was either refused or applied. */
    private static boolean decided(Fulcrum fulcrum) {
        return fulcrum.status().lastError() != null || fulcrum.status().generation() > 1;
    }

    private static JsonObject configStatus(Http.Reply ready) {
        return new JsonObject(ready.body()).getJsonArray("checks").getJsonObject(0)
                .getJsonObject("data").getJsonObject("config");
    }

    private static Future<Http.Reply> post(Http http, String uri, String body) {
        return http.on(client -> client.request(HttpMethod.POST, uri)
                .compose(req -> req.send(Buffer.buffer(body)))
                .compose(resp -> resp.body().map(b -> new Http.Reply(resp.statusCode(), b.toString()))));
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes; returns whether it held. */
    private static boolean poll(Duration timeout, BooleanSupplier condition) {
        try {
            Await.until("polled", timeout, condition);
            return true;
        } catch (AssertionError timedOut) {
            return false;
        }
    }
}
