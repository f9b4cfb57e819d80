package dev.fulcrum.app;

import dev.fulcrum.support.Await;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.PemCertificates;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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

/** The shipped artifact, {@code target/fulcrum.jar}, run as a user runs it. */
@ExtendWith(VertxExtension.class)
class FatJarIT {

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    /**
     * With the default warm-up (README, Performance): the proxy serves at once, readiness turns UP when the
     * warm-up is over, and the warm-up's requests never reach the configured backend.
     */
    @Test
    void jarStartsWithAConfigFileAndProxies(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend backend = TestBackend.start(vertx, "from-backend");
        int[] ports = Ports.free(2);
        int port = ports[0];
        Path config = Files.writeString(dir.resolve("config.json"), """
                {"listenPort": "127.0.0.1:%d", "adminPort": "127.0.0.1:%d", "healthCheckInterval": "1s", "servers": ["%s"]}
                """.formatted(port, ports[1], backend.url()));

        Process fulcrum = launch(dir, "--config", config.toString());
        Http http = new Http(vertx, port);

        Await.until("the jar proxies a request", Duration.ofSeconds(30),
                () -> http.get("/").otherwise(new Http.Reply(0, "")).await().status() == 200);
        assertEquals("from-backend", http.get("/").await().body());
        assertTrue(fulcrum.isAlive());
        String expected = Transport.IO_URING.available() ? "io_uring" : "epoll";
        // The startup line follows the start, which may be a moment after the first proxied request.
        Await.until("the startup line names " + expected, Duration.ofSeconds(10),
                () -> stderr(dir).contains("event loop(s), " + expected));

        int served = backend.requests();
        Http admin = new Http(vertx, ports[1]);
        Http.Reply readiness = admin.get("/health/ready").await();
        if (readiness.status() == 200) {
            assertTrue(stderr(dir).contains("warmed up in "), "UP before the warm-up ended: " + stderr(dir));
        } else {
            assertTrue(readiness.body().contains("\"warmingUp\":true"), readiness.body());
        }
        Await.until("the warm-up ends", Duration.ofSeconds(45), () -> stderr(dir).contains("readiness follows")
                || stderr(dir).contains("warm-up failed"));
        assertTrue(stderr(dir).contains("warming up: readiness stays DOWN until"), stderr(dir));
        assertTrue(stderr(dir).contains("warmed up in ") || stderr(dir).contains("warm-up stopped at its limit"), stderr(dir));
        Await.until("readiness UP", Duration.ofSeconds(10), () -> admin.get("/health/ready").await().status() == 200);
        assertEquals(served, backend.requests(), "requests the backend saw during the warm-up");
        // The status page is in the jar, and /status names the jar's version.
        assertTrue(admin.get("/").await().body().contains("fetch('/status'"));
        assertNotEquals("dev", new JsonObject(admin.get("/status").await().body()).getString("version"));
    }

