package dev.fulcrum.app;

import dev.fulcrum.support.Await;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fat jar under a descriptor limit of 256, flooded with far more clients than it has descriptors for: it
 * takes about as many as {@code maxConnections} (derived from the limit) and lets the rest wait in the accept
 * backlog. Should it still run out of descriptors for a moment (the accept loop takes a few more in the instant
 * before it pauses), the client gets Fulcrum's own 503, its healthy backends are never taken for failing, and its
 * log stays short.
 */
@ExtendWith(VertxExtension.class)
class DescriptorLimitIT {

    private static final int FLOOD = 600;

    private final List<Process> processes = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void cleanUp() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void aFloodBeyondTheDescriptorLimitWaitsInTheBacklogAndEjectsNoBackend(Vertx vertx, @TempDir Path dir) throws Exception {
        List<TestBackend> backends = List.of(TestBackend.start(vertx, "a"), TestBackend.start(vertx, "b"),
                TestBackend.start(vertx, "c"));
        int[] ports = Ports.free(2);
        JsonArray servers = new JsonArray(backends.stream().map(TestBackend::url).toList());
        Path config = Files.writeString(dir.resolve("config.json"), new JsonObject()
                .put("listenPort", "127.0.0.1:" + ports[0]).put("adminPort", "127.0.0.1:" + ports[1])
                .put("warmUp", "0s").put("healthCheckInterval", "500ms")
                .put("healthCheck", new JsonObject().put("timeout", "2s"))
                .put("servers", servers).encode());
        Process fulcrum = new ProcessBuilder("prlimit", "--nofile=256:256", FatJarIT.javaBinary(),
                "-jar", System.getProperty("fulcrum.jar"), "--config", config.toString())
                .redirectOutput(dir.resolve("stdout.log").toFile())
                .redirectError(dir.resolve("stderr.log").toFile())
                .start();
        processes.add(fulcrum);
        Http admin = new Http(vertx, ports[1]);
        Http proxy = new Http(vertx, ports[0]);
        Await.until("the jar proxies a request", Duration.ofSeconds(30),
                () -> proxy.get("/").otherwise(new Http.Reply(0, "")).await().status() == 200);

        // Every client asks at once; each answer closes its connection, which lets the next one in.
        for (int i = 0; i < FLOOD; i++) {
            Socket socket = new Socket("127.0.0.1", ports[0]);
            socket.setSoTimeout(30_000);
            sockets.add(socket);
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
        }
        int served = 0;
        for (Socket socket : sockets) {
            String response = readAll(socket.getInputStream());
            if (response.startsWith("HTTP/1.1 200")) {
                served++;
            } else {
                assertTrue(response.startsWith("HTTP/1.1 503") && response.endsWith("Fulcrum is out of connections to backends; try again\n"),
                        "every client is answered, by a backend or by Fulcrum itself: " + response);
            }
        }

        assertTrue(served >= FLOOD * 95 / 100, served + " of " + FLOOD + " clients were served");
        assertTrue(fulcrum.isAlive());
        JsonObject readiness = new JsonObject(admin.get("/health/ready").await().body());
        JsonArray states = readiness.getJsonArray("checks").getJsonObject(0).getJsonObject("data").getJsonArray("backends");
        for (int i = 0; i < states.size(); i++) {
            assertEquals("HEALTHY", states.getJsonObject(i).getString("state"), readiness.encode());
        }
        String log = Files.readString(dir.resolve("stderr.log"));
        assertFalse(log.contains("UNHEALTHY"), log);
        assertTrue(log.lines().count() < 20, log);
    }

    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
}
