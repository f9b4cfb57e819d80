package dev.fulcrum.balancer;

import java.util.List;

/**
 * A selection policy. Implementations are pure (no I/O, time and randomness injected) and are used from a single
 * event loop each, so they may keep unsynchronised state such as a rotation cursor. State every event loop must
 * see (a backend's in-flight count, its response-time average) lives in {@link Backend}, with atomics.
 */
public interface LoadBalancer {

    /**
     * Picks one of {@code candidates} (the healthy backends, less any a retry must avoid) for {@code request}, or
     * returns null when there is none.
     */
    Backend pick(List<Backend> candidates, RequestView request);

    /** {@code backend} answered or failed an exchange {@code nanos} after it was sent (the head of its response). */
    default void completed(Backend backend, long nanos, Outcome outcome) {
    }

    /** For callers with no request at hand (selection tests, benchmarks). */
    default Backend pick(List<Backend> candidates) {
        return pick(candidates, RequestView.NONE);
    }
}
