package dev.fulcrum.balancer;

/**
 * xxHash64 (Yann Collet's XXH64, little-endian): fast, well mixed, and the same in every process and on every JVM,
 * which {@code hashCode()} is not guaranteed to be. Netty and Vert.x ship no 64-bit hash; checked against the
 * reference's test vectors and the {@code xxhsum} tool.
 */
public final class XxHash64 {

    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;

    private XxHash64() {
    }

    public static long hash(byte[] data, long seed) {
        return hash(data, 0, data.length, seed);
    }

    public static long hash(byte[] data, int offset, int length, long seed) {
        int at = offset;
        int end = offset + length;
        long h;
        if (length >= 32) {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            int limit = end - 32;
            do {
                v1 = round(v1, longAt(data, at));
                v2 = round(v2, longAt(data, at + 8));
                v3 = round(v3, longAt(data, at + 16));
                v4 = round(v4, longAt(data, at + 24));
                at += 32;
            } while (at <= limit);
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = merge(h, v1);
            h = merge(h, v2);
            h = merge(h, v3);
            h = merge(h, v4);
        } else {
            h = seed + P5;
        }
        h += length;
        for (; at + 8 <= end; at += 8) {
            h ^= round(0, longAt(data, at));
            h = Long.rotateLeft(h, 27) * P1 + P4;
        }
        if (at + 4 <= end) {
            h ^= (intAt(data, at) & 0xFFFFFFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            at += 4;
        }
        for (; at < end; at++) {
            h ^= (data[at] & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
        }
        return mix(h);
    }

    /** xxHash64's final avalanche: every bit of the result depends on every bit of {@code h}. */
    public static long mix(long h) {
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    private static long round(long accumulator, long input) {
        return Long.rotateLeft(accumulator + input * P2, 31) * P1;
    }

    private static long merge(long h, long v) {
        return (h ^ round(0, v)) * P1 + P4;
    }

    private static long longAt(byte[] data, int at) {
        return (intAt(data, at) & 0xFFFFFFFFL) | ((long) intAt(data, at + 4) << 32);
    }

    private static int intAt(byte[] data, int at) {
        return (data[at] & 0xFF) | (data[at + 1] & 0xFF) << 8 | (data[at + 2] & 0xFF) << 16 | (data[at + 3] & 0xFF) << 24;
    }
}
