package dev.fulcrum.balancer;

import java.util.List;

/**
 * A selection policy. Implementations are pure (no I/O, time and randomness injected) and are used from a
 * single event loop each, so they may keep unsynchronised state such as a rotation cursor.
 */
public interface LoadBalancer {

    /** Picks one of {@code candidates}, or returns null when there is none. */
    Backend pick(List<Backend> candidates);
}
