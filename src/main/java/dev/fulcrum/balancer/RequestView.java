package dev.fulcrum.balancer;

/**
 * What a policy may know of the request it picks a backend for, computed only when asked: the hashing policies
 * ask for the key, the others never pay for it. One per request, on its event loop.
 */
public interface RequestView {

    /** A request that carries no key, on its first attempt: selection tests and benchmarks. */
    RequestView NONE = new RequestView() {
        @Override
        public boolean hasHashKey() {
            return false;
        }

        @Override
        public long hashKey() {
            throw new IllegalStateException("no hash key");
        }

        @Override
        public int attempt() {
            return 0;
        }
    };

    /** Whether the request carries the key the config hashes ({@code hashKey}): a header, cookie or parameter may be absent. */
    boolean hasHashKey();

    /** The seeded 64-bit hash of that key; only when {@link #hasHashKey()}. The same key gives the same hash in every process. */
    long hashKey();

    /** 0 for the first attempt, 1 for its retry (which must not go to the backend that failed the first). */
    int attempt();
}
