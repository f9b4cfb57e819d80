package dev.fulcrum.app;

import dev.fulcrum.support.Await;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.LogFile;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Signals on the real jar (run by failsafe, after the jar is built): a second SIGTERM, a drain cut short, SIGHUP during the delay, SIGINT, SIGUSR1. */
@ExtendWith(VertxExtension.class)
class SignalsIT {

    static final Duration WAIT = Duration.ofSeconds(5);

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    /** README: "A second SIGTERM or Ctrl-C exits at once", even with a request still draining. */
    @Test
    void secondSigtermExitsAtOnceWhileARequestIsStillDraining(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend hanging = TestBackend.start(vertx, "hanging", req -> { });
        int[] ports = Ports.free(2);
        Process fulcrum = launch(dir, ports, hanging, "\"shutdownTimeout\": \"30s\"");
        Future<Http.Reply> inFlight = new Http(vertx, ports[0]).get("/");
        Await.until("the request reached the backend", WAIT, () -> hanging.requests() == 1);

        signal(fulcrum, "TERM");
        Await.until("the drain started", WAIT, () -> log(dir).contains("stopping gracefully"));
        signal(fulcrum, "TERM");

        assertTrue(fulcrum.waitFor(5, TimeUnit.SECONDS), "a second SIGTERM exits at once: " + log(dir));
        assertNotEquals(0, fulcrum.exitValue(), "an exit that abandons requests in flight is not a clean one");
        assertTrue(log(dir).contains("SIGTERM again: exiting now"), log(dir));
        assertFalse(inFlight.transform(done -> Future.succeededFuture(done.succeeded())).await());
    }

    /**
     * README: requests still running at shutdownTimeout are cut off, the process exits 0 and logs what it
     * drained; the log names the request cut off.
     */
    @Test
    void drainLongerThanShutdownTimeoutCutsOffExitsZeroAndSaysSo(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend hanging = TestBackend.start(vertx, "hanging", req -> { });
        int[] ports = Ports.free(2);
        Process fulcrum = launch(dir, ports, hanging, "\"shutdownTimeout\": \"300ms\"");
        Future<Http.Reply> inFlight = new Http(vertx, ports[0]).get("/");
        Await.until("the request reached the backend", WAIT, () -> hanging.requests() == 1);

        signal(fulcrum, "TERM");

        assertTrue(fulcrum.waitFor(10, TimeUnit.SECONDS), log(dir));
        assertEquals(0, fulcrum.exitValue(), log(dir));
        assertTrue(log(dir).contains("drained 0 request(s); 1 cut off"), log(dir));
        assertFalse(inFlight.transform(done -> Future.succeededFuture(done.succeeded())).await());
    }

    /**
     * SIGTERM with a shutdownDelay: readiness DOWN at once, liveness UP, the proxy still serves new
     * connections; a SIGHUP in the middle neither crashes nor stops the drain, and the process exits 0.
     */
    @Test
    void sigtermThenSighupDuringShutdownDelayKeepsServingAndExitsZero(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend backend = TestBackend.start(vertx, "b");
        int[] ports = Ports.free(2);
        Process fulcrum = launch(dir, ports, backend, "\"shutdownDelay\": \"1500ms\"");
        Http admin = new Http(vertx, ports[1]);
        Http http = new Http(vertx, ports[0]);

        signal(fulcrum, "TERM");
        Await.until("readiness DOWN", WAIT, () -> admin.get("/health/ready").await().status() == 503);
        assertEquals(200, admin.get("/health/live").await().status());
        signal(fulcrum, "HUP");
        assertEquals(new Http.Reply(200, "b"), http.get("/").await(), "still accepting during shutdownDelay");

        assertTrue(fulcrum.waitFor(10, TimeUnit.SECONDS), log(dir));
        assertEquals(0, fulcrum.exitValue(), log(dir));
        assertFalse(log(dir).contains("Exception"), log(dir));
    }

    /** Ctrl-C behaves as SIGTERM: drain, exit 0. */
    @Test
    void sigintDrainsAndExitsZero(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(500, t -> req.response().end("done")));
        int[] ports = Ports.free(2);
        Process fulcrum = launch(dir, ports, slow, "\"shutdownTimeout\": \"10s\"");
        Future<Http.Reply> inFlight = new Http(vertx, ports[0]).get("/");
        Await.until("the request reached the backend", WAIT, () -> slow.requests() == 1);

        signal(fulcrum, "INT");

        assertEquals(new Http.Reply(200, "done"), inFlight.await());
        assertTrue(fulcrum.waitFor(10, TimeUnit.SECONDS), log(dir));
        assertEquals(0, fulcrum.exitValue(), log(dir));
        assertTrue(log(dir).contains("drained 1 request(s)"), log(dir));
    }

    /** README, Observability: "kill -USR1 reopens the file", as logrotate's postrotate does after moving it away. */
    @Test
    void sigusr1ReopensTheAccessLogThatLogrotateMoved(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend backend = TestBackend.start(vertx, "a");
        int[] ports = Ports.free(2);
        Path accessLog = dir.resolve("access.log");
        Process fulcrum = launch(dir, ports, backend, "\"accessLog\": {\"path\": \"" + accessLog + "\"}");
        Http http = new Http(vertx, ports[0]);
        assertEquals(200, http.get("/before").await().status());
        LogFile.lines(accessLog, 1);
        Path rotated = dir.resolve("access.log.1");
        Files.move(accessLog, rotated);

        signal(fulcrum, "USR1");
        Await.until("the access log is reopened", WAIT, () -> Files.exists(accessLog));
        assertEquals(200, http.get("/after").await().status());

        assertTrue(LogFile.lines(accessLog, 1).get(0).contains("\"uri\":\"/after\""));
        assertEquals(1, LogFile.lines(rotated, 1).size());
        assertTrue(fulcrum.isAlive(), log(dir));
    }

    private Process launch(Path dir, int[] ports, TestBackend backend, String extra) throws IOException {
        Path config = Files.writeString(dir.resolve("config.json"), """
                {"listenPort": "127.0.0.1:%d", "adminPort": "127.0.0.1:%d", "configScanPeriod": "1h", "warmUp": "0s", %s,
                 "servers": ["%s"]}
                """.formatted(ports[0], ports[1], extra, backend.url()));
        List<String> command = List.of(FatJarIT.javaBinary(), "-Xmx128m", "-jar", jar().toAbsolutePath().toString(),
                "--config", config.toString());
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(dir.resolve("stdout.log").toFile())
                .redirectError(dir.resolve("stderr.log").toFile())
                .start();
        processes.add(process);
        Await.until("the jar listens", Duration.ofSeconds(30), () -> log(dir).contains("listening on"));
        return process;
    }

    private static Path jar() {
        String property = System.getProperty("fulcrum.jar");
        Path jar = property != null ? Path.of(property) : Path.of("target", "fulcrum.jar");
        assertTrue(Files.isRegularFile(jar), "build the jar first: mvn -B -q -o package -DskipTests (" + jar.toAbsolutePath() + ")");
        return jar;
    }

    private static void signal(Process process, String name) throws IOException, InterruptedException {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor());
    }

    private static String log(Path dir) {
        try {
            Path log = dir.resolve("stderr.log");
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

}
