package dev.fulcrum.support;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * An HPACK header block built field by field (RFC 7541 §6), for {@link RawHttp2}: literals are never Huffman-coded,
 * so a block's size is the sum of its fields' names and values plus two or three bytes each, and the server's
 * dynamic table changes only when a test says so.
 */
public final class HeaderBlock {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private HeaderBlock() {
    }

    public static HeaderBlock create() {
        return new HeaderBlock();
    }

    /** A GET of {@code path} for {@code authority} (omitted if null), over http. */
    public static HeaderBlock get(String path, String authority) {
        return create().request("GET", path, authority);
    }

    public HeaderBlock request(String method, String path, String authority) {
        literal(":method", method).literal(":scheme", "http").literal(":path", path);
        return authority == null ? this : literal(":authority", authority);
    }

    /** A literal field without indexing: the server's table does not change. */
    public HeaderBlock literal(String name, String value) {
        integer(0x00, 4, 0);
        string(name);
        string(value);
        return this;
    }

    /** A literal field with incremental indexing: the server adds it to its dynamic table, if it fits. */
    public HeaderBlock indexing(String name, String value) {
        integer(0x40, 6, 0);
        string(name);
        string(value);
        return this;
    }

    /** A field by its index: 1 to 61 are the static table's, 62 on the dynamic table's newest first. */
    public HeaderBlock indexed(int index) {
        integer(0x80, 7, index);
        return this;
    }

    /** A dynamic table size update, which must come first in a block (RFC 7541 §4.2). */
    public HeaderBlock tableSize(long size) {
        integer(0x20, 5, size);
        return this;
    }

    public byte[] bytes() {
        return out.toByteArray();
    }

    /** RFC 7541 §5.1: an integer with an N-bit prefix, after the pattern's flag bits. */
    private void integer(int flags, int prefixBits, long value) {
        int max = (1 << prefixBits) - 1;
        if (value < max) {
            out.write(flags | (int) value);
            return;
        }
        out.write(flags | max);
        long rest = value - max;
        while (rest >= 0x80) {
            out.write((int) (rest & 0x7F) | 0x80);
            rest >>>= 7;
        }
        out.write((int) rest);
    }

    private void string(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        integer(0x00, 7, bytes.length);
        out.write(bytes, 0, bytes.length);
    }
}
