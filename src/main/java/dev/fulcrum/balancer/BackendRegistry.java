package dev.fulcrum.balancer;

import dev.fulcrum.config.ServerSpec;
import dev.fulcrum.metrics.Metrics;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * The one shared set of {@link Backend}s, created by the app and handed to every verticle. The set is an
 * immutable list swapped as a whole, so a reader never sees it half-updated.
 */
public final class BackendRegistry {

    private final AtomicReference<List<Backend>> backends = new AtomicReference<>(List.of());

    private final Metrics metrics;
    /** Shared by every event loop's hashing policy, so that each healthy set's table is filled once. */
    private final MaglevTables maglevTables = new MaglevTables();

    public BackendRegistry(List<ServerSpec> servers, HealthState initialHealth, Metrics metrics) {
        this.metrics = metrics;
        backends.set(servers.stream().map(spec -> new Backend(spec, initialHealth, metrics)).toList());
    }

    /**
     * Makes the set match a new server list. A server already known by its URL keeps its Backend, and so its
     * health, counters and pooled connections; only its weight may change. New servers start UNKNOWN, so they
     * get traffic only once a probe has passed, and then through slow start if it is on. Called from one thread
     * at a time (the reload path).
     */
    public void update(List<ServerSpec> servers) {
        Map<String, Backend> known = all().stream().collect(Collectors.toMap(Backend::url, b -> b));
        backends.set(servers.stream().map(spec -> {
            Backend backend = known.get(spec.url());
            if (backend == null) {
                Backend added = new Backend(spec, HealthState.UNKNOWN, metrics);
                added.addedByReload();
                return added;
            }
            backend.weight(spec.weight());
            return backend;
        }).toList());
        Set<String> kept = servers.stream().map(ServerSpec::url).collect(Collectors.toSet());
        known.keySet().stream().filter(url -> !kept.contains(url)).forEach(metrics::retire);
    }

    public MaglevTables maglevTables() {
        return maglevTables;
    }

    public List<Backend> all() {
        return backends.get();
    }

    public Optional<Backend> find(String url) {
        return all().stream().filter(b -> b.url().equals(url)).findFirst();
    }

    /** The backends that may receive traffic now. */
    public List<Backend> healthy() {
        return all().stream().filter(b -> b.health() == HealthState.HEALTHY).toList();
    }
}
