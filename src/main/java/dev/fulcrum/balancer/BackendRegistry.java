package dev.fulcrum.balancer;

import dev.fulcrum.config.PoolSettings;
import dev.fulcrum.config.ServerSpec;
import dev.fulcrum.metrics.Metrics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one shared set of {@link Backend}s of every pool, created by the app and handed to every verticle. A backend
 * is known by its pool and URL: the same URL in two pools is two backends, each with its own health and counts.
 * The set is an immutable list swapped as a whole, so a reader never sees it half-updated.
 */
public final class BackendRegistry {

    private final AtomicReference<List<Backend>> backends = new AtomicReference<>(List.of());

    private final Metrics metrics;
    /** Shared by every event loop's hashing policy, so that each healthy set's table is filled once. */
    private final MaglevTables maglevTables = new MaglevTables();
    /** Each pool's requests in flight, by name; a pool removed and named again counts on. Written by one thread. */
    private final Map<String, AtomicInteger> poolInFlight = new ConcurrentHashMap<>();

    public BackendRegistry(Collection<PoolSettings> pools, HealthState initialHealth, Metrics metrics) {
        this.metrics = metrics;
        List<Backend> all = new ArrayList<>();
        for (PoolSettings pool : pools) {
            for (ServerSpec spec : pool.servers()) {
                all.add(new Backend(spec, pool.name(), initialHealth, metrics, inFlightOf(pool.name())));
            }
        }
        backends.set(List.copyOf(all));
    }

    /**
     * Makes the set match new pools. A server already known by its pool and URL keeps its Backend, and so its
     * health, counters and pooled connections; only its weight may change. New servers start UNKNOWN, so they
     * get traffic only once a probe has passed, and then through slow start if it is on. Called from one thread
     * at a time (the reload path).
     */
    public void update(Collection<PoolSettings> pools) {
        Map<String, Backend> known = new HashMap<>();
        all().forEach(backend -> known.put(key(backend.pool(), backend.url()), backend));
        List<Backend> next = new ArrayList<>();
        for (PoolSettings pool : pools) {
            for (ServerSpec spec : pool.servers()) {
                Backend backend = known.remove(key(pool.name(), spec.url()));
                if (backend == null) {
                    backend = new Backend(spec, pool.name(), HealthState.UNKNOWN, metrics, inFlightOf(pool.name()));
                    backend.addedByReload();
                } else {
                    backend.weight(spec.weight());
                }
                next.add(backend);
            }
        }
        backends.set(List.copyOf(next));
        known.values().forEach(removed -> metrics.retire(removed.pool(), removed.url()));
    }

    private AtomicInteger inFlightOf(String pool) {
        return poolInFlight.computeIfAbsent(pool, name -> new AtomicInteger());
    }

    private static String key(String pool, String url) {
        return pool + ' ' + url;
    }

    public MaglevTables maglevTables() {
        return maglevTables;
    }

    /** Every backend of every pool, pool by pool in the config's order. */
    public List<Backend> all() {
        return backends.get();
    }

    /** The backend at {@code url} in {@code pool}, if it is configured. */
    public Optional<Backend> find(String pool, String url) {
        return all().stream().filter(b -> b.pool().equals(pool) && b.url().equals(url)).findFirst();
    }

    /** The backend with this {@link Backend#instance()}, if it is still configured. */
    public Optional<Backend> find(long instance) {
        return all().stream().filter(b -> b.instance() == instance).findFirst();
    }

    /** The backends of {@code pool} that may receive traffic now. */
    public List<Backend> healthy(String pool) {
        return all().stream().filter(b -> b.health() == HealthState.HEALTHY && b.pool().equals(pool)).toList();
    }

    /** Every backend of {@code pool}, whatever its state. */
    public List<Backend> inPool(String pool) {
        return all().stream().filter(b -> b.pool().equals(pool)).toList();
    }
}
