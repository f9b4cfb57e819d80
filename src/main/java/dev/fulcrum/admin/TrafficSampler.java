package dev.fulcrum.admin;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.metrics.BackendMeters;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Reads every configured backend's meters, and those of Fulcrum's own answers, into their {@link TrafficWindow}
 * once a second, on the admin event loop: the status page's rates come from the meters the request path
 * already records, at no cost to it. A window follows a backend's meters, not its URL: a URL removed and added
 * again after its meters went counts from zero in a new window, never as a negative rate.
 */
final class TrafficSampler {

    private final BackendRegistry registry;
    private final BackendMeters none;
    private final LongSupplier clock;
    private Map<BackendMeters, TrafficWindow> windows = new HashMap<>();

    /** {@code clock}: monotonic nanoseconds. */
    TrafficSampler(BackendRegistry registry, BackendMeters none, LongSupplier clock) {
        this.registry = registry;
        this.none = none;
        this.clock = clock;
    }

    /** One tick: every reading is stamped with the tick's time, as a scrape stamps its samples. */
    void sample() {
        long now = clock.getAsLong();
        Map<BackendMeters, TrafficWindow> next = new HashMap<>();
        for (Backend backend : registry.all()) {
            read(backend.meters(), now, next);
        }
        read(none, now, next);
        windows = next;
    }

    private void read(BackendMeters meters, long now, Map<BackendMeters, TrafficWindow> next) {
        TrafficWindow window = Objects.requireNonNullElseGet(windows.get(meters), TrafficWindow::new);
        window.record(now, meters.read());
        next.put(meters, window);
    }

    /** An empty window for meters not sampled yet (a backend added within the last second). */
    TrafficWindow window(BackendMeters meters) {
        return windows.getOrDefault(meters, new TrafficWindow());
    }

    TrafficWindow fulcrumsOwnAnswers() {
        return window(none);
    }
}
