package dev.fulcrum.balancer;

/**
 * How busy a backend is, for a choice among candidates (exact scan, two random choices) to compare: lower is
 * better. Kept apart from the choice as tower and Linkerd do, so least-busy and least-time are one choice over
 * two measures, each tested alone. One instance per event loop, like the policy that holds it.
 */
public interface LoadMeasure {

    /**
     * The instant the loads of one pick are measured at, read once per pick and handed to {@link #load}; 0 from
     * a measure that does not change with time, so that least-busy without slow start reads no clock.
     */
    long now();

    /** {@code backend}'s load at {@code now}, for its weight. */
    double load(Backend backend, long now);

    /** An exchange with {@code backend} ended {@code nanos} after it was sent: for measures that learn from it. */
    default void completed(Backend backend, long nanos, Outcome outcome) {
    }
}
