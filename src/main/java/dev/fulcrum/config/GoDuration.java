package dev.fulcrum.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go's {@code time.ParseDuration} syntax ("250ms", "5s", "1m30s", "1.5h"), kept for compatibility with the original design. */
public final class GoDuration {

    private static final Pattern WHOLE = Pattern.compile("(?:\\d*\\.?\\d*(?:ns|us|µs|μs|ms|s|m|h))+");
    private static final Pattern PART = Pattern.compile("(\\d*\\.?\\d*)(ns|us|µs|μs|ms|s|m|h)");
    private static final Map<String, Long> NANOS_PER_UNIT = Map.of(
            "ns", 1L, "us", 1_000L, "µs", 1_000L, "μs", 1_000L,
            "ms", 1_000_000L, "s", 1_000_000_000L, "m", 60_000_000_000L, "h", 3_600_000_000_000L);

    private GoDuration() {
    }

    /** @throws IllegalArgumentException with a message that says what is accepted */
    public static Duration parse(String text) {
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        if (text.isEmpty() || !WHOLE.matcher(text).matches()) {
            throw invalid();
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher part = PART.matcher(text);
        while (part.find()) {
            String number = part.group(1);
            if (number.isEmpty() || number.equals(".")) {
                throw invalid();
            }
            nanos = nanos.add(new BigDecimal(number).multiply(BigDecimal.valueOf(NANOS_PER_UNIT.get(part.group(2)))));
        }
        try {
            return Duration.ofNanos(nanos.longValueExact());
        } catch (ArithmeticException tooLarge) {
            throw new IllegalArgumentException("is too large");
        }
    }

    /** The shortest Go form of a duration, for logs and messages. */
    public static String format(Duration duration) {
        if (duration.isZero()) {
            return "0s";
        }
        long millis = duration.toMillis();
        if (duration.toNanos() % 1_000_000 != 0) {
            return duration.toNanos() + "ns";
        }
        if (millis < 1000 || millis % 1000 != 0) {
            return millis + "ms";
        }
        long seconds = millis / 1000;
        StringBuilder out = new StringBuilder();
        if (seconds >= 3600) {
            out.append(seconds / 3600).append('h');
            seconds %= 3600;
        }
        if (seconds >= 60) {
            out.append(seconds / 60).append('m');
            seconds %= 60;
        }
        if (seconds > 0) {
            out.append(seconds).append('s');
        }
        return out.toString();
    }

    private static IllegalArgumentException invalid() {
        return new IllegalArgumentException("is not a duration (use Go syntax such as \"250ms\", \"5s\", \"1m30s\")");
    }
}
