package dev.fulcrum.balancer;

/** A request as a hashing policy sees it: its key's hash and its attempt. */
record HashedRequest(long hashKey, int attempt) implements RequestView {

    static HashedRequest first(long hash) {
        return new HashedRequest(hash, 0);
    }

    static HashedRequest retry(long hash) {
        return new HashedRequest(hash, 1);
    }

    @Override
    public boolean hasHashKey() {
        return true;
    }
}
