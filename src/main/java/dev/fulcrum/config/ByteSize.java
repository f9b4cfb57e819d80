package dev.fulcrum.config;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes written as "16KiB", "8KiB", "10MiB", "1GiB", "512B" or a plain number of bytes. */
public final class ByteSize {

    private static final Pattern SIZE = Pattern.compile("(\\d{1,12})\\s*(B|KiB|MiB|GiB|KB|MB|GB)?");
    private static final Map<String, Long> BYTES_PER_UNIT = Map.of(
            "B", 1L, "KiB", 1024L, "MiB", 1024L * 1024, "GiB", 1024L * 1024 * 1024,
            "KB", 1000L, "MB", 1000L * 1000, "GB", 1000L * 1000 * 1000);

    private ByteSize() {
    }

    /** @throws IllegalArgumentException with a message that says what is accepted */
    public static long parse(String text) {
        Matcher size = SIZE.matcher(text.trim());
        if (!size.matches()) {
            throw new IllegalArgumentException("is not a size (use e.g. \"16KiB\", \"10MiB\" or a number of bytes)");
        }
        long unit = size.group(2) == null ? 1 : BYTES_PER_UNIT.get(size.group(2));
        return Long.parseLong(size.group(1)) * unit;
    }
}
