package dev.fulcrum.routing;

import java.util.Optional;

/** Host names as routes compare them: a request's host reduced to its key, wildcards, and the accepted syntax. */
final class Hosts {

    private static final String ACCEPTED = "accepted: a host name (api.example.com) or one wildcard first label"
            + " (*.example.com), without a port";

    private Hosts() {
    }

    /**
     * How much of a request's host names it: without a port and without the trailing dot of an absolute name
     * ({@code example.com.} is {@code example.com}); 0 when nothing is left. The caller should pass the host without
     * its port already; this strips it anyway, as a Host header carries one.
     */
    static int bareLength(String host) {
        int end = host.length();
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close > 0) {
                end = close + 1;
            }
        } else {
            int colon = host.indexOf(':');
            // More than one colon is an IPv6 address someone forgot to bracket: it has no port to strip.
            if (colon >= 0 && host.indexOf(':', colon + 1) < 0) {
                end = colon;
            }
        }
        return end > 0 && host.charAt(end - 1) == '.' ? end - 1 : end;
    }

    static boolean isWildcard(String routeHost) {
        return routeHost.startsWith("*.");
    }

    /** What every host a wildcard admits ends with: {@code .example.com} for {@code *.example.com}. */
    static String wildcardSuffix(String wildcard) {
        return wildcard.substring(1);
    }

    /** Whether a route's host condition (null: none) admits a request host key. */
    static boolean admits(String routeHost, String requestHost) {
        if (routeHost == null) {
            return true;
        }
        if (isWildcard(routeHost)) {
            String suffix = wildcardSuffix(routeHost);
            return requestHost.length() > suffix.length() && requestHost.endsWith(suffix);
        }
        return routeHost.equals(requestHost);
    }

    /** Whether every host the later condition admits, the earlier one admits too. */
    static boolean covers(String earlier, String later) {
        if (earlier == null) {
            return true;
        }
        if (later == null) {
            return false;
        }
        if (isWildcard(later)) {
            // *.b.example.com admits only hosts that *.example.com admits too.
            return isWildcard(earlier) && wildcardSuffix(later).endsWith(wildcardSuffix(earlier));
        }
        return admits(earlier, later);
    }

    static Optional<String> invalid(String host) {
        if (host == null) {
            return Optional.empty();
        }
        String quoted = "\"" + host + "\"";
        if (host.isEmpty()) {
            return Optional.of("\"\" is empty; leave host out to match every host, or " + ACCEPTED);
        }
        if (host.equals("*")) {
            return Optional.of("\"*\" would match every host: leave host out for that; " + ACCEPTED);
        }
        if (host.startsWith("[")) {
            return host.matches("\\[[0-9A-Fa-f:.]+]") && host.indexOf(':') > 0
                    ? Optional.empty()
                    : Optional.of(quoted + " is not a bracketed IPv6 address ([2001:db8::1]); " + ACCEPTED);
        }
        if (host.indexOf(':') >= 0) {
            return Optional.of(quoted + " has a port, which routes ignore; " + ACCEPTED);
        }
        String[] labels = host.split("\\.", -1);
        for (int i = 0; i < labels.length; i++) {
            String label = labels[i];
            if (label.isEmpty()) {
                return Optional.of(quoted + " has an empty label; " + ACCEPTED);
            }
            if (label.indexOf('*') >= 0 && (i > 0 || label.length() > 1)) {
                return Optional.of(quoted + " has a wildcard that is not the whole first label; " + ACCEPTED);
            }
            if (i > 0 || !label.equals("*")) {
                for (int c = 0; c < label.length(); c++) {
                    if (!isLabelCharacter(label.charAt(c))) {
                        return Optional.of(quoted + " has '" + label.charAt(c) + "', not a letter, digit, '-' or '_'; "
                                + ACCEPTED);
                    }
                }
            }
        }
        return Optional.empty();
    }

    // '_' is not in RFC 1123 host names, but internal names carry it and Host headers arrive with it.
    private static boolean isLabelCharacter(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }
}
