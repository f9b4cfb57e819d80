package dev.fulcrum.app;

import dev.fulcrum.app.InProcessMain.Outcome;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.LogCapture;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code fulcrum check --diff} against a Fulcrum running from another file: what a reload of the checked file
 * would change, in the very words the reload logs (README, fulcrum check).
 */
@ExtendWith(VertxExtension.class)
class ConfigDiffTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void changedFileSaysWhatItsReloadThenLogs(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend a = TestBackend.start(vertx, "a");
        TestBackend added = TestBackend.start(vertx, "added");
        JsonObject config = runningConfig(a);
        ConfigFile running = ConfigFile.plain(Files.createDirectory(dir.resolve("running")), config);
        Balancer.startWatching(vertx, running);
        JsonObject edit = config.copy().put("healthCheckInterval", "2s")
                .put("servers", new JsonArray().add(a.url()).add(added.url()));
        Path candidate = Files.writeString(dir.resolve("candidate.json"), edit.encodePrettily());

        Outcome diffed = InProcessMain.run("check", "--diff", "--config", candidate.toString());

        String changes = "healthCheckInterval 5s -> 2s, servers +" + added.url();
        assertEquals(new Outcome(0, changes + "\n", ""), diffed);
        try (LogCapture log = LogCapture.of("fulcrum.config")) {
            running.renameReplace(edit);
            Await.until("the reload is logged", WAIT, () -> log.count("config reloaded") == 1);
            assertEquals(List.of("config reloaded (generation 2): " + changes), log.messages());
        }
        assertEquals(new Outcome(0, "no changes\n", ""),
                InProcessMain.run("check", "--diff", "--config", candidate.toString()), "after the reload");
    }

    /** The snapshots are compared, not the texts: layout, key order and spelled-out defaults change nothing. */
    @Test
    void fileLikeTheRunningOneSaysNoChanges(Vertx vertx, @TempDir Path dir) throws Exception {
        JsonObject config = runningConfig(TestBackend.start(vertx, "a"));
        ConfigFile running = ConfigFile.plain(dir, config);
        Balancer.startWatching(vertx, running);
        JsonObject reordered = new JsonObject().put("servers", config.getJsonArray("servers")).put("algorithm", "least-busy");
        config.forEach(field -> reordered.put(field.getKey(), field.getValue()));
        Path rewritten = Files.writeString(dir.resolve("rewritten.json"), reordered.encode());

        assertEquals(new Outcome(0, "no changes\n", ""),
                InProcessMain.run("check", "--diff", "--config", running.path().toString()));
        assertEquals(new Outcome(0, "no changes\n", ""),
                InProcessMain.run("check", "--diff", "--config", rewritten.toString()));
    }

    @Test
    void editARunningFulcrumRefusesSaysSo(Vertx vertx, @TempDir Path dir) throws Exception {
        JsonObject config = runningConfig(TestBackend.start(vertx, "a"));
        Balancer.startWatching(vertx, ConfigFile.plain(dir, config));
        Path candidate = Files.writeString(dir.resolve("candidate.json"), config.copy().put("maxHeaderSize", "32KiB").encode());

        assertEquals(new Outcome(0, "limits.maxHeaderSize 16384 -> 32768\na reload would refuse this: maxHeaderSize"
                + " and maxUriLength cannot change while Fulcrum runs: restart it to apply them\n", ""),
                InProcessMain.run("check", "--diff", "--config", candidate.toString()));
    }

    /** An admin port on every interface is asked on loopback. */
    @Test
    void unreachableInstanceIsOneLineAndExitsOne(@TempDir Path dir) throws Exception {
        int port = Ports.free(1)[0];
        Path file = Files.writeString(dir.resolve("config.json"), """
                {"adminPort": ":%d", "servers": ["http://a:1"]}
                """.formatted(port));

        assertEquals(new Outcome(ConfigCheck.EXIT_CANNOT_ASK, "", "fulcrum: cannot reach the running instance at"
                + " http://127.0.0.1:" + port + "/config: connection refused\n"),
                InProcessMain.run("check", "--diff", "--config", file.toString()));
    }

    @Test
    void somethingElseOnTheAdminPortIsOneLineAndExitsOne(Vertx vertx, @TempDir Path dir) throws Exception {
        HttpServer other = vertx.createHttpServer().requestHandler(request -> request.response().setStatusCode(404).end())
                .listen(0, "127.0.0.1").await();
        Path file = Files.writeString(dir.resolve("config.json"), """
                {"adminPort": "127.0.0.1:%d", "servers": ["http://a:1"]}
                """.formatted(other.actualPort()));

        assertEquals(new Outcome(ConfigCheck.EXIT_CANNOT_ASK, "", "fulcrum: http://127.0.0.1:" + other.actualPort()
                + "/config answered HTTP 404 instead of the running config (is it the admin port of a Fulcrum that"
                + " has GET /config?)\n"), InProcessMain.run("check", "--diff", "--config", file.toString()));
    }

    /** On a port of its own: check --diff asks the instance at the file's adminPort. */
    private static JsonObject runningConfig(TestBackend backend) throws Exception {
        return Balancer.config(backend).put("adminPort", "127.0.0.1:" + Ports.free(1)[0]);
    }
}