    /** HTTPS with HTTP/2 by ALPN from the jar, on BoringSSL: netty-tcnative's native library loads from inside it. */
    @Test
    void jarServesHttpsAndHttp2OnTheOpensslEngine(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend backend = TestBackend.start(vertx, "over-tls");
        PemCertificates.Pair pair = PemCertificates.ec(dir, "edge", 30, "localhost");
        int[] ports = Ports.free(3);
        Path config = Files.writeString(dir.resolve("config.json"), """
                {"listenPort": "127.0.0.1:%d", "adminPort": "127.0.0.1:%d", "warmUp": "0s", "servers": ["%s"],
                 "tls": {"listenPort": "127.0.0.1:%d", "engine": "openssl",
                         "certificates": [{"certFile": "%s", "keyFile": "%s"}]}}
                """.formatted(ports[0], ports[1], backend.url(), ports[2], pair.cert(), pair.key()));

        launch(dir, "--config", config.toString());
        HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false)
                .setUseAlpn(true).setProtocolVersion(HttpVersion.HTTP_2));
        Await.until("the jar answers over HTTPS", Duration.ofSeconds(30), () -> h2.request(HttpMethod.GET, ports[2], "localhost", "/")
                .compose(req -> req.send()).compose(resp -> resp.body().map(body -> resp.version() + " " + body))
                .otherwise("").await().equals("HTTP_2 over-tls"));
    }

    @Test
    void explicitTransportIsUsedAndOneThePlatformLacksStopsTheStart(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend backend = TestBackend.start(vertx, "from-backend");
        int[] ports = Ports.free(2);
        // epoll is what serves where a container's seccomp profile forbids io_uring; nio is the last resort.
        for (String transport : List.of("epoll", "nio")) {
            if (transport.equals("epoll") && !Transport.EPOLL.available()) {
                continue; // the jar carries epoll for linux-x86_64 only
            }
            Path run = Files.createDirectory(dir.resolve(transport));
            Path config = Files.writeString(run.resolve("config.json"), """
                    {"listenPort": "127.0.0.1:%d", "adminPort": "127.0.0.1:%d", "transport": "%s", "warmUp": "0s", "servers": ["%s"]}
                    """.formatted(ports[0], ports[1], transport, backend.url()));
            Process fulcrum = launch(run, "--config", config.toString());
            Http http = new Http(vertx, ports[0]);
            Await.until("the jar proxies a request on " + transport, Duration.ofSeconds(30),
                    () -> http.get("/").otherwise(new Http.Reply(0, "")).await().status() == 200);
            assertEquals("from-backend", http.get("/").await().body());
            Await.until("the startup line names " + transport, Duration.ofSeconds(10),
                    () -> stderr(run).contains("event loop(s), " + transport + ")"));
            fulcrum.destroy();
            assertTrue(fulcrum.waitFor(30, TimeUnit.SECONDS));
        }

        // Netty told not to load native code stands for a kernel or seccomp profile without io_uring.
        Path uring = Files.writeString(dir.resolve("uring.json"), """
                {"listenPort": "127.0.0.1:%d", "adminPort": "127.0.0.1:%d", "transport": "io_uring", "servers": ["%s"]}
                """.formatted(ports[0], ports[1], backend.url()));
        Path other = Files.createDirectory(dir.resolve("without-io-uring"));
        Process refused = launch(other, List.of("-Dio.netty.transport.noNative=true"), "--config", uring.toString());
        assertTrue(refused.waitFor(30, TimeUnit.SECONDS));
        String stderr = Files.readString(other.resolve("stderr.log")).trim();
        assertEquals(1, refused.exitValue(), stderr);
        assertTrue(stderr.startsWith("fulcrum: cannot start: transport io_uring is not available here: "), stderr);
        assertFalse(stderr.contains("\tat "), stderr);
    }

    @Test
    void sighupReReadsTheConfigAtOnce(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend first = TestBackend.start(vertx, "first");
        TestBackend second = TestBackend.start(vertx, "second");
        int[] ports = Ports.free(2);
        int port = ports[0];
        String config = """
                {"listenPort": "127.0.0.1:%d", "adminPort": "127.0.0.1:%d", "configScanPeriod": "1h", "warmUp": "0s", "servers": ["%s"]}
                """;
        int adminPort = ports[1];
        Path file = Files.writeString(dir.resolve("config.json"), config.formatted(port, adminPort, first.url()));
        Process fulcrum = launch(dir, "--config", file.toString());
        Http http = new Http(vertx, port);
        Await.until("the jar proxies a request", Duration.ofSeconds(30),
                () -> http.get("/").otherwise(new Http.Reply(0, "")).await().status() == 200);

        Files.writeString(file, config.formatted(port, adminPort, second.url()));
        new ProcessBuilder("kill", "-HUP", Long.toString(fulcrum.pid())).start().waitFor();

        Await.until("the edit applied without waiting for the hour-long scan", Duration.ofSeconds(10),
                () -> http.get("/").await().body().equals("second"));
        assertTrue(fulcrum.isAlive());
    }

    @Test
    void sigtermDrainsTheRequestInFlightAndExitsZero(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(1000, t -> req.response().end("done")));
        int[] ports = Ports.free(2);
        int port = ports[0];
        Path config = Files.writeString(dir.resolve("config.json"), """
                {"listenPort": "127.0.0.1:%d", "adminPort": "127.0.0.1:%d", "warmUp": "0s", "servers": ["%s"]}
                """.formatted(port, ports[1], slow.url()));
        Process fulcrum = launch(dir, "--config", config.toString());
        Http http = new Http(vertx, port);
        Await.until("the jar listens", Duration.ofSeconds(30), () -> !ReloadListenerTest.refuses(port));

        Future<Http.Reply> inFlight = http.get("/");
        Await.until("the request reached the backend", Duration.ofSeconds(5), () -> slow.requests() == 1);
        new ProcessBuilder("kill", "-TERM", Long.toString(fulcrum.pid())).start().waitFor();

        Await.until("new connections are refused", Duration.ofSeconds(5), () -> ReloadListenerTest.refuses(port));
        assertEquals(new Http.Reply(200, "done"), inFlight.await());
        assertTrue(fulcrum.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, fulcrum.exitValue());
        String log = Files.readString(dir.resolve("stderr.log"));
        assertTrue(log.contains("drained 1 request(s)"), log);
    }

    /** Direct memory, which -XX:+ExitOnOutOfMemoryError does not watch, running out ends the process too, in one line. */
    @Test
    void directMemoryRunningOutEndsTheProcessWithOneLine(Vertx vertx, @TempDir Path dir) throws Exception {
        io.vertx.core.buffer.Buffer large = Http.bytes(1024 * 1024, 5);
        TestBackend backend = TestBackend.start(vertx, "large", req -> req.response().end(large));
        int[] ports = Ports.free(2);
        Path config = Files.writeString(dir.resolve("config.json"), """
                {"listenPort": "127.0.0.1:%d", "adminPort": "127.0.0.1:%d", "warmUp": "0s", "servers": ["%s"]}
                """.formatted(ports[0], ports[1], backend.url()));
        Process fulcrum = launch(dir, List.of("-XX:MaxDirectMemorySize=3m"), "--config", config.toString());
        Http http = new Http(vertx, ports[0]);
        Await.until("the jar listens", Duration.ofSeconds(30), () -> !ReloadListenerTest.refuses(ports[0]));

        // A loaded machine reads the responses as fast as they come, and Fulcrum's throttle then holds little: so
        // many rounds of many at once, until the process has gone.
        for (int round = 0; round < 30 && fulcrum.isAlive(); round++) {
            List<Future<Http.Reply>> concurrent = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                concurrent.add(http.get("/").otherwise(new Http.Reply(0, "")));
            }
            Future.join(concurrent).otherwiseEmpty().await();
        }

        assertTrue(fulcrum.waitFor(10, TimeUnit.SECONDS), "still running with 3 MiB of direct memory");
        assertEquals(3, fulcrum.exitValue());
        String stderr = stderr(dir);
        assertTrue(stderr.contains("fulcrum: exiting: java.lang.OutOfMemoryError: Cannot reserve"), stderr);
        assertFalse(stderr.contains("\tat "), stderr);
    }

    @Test
    void configMistakeExitsWithCode2AndOneLine(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("config.json"), "{\"servers\": [\"http://localhost:8081\"], \"listenPrt\": \":80\"}");

        Process fulcrum = launch(dir, "--config", config.toString());

        assertTrue(fulcrum.waitFor(30, TimeUnit.SECONDS));
        String stderr = Files.readString(dir.resolve("stderr.log")).trim();
        assertEquals(2, fulcrum.exitValue());
        assertEquals(1, stderr.lines().count(), stderr);
        assertTrue(stderr.contains("listenPrt: unknown field"), stderr);
        assertFalse(stderr.contains("Exception"), stderr);
    }

    /** With a healthy backend, whose first probe would otherwise be reported before the listener fails to bind. */
    @Test
    void portInUseIsTheFirstLineAndExitsWithCode1(Vertx vertx, @TempDir Path dir) throws Exception {
        TestBackend backend = TestBackend.start(vertx, "from-backend");
        int[] ports = Ports.free(1);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path config = Files.writeString(dir.resolve("config.json"), """
                    {"listenPort": "127.0.0.1:%d", "adminPort": "127.0.0.1:%d", "warmUp": "0s", "servers": ["%s"]}
                    """.formatted(taken.getLocalPort(), ports[0], backend.url()));

            Process fulcrum = launch(dir, "--config", config.toString());

            assertTrue(fulcrum.waitFor(30, TimeUnit.SECONDS));
            String stderr = Files.readString(dir.resolve("stderr.log"));
            assertEquals(1, fulcrum.exitValue(), stderr);
            assertEquals("fulcrum: cannot start: listenPort 127.0.0.1:" + taken.getLocalPort() + ": Address already in use",
                    stderr.lines().findFirst().orElse(""), stderr);
        }
    }

    @Test
    void emptyConfigPathIsAUsageMistake(@TempDir Path dir) throws Exception {
        Process fulcrum = launch(dir, "--config", "");

        assertTrue(fulcrum.waitFor(30, TimeUnit.SECONDS));
        String stderr = Files.readString(dir.resolve("stderr.log"));
        assertEquals(2, fulcrum.exitValue());
        assertTrue(stderr.startsWith("fulcrum: --config needs a path"), stderr);
    }

    private static String stderr(Path dir) {
        try {
            return Files.readString(dir.resolve("stderr.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Process launch(Path dir, String... args) throws IOException {
        return launch(dir, List.of(), args);
    }

    private Process launch(Path dir, List<String> jvmOptions, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBinary()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", System.getProperty("fulcrum.jar")));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(dir.resolve("stdout.log").toFile())
                .redirectError(dir.resolve("stderr.log").toFile())
                .start();
        processes.add(process);
        return process;
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }
}
