package dev.fulcrum.support;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.config.ConfigParser;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;

/** Starts the real balancer in-process on an ephemeral loopback port, in front of the given backends. */
public final class Balancer {

    private Balancer() {
    }

    public static JsonObject config(String... backendUrls) {
        return new JsonObject()
                .put("listenPort", "127.0.0.1:0")
                .put("adminPort", "127.0.0.1:0")
                .put("healthCheckInterval", "5s")
                .put("configScanPeriod", "20ms")
                .put("servers", new JsonArray(Arrays.asList((Object[]) backendUrls)));
    }

    public static JsonObject config(TestBackend... backends) {
        return config(Arrays.stream(backends).map(TestBackend::url).toArray(String[]::new));
    }

    /**
     * Health checks every 20 ms, so that health tests take moments. The 500 ms probe timeout leaves room for
     * a loaded 2-core machine: a backend in the same JVM, busy with test traffic and the JIT, must not be
     * declared dead by accident.
     */
    public static JsonObject fastHealth(JsonObject config) {
        return config.put("healthCheckInterval", "20ms")
                .put("healthCheck", new JsonObject().put("timeout", "500ms"));
    }

    /** {@code config} with an HTTPS listener on an ephemeral loopback port, serving {@code pairs} (the first by default). */
    public static JsonObject withTls(JsonObject config, PemCertificates.Pair... pairs) {
        JsonArray certificates = new JsonArray();
        for (PemCertificates.Pair pair : pairs) {
            certificates.add(new JsonObject().put("certFile", pair.cert().toString()).put("keyFile", pair.key().toString()));
        }
        return config.put("tls", new JsonObject().put("listenPort", "127.0.0.1:0").put("certificates", certificates));
    }

    public static Fulcrum start(Vertx vertx, JsonObject config) {
        String text = config.encode();
        return Fulcrum.start(vertx, ConfigParser.parse(text), text, 2).await();
    }

    /** As {@link #start}, with a single proxy verticle: every request is balanced by one balancer, in order. */
    public static Fulcrum startOnOneEventLoop(Vertx vertx, JsonObject config) {
        String text = config.encode();
        return Fulcrum.start(vertx, ConfigParser.parse(text), text, 1).await();
    }

    /** Starts from {@code file} and applies its edits, checked every 20 ms unless the config says otherwise. */
    public static Fulcrum startWatching(Vertx vertx, ConfigFile file) {
        String text = ConfigParser.read(file.path());
        Fulcrum fulcrum = Fulcrum.start(vertx, ConfigParser.parse(text), text, 2).await();
        fulcrum.watch(file.path()).await();
        return fulcrum;
    }
}
