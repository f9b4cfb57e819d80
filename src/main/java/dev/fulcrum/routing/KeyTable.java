package dev.fulcrum.routing;

import java.util.Map;

/**
 * A hash table of strings that looks up a part of a request's host or path where it lies, without cutting it
 * out: a match allocates nothing, and the caller hashes as it scans. Open addressing, at most half full; built
 * once, then only read. Hosts are compared ignoring ASCII case (their keys are in lower case, and a host name is
 * ASCII on the wire: international names travel as punycode); paths exactly.
 */
final class KeyTable<V> {

    private final String[] keys;
    private final int[] hashes;
    private final Object[] values;
    private final int mask;
    /** {@code keyLengths[n]} when some key is n long: a part of another length costs no hashing and no probe. */
    private final boolean[] keyLengths;
    private final boolean ignoresAsciiCase;

    private KeyTable(Map<String, V> entries, boolean ignoresAsciiCase) {
        int capacity = Integer.highestOneBit(Math.max(2, entries.size()) * 4 - 1);
        keys = new String[capacity];
        hashes = new int[capacity];
        values = new Object[capacity];
        mask = capacity - 1;
        keyLengths = new boolean[entries.keySet().stream().mapToInt(String::length).max().orElse(-1) + 1];
        this.ignoresAsciiCase = ignoresAsciiCase;
        entries.forEach((key, value) -> {
            int hash = key.hashCode();
            int slot = spread(hash) & mask;
            while (keys[slot] != null) {
                slot = (slot + 1) & mask;
            }
            keys[slot] = key;
            hashes[slot] = hash;
            values[slot] = value;
            keyLengths[key.length()] = true;
        });
    }

    /** Keys in lower case, looked up ignoring the ASCII case of the request's host. */
    static <V> KeyTable<V> ofHosts(Map<String, V> entries) {
        return new KeyTable<>(entries, true);
    }

    static <V> KeyTable<V> ofPaths(Map<String, V> entries) {
        return new KeyTable<>(entries, false);
    }

    /** One past the longest key's length: parts that long or longer are never keys. */
    int lengthBound() {
        return keyLengths.length;
    }

    boolean hasKeyOfLength(int length) {
        return length < keyLengths.length && keyLengths[length];
    }

    /** The hash {@link #get} wants for {@code text[from, to)}: {@link String#hashCode}'s, of the folded characters. */
    int hash(String text, int from, int to) {
        int hash = 0;
        for (int i = from; i < to; i++) {
            hash = 31 * hash + fold(text.charAt(i));
        }
        return hash;
    }

    /** The value of the key equal to {@code text[from, to)}, whose {@link #hash} the caller gives; or null. */
    @SuppressWarnings("unchecked")
    V get(String text, int from, int to, int hash) {
        for (int slot = spread(hash) & mask; keys[slot] != null; slot = (slot + 1) & mask) {
            if (hashes[slot] == hash && equalsPart(keys[slot], text, from, to)) {
                return (V) values[slot];
            }
        }
        return null;
    }

    private boolean equalsPart(String key, String text, int from, int to) {
        if (key.length() != to - from) {
            return false;
        }
        if (!ignoresAsciiCase) {
            return text.regionMatches(from, key, 0, key.length());
        }
        for (int i = from; i < to; i++) {
            if (fold(text.charAt(i)) != key.charAt(i - from)) {
                return false;
            }
        }
        return true;
    }

    // ASCII only, as String.toLowerCase would also fold characters no host name has into ASCII letters.
    private char fold(char c) {
        return ignoresAsciiCase && c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
    }

    // Keys that differ only in their last characters differ only in the hash's low bits: mix the high ones in.
    private static int spread(int hash) {
        return hash ^ (hash >>> 16);
    }
}
