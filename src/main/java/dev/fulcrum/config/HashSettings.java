package dev.fulcrum.config;

/**
 * How the hashing policies ({@code maglev}, {@code ip-hash}, {@code uri-hash}) key a request, the size of the Maglev
 * table, and the bound on a backend's share of the load ({@code hashBalanceFactor}, percent; 0 when unbounded).
 */
public record HashSettings(HashKey key, int tableSize, int balanceFactor) {

    /** The paper's table size for up to 655 backends (M > 100 N keeps every backend's share within 1 %). */
    public static final int DEFAULT_TABLE_SIZE = 65537;
    public static final HashSettings DEFAULT = new HashSettings(HashKey.CLIENT_IP, DEFAULT_TABLE_SIZE, 0);

    public boolean bounded() {
        return balanceFactor > 0;
    }
}
