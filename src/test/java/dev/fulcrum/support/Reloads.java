package dev.fulcrum.support;

import dev.fulcrum.app.Fulcrum;
import io.vertx.core.json.JsonObject;

/** How a reload ended, as Fulcrum and its readiness endpoint report it. */
public final class Reloads {

    private Reloads() {
    }

    /** Whether the edit since the start was either refused or applied. */
    public static boolean judged(Fulcrum fulcrum) {
        return fulcrum.status().lastError() != null || fulcrum.status().generation() > 1;
    }

    /** The {@code config} part (generation, lastError) of a {@code /health/ready} answer. */
    public static JsonObject reportedConfig(Http.Reply ready) {
        return new JsonObject(ready.body()).getJsonArray("checks").getJsonObject(0)
                .getJsonObject("data").getJsonObject("config");
    }
}
