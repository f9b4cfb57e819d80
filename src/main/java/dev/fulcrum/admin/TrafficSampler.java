package dev.fulcrum.admin;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.BackendRegistry;
import dev.fulcrum.metrics.BackendMeters;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Reads every configured backend's meters, and those of Fulcrum's own answers, into their {@link TrafficWindow}
 * once a second, on the admin event loop: the status page's rates come from the meters the request path
 * already records, at no cost to it. A window follows a backend's meters, not its URL: a URL removed and added
 * again after its meters went counts from zero in a new window, never as a negative rate.
 */
final class TrafficSampler {

    private final BackendRegistry registry;
    /** The meters of Fulcrum's own answers, one per pool (and one for requests that reached none). */
    private final Supplier<Collection<BackendMeters>> none;
    private final LongSupplier clock;
    private Map<BackendMeters, TrafficWindow> windows = new HashMap<>();

    /** {@code clock}: monotonic nanoseconds. */
    TrafficSampler(BackendRegistry registry, Supplier<Collection<BackendMeters>> none, LongSupplier clock) {
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
        none.get().forEach(meters -> read(meters, now, next));
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

    /** Fulcrum's own answers in the last minute, in every pool. */
    TrafficRates fulcrumsOwnAnswers() {
        TrafficRates total = TrafficRates.NONE;
        for (BackendMeters meters : none.get()) {
            total = total.plus(window(meters).lastMinute());
        }
        return total;
    }
}
