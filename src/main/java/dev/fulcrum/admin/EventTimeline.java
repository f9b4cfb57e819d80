package dev.fulcrum.admin;

import dev.fulcrum.health.HealthEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What happened lately, for the status page: the last {@value #SIZE} health changes, ejections and reloads
 * (applied or refused), and each backend's last health change however long ago, which says since when it is
 * in its state. Written from the main Vert.x (health events) and the reload path, read by the admin event loop:
 * hence synchronized, which no request ever waits on.
 */
public final class EventTimeline {

    static final int SIZE = 50;

    private final Clock clock;
    /** Newest first. */
    private final Deque<JsonObject> events = new ArrayDeque<>();
    private final Map<String, HealthEvent> lastChanges = new HashMap<>();

    EventTimeline(Clock clock) {
        this.clock = clock;
    }

    synchronized void healthChanged(HealthEvent change) {
        lastChanges.put(key(change.pool(), change.backend()), change);
        add(new JsonObject().put("time", change.time().toString()).put("kind", changedBy(change))
                .put("backend", change.backend()).put("pool", change.pool()).put("state", change.state().name()).put("message", change.reason()));
    }

    /** An edit of the config now serves as {@code generation}; {@code changes} in the reload log line's words. */
    public synchronized void reloadApplied(int generation, String changes) {
        add(new JsonObject().put("time", clock.instant().toString()).put("kind", "reload-applied")
                .put("generation", generation).put("message", changes));
    }

    public synchronized void reloadRefused(String reason) {
        add(new JsonObject().put("time", clock.instant().toString()).put("kind", "reload-refused").put("message", reason));
    }

    synchronized JsonArray toJson() {
        JsonArray newestFirst = new JsonArray();
        events.forEach(event -> newestFirst.add(event.copy()));
        return newestFirst;
    }

    synchronized Optional<HealthEvent> lastChange(String pool, String backend) {
        return Optional.ofNullable(lastChanges.get(key(pool, backend)));
    }

    /** Drops the last changes of backends no longer configured, given by {@link #key}. */
    synchronized void keepOnly(Set<String> backends) {
        lastChanges.keySet().retainAll(backends);
    }

    /** What a backend is known by here: the same URL in two pools is two backends. */
    static String key(String pool, String backend) {
        return pool + ' ' + backend;
    }

    /** {@code check} when probes decided it, {@code ejection} when the proxy's failed exchanges did. */
    static String changedBy(HealthEvent change) {
        return change.passive() ? "ejection" : "check";
    }

    private void add(JsonObject event) {
        events.addFirst(event);
        if (events.size() > SIZE) {
            events.removeLast();
        }
    }
}
