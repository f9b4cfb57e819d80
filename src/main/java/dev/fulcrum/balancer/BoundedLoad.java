package dev.fulcrum.balancer;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, SODA 2018), as HAProxy's and Envoy's
 * {@code hash-balance-factor}: a backend takes a request only while that request leaves it within
 * {@code ceil(factor/100 x (requests in flight in the pool + 1) x its share of the pool's weight)}. The +1 counts
 * the request being placed, so an idle pool admits it anywhere; the capacities add up to at least the pool's load
 * plus one, so some backend always has room. The counts are the shared in-flight ones, every event loop's.
 */
final class BoundedLoad {

    private final int factor;

    /** {@code factor}: percent of the even share, at least 100 (validated by the config parser). */
    BoundedLoad(int factor) {
        this.factor = factor;
    }

    /** The most requests a backend of {@code weight} may carry, the new one included. Never below 1. */
    long capacity(int weight, long poolInFlight, long poolWeight) {
        long share = (long) factor * (poolInFlight + 1) * weight;
        long even = 100L * poolWeight;
        return (share + even - 1) / even;
    }

    boolean admits(Backend backend, long poolInFlight, long poolWeight) {
        return backend.inFlight() < capacity(backend.weight(), poolInFlight, poolWeight);
    }
}
