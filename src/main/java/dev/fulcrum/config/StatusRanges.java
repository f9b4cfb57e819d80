package dev.fulcrum.config;

import java.util.ArrayList;
import java.util.List;

/** A set of HTTP status codes written as "200-499" or "200,204,300-399". */
public record StatusRanges(List<int[]> ranges, String text) {

    public StatusRanges {
        ranges = List.copyOf(ranges);
    }

    /** @throws IllegalArgumentException with a message that says what is accepted */
    public static StatusRanges parse(String text) {
        List<int[]> ranges = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String range = part.trim();
            String[] bounds = range.split("-", -1);
            if (bounds.length > 2 || !bounds[0].matches("\\d{3}") || (bounds.length == 2 && !bounds[1].matches("\\d{3}"))) {
                throw new IllegalArgumentException("is not a status list (use e.g. \"200-499\" or \"200,204,300-399\")");
            }
            int low = Integer.parseInt(bounds[0]);
            int high = bounds.length == 2 ? Integer.parseInt(bounds[1]) : low;
            if (low < 100 || high > 599 || low > high) {
                throw new IllegalArgumentException("has a range outside 100-599 or written backwards");
            }
            ranges.add(new int[] {low, high});
        }
        return new StatusRanges(ranges, text);
    }

    public boolean contains(int status) {
        for (int[] range : ranges) {
            if (status >= range[0] && status <= range[1]) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StatusRanges that && text.equals(that.text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
