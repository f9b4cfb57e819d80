package dev.fulcrum.health;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * A backend's health changed ({@code backend} is its URL, in {@code pool}). Published on {@link #ADDRESS} as JSON, once per change, not per probe.
 * {@code passive}: the proxy's failed exchanges took it out (an ejection), not a probe.
 */
public record HealthEvent(String backend, String pool, HealthState state, String reason, boolean passive, Instant time) {

    public static final String ADDRESS = "fulcrum.health";

    /**
     * Records a change on the shared backend and tells every verticle. Receivers rebuild their view from the
     * backends' current states rather than from the message, so views converge even if events from two
     * event loops cross.
     */
    public static void announce(EventBus bus, Backend backend, HealthState state, String reason) {
        announce(bus, backend, state, reason, false);
    }

    static void announce(EventBus bus, Backend backend, HealthState state, String reason, boolean passive) {
        backend.health(state);
        bus.publish(ADDRESS, new HealthEvent(backend.url(), backend.pool(), state, reason, passive, Instant.now()).toJson());
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("backend", backend)
                .put("pool", pool)
                .put("state", state.name())
                .put("reason", reason)
                .put("passive", passive)
                .put("time", time.toString());
    }

    public static HealthEvent fromJson(JsonObject json) {
        return new HealthEvent(json.getString("backend"), json.getString("pool"), HealthState.valueOf(json.getString("state")),
                json.getString("reason"), json.getBoolean("passive", false), Instant.parse(json.getString("time")));
    }
}
