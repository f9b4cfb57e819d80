package dev.fulcrum.balancer;

import dev.fulcrum.config.ServerSpec;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one shared set of {@link Backend}s, created by the app and handed to every verticle. The set is an
 * immutable list swapped as a whole, so a reader never sees it half-updated.
 */
public final class BackendRegistry {

    private final AtomicReference<List<Backend>> backends = new AtomicReference<>(List.of());

    public BackendRegistry(List<ServerSpec> servers, HealthState initialHealth) {
        backends.set(servers.stream().map(spec -> new Backend(spec, initialHealth)).toList());
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
