package dev.fulcrum.app;

import dev.fulcrum.support.Await;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two replicas, two JVM processes of the fat jar with the same config, send every key to the same backend (Maglev)
 * and the same side of a weighted split: nothing they agree on comes from the process (hashCode, a random seed).
 */
@ExtendWith(VertxExtension.class)
class ReplicaAgreementIT {

    private static final int KEYS = 200;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopReplicas() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void twoProcessesWithOneConfigSendEveryKeyToTheSameBackendAndSide(Vertx vertx, @TempDir Path dir) throws Exception {
        List<TestBackend> backends = new ArrayList<>();
        JsonArray servers = new JsonArray();
        for (int i = 0; i < 5; i++) {
            TestBackend backend = TestBackend.start(vertx, "b" + i);
            backends.add(backend);
            servers.add(backend.url());
        }
        TestBackend canary = TestBackend.start(vertx, "canary");
        JsonObject hashed = new JsonObject().put("algorithm", "maglev").put("hashKey", "header:X-User");
        JsonObject config = new JsonObject().put("healthCheckInterval", "1s").put("warmUp", "0s")
                .put("pools", new JsonObject()
                        .put("main", hashed.copy().put("servers", servers))
                        .put("canary", hashed.copy().put("servers", new JsonArray().add(canary.url()))))
                .put("routes", new JsonArray().add(new JsonObject().put("match", new JsonObject().put("pathPrefix", "/split"))
                                .put("pools", new JsonObject().put("main", 80).put("canary", 20)))
                        .add(new JsonObject().put("pool", "main")));
        int[] ports = Ports.free(4);
        Http first = start(vertx, dir.resolve("one"), config, ports[0], ports[1]);
        Http second = start(vertx, dir.resolve("two"), config, ports[2], ports[3]);

        Map<String, Integer> spread = new HashMap<>();
        int toCanary = 0;
        for (int key = 0; key < KEYS; key++) {
            String user = "user-" + key;
            String backend = ask(first, "/", user);
            assertEquals(backend, ask(second, "/", user), user + " on both replicas");
            spread.merge(backend, 1, Integer::sum);
            String side = ask(first, "/split", user);
            assertEquals(side, ask(second, "/split", user), user + "'s side of the split on both replicas");
            toCanary += side.equals("canary") ? 1 : 0;
        }
        assertEquals(5, spread.size(), "every backend has keys: " + spread);
        assertTrue(toCanary >= 20 && toCanary <= 60, "about 20 % of 200 keys on the canary: " + toCanary);
    }

    private Http start(Vertx vertx, Path dir, JsonObject config, int port, int adminPort) throws IOException {
        Files.createDirectories(dir);
        Path file = Files.writeString(dir.resolve("config.json"), config.copy()
                .put("listenPort", "127.0.0.1:" + port).put("adminPort", "127.0.0.1:" + adminPort).encode());
        Process process = new ProcessBuilder(FatJarIT.javaBinary(), "-jar", System.getProperty("fulcrum.jar"),
                "--config", file.toString()).directory(dir.toFile())
                .redirectOutput(dir.resolve("stdout.log").toFile()).redirectError(dir.resolve("stderr.log").toFile())
                .start();
        processes.add(process);
        Http admin = new Http(vertx, adminPort);
        Await.until("replica on " + port + " is ready", Duration.ofSeconds(30),
                () -> admin.get("/health/ready").otherwise(new Http.Reply(0, "")).await().status() == 200);
        return new Http(vertx, port);
    }

    private static String ask(Http http, String uri, String user) {
        return http.on(client -> client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
                        .setURI(uri).putHeader("x-user", user))
                .compose(request -> request.send()).compose(response -> response.body())).await().toString();
    }
}
