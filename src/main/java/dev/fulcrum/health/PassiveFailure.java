package dev.fulcrum.health;

import io.vertx.core.json.JsonObject;

/**
 * A proxy saw enough failures from a backend to eject it. Sent to the health checker, the only writer of health
 * states, which publishes the change like any other. The backend's instance tells it from a server removed
 * and re-added under the same URL since: the failures of the old one must not eject the new one.
 */
public record PassiveFailure(String backend, long instance, String reason) {

    public static final String ADDRESS = "fulcrum.health.passive";

    public JsonObject toJson() {
        return new JsonObject().put("backend", backend).put("instance", instance).put("reason", reason);
    }

    static PassiveFailure fromJson(JsonObject json) {
        return new PassiveFailure(json.getString("backend"), json.getLong("instance"), json.getString("reason"));
    }
}
