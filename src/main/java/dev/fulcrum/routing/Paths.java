package dev.fulcrum.routing;

import java.util.Optional;

/** Paths as routes compare them: prefixes on segment boundaries, and the accepted syntax. */
final class Paths {

    private Paths() {
    }

    /**
     * The form a prefix is compared in: without its trailing slash, as {@code /api/} and {@code /api} match the
     * same paths; {@code /} becomes the empty prefix, under which lies every path that starts with a slash.
     */
    static String prefixKey(String pathPrefix) {
        return pathPrefix.endsWith("/") ? pathPrefix.substring(0, pathPrefix.length() - 1) : pathPrefix;
    }

    /** Whether the path is the prefix key or continues it with a new segment: {@code /api/x} is under {@code /api}. */
    static boolean isUnder(String path, String prefixKey) {
        return path.startsWith(prefixKey)
                && (path.length() == prefixKey.length() || path.charAt(prefixKey.length()) == '/');
    }

    static Optional<String> invalidPrefix(String prefix) {
        if (prefix != null && prefix.indexOf('*') >= 0) {
            return Optional.of("\"" + prefix + "\" has a '*'; accepted: a plain prefix such as /api, which matches"
                    + " /api/x already");
        }
        return invalid(prefix, "a path prefix such as /api or /api/");
    }

    static Optional<String> invalidPath(String path) {
        return invalid(path, "an exact path such as /health");
    }

    private static Optional<String> invalid(String path, String accepted) {
        if (path == null) {
            return Optional.empty();
        }
        String quoted = "\"" + path + "\"";
        if (!path.startsWith("/")) {
            return Optional.of(quoted + " does not start with '/'; accepted: " + accepted);
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '?' || c == '#') {
                return Optional.of(quoted + " has a '" + c + "', which ends the path (match a parameter with query);"
                        + " accepted: " + accepted);
            }
            if (c <= ' ' || c == 0x7f) {
                return Optional.of(quoted + " has a space or control character; accepted: " + accepted
                        + ", percent-encoded as requests send it");
            }
        }
        return Optional.empty();
    }
}
