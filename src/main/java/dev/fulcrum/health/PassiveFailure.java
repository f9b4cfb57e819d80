package dev.fulcrum.health;

import io.vertx.core.json.JsonObject;

/**
 * A proxy saw enough failures from a backend to eject it. Sent to the health checker, the only writer of health
 * states, which publishes the change like any other.
 */
public record PassiveFailure(String backend, String reason) {

    public static final String ADDRESS = "fulcrum.health.passive";

    public JsonObject toJson() {
        return new JsonObject().put("backend", backend).put("reason", reason);
    }

    static PassiveFailure fromJson(JsonObject json) {
        return new PassiveFailure(json.getString("backend"), json.getString("reason"));
    }
}
