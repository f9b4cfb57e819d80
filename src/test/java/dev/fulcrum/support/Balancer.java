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
                .put("healthCheckInterval", "5s")
                .put("servers", new JsonArray(Arrays.asList((Object[]) backendUrls)));
    }

    public static JsonObject config(TestBackend... backends) {
        return config(Arrays.stream(backends).map(TestBackend::url).toArray(String[]::new));
    }

    public static Fulcrum start(Vertx vertx, JsonObject config) {
        return Fulcrum.start(vertx, ConfigParser.parse(config.encode()), 2).await();
    }
}
