package dev.fulcrum.routing;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The conditions a request must meet to take a route; every one is optional (null or empty: no condition) and
 * all the given ones must hold.
 *
 * <ul>
 *   <li>{@code host}: exact ({@code api.example.com}) or a wildcard first label ({@code *.example.com}), which, as in
 *       Envoy and NGINX, matches one label or more ({@code a.example.com}, {@code a.b.example.com}) and never the bare
 *       domain ({@code example.com}). Compared case-insensitively, the request's port and trailing dot ignored.
 *   <li>{@code pathPrefix}: on segment boundaries: {@code /api} matches {@code /api}, {@code /api/} and
 *       {@code /api/x}, not {@code /apix}; {@code /api/} matches the same paths; {@code /} matches every path.
 *   <li>{@code path}: the exact path, as sent.
 *   <li>{@code methods}: any of these names (methods are case-sensitive: {@code GET}, not {@code get}).
 *   <li>{@code headers}: name (any case) to the exact first value, or to {@link #PRESENT}: present with any value.
 *   <li>{@code query}: parameter name to the exact first value, decoded.
 * </ul>
 *
 * The host is kept in lower case and header names too, so two matches that mean the same are equal.
 */
public record RouteMatch(String host, String pathPrefix, String path, Set<String> methods,
                         Map<String, String> headers, Map<String, String> query) {

    /**
     * The header value meaning "present, with any value". It starts with NUL, which no header value may carry
     * (RFC 9110 §5.5), so it is never taken for a value a request could send.
     */
    public static final String PRESENT = "\u0000present";

    public RouteMatch {
        host = host == null || host.isEmpty() ? null : host.toLowerCase(Locale.ROOT);
        pathPrefix = pathPrefix == null || pathPrefix.isEmpty() ? null : pathPrefix;
        path = path == null || path.isEmpty() ? null : path;
        methods = methods == null ? Set.of() : Set.copyOf(methods);
        headers = headers == null ? Map.of() : lowerCaseNames(headers);
        query = query == null ? Map.of() : Map.copyOf(query);
    }

    /** Whether this match sets no condition, so it takes every request that reaches it. */
    public boolean catchesAll() {
        return host == null && pathPrefix == null && path == null && methods.isEmpty() && headers.isEmpty()
                && query.isEmpty();
    }

    /** Why a {@code host} is not one this match accepts, or empty when it is (null included: no condition). */
    public static Optional<String> invalidHost(String host) {
        return Hosts.invalid(host);
    }

    /** Why a {@code pathPrefix} is not one this match accepts, or empty when it is (null included). */
    public static Optional<String> invalidPathPrefix(String prefix) {
        return Paths.invalidPrefix(prefix);
    }

    /** Why an exact {@code path} is not one this match accepts, or empty when it is (null included). */
    public static Optional<String> invalidPath(String path) {
        return Paths.invalidPath(path);
    }

    /** Why a name in {@code methods} would never match a request, or empty when it could. */
    public static Optional<String> invalidMethod(String method) {
        return Methods.invalid(method);
    }

    /** As the config spells it, {@code {"host": "a.example.com", "headers": {"x-debug": true}}}: logs, status. */
    @Override
    public String toString() {
        StringJoiner fields = new StringJoiner(", ", "{", "}");
        if (host != null) {
            fields.add("\"host\": " + quoted(host));
        }
        if (pathPrefix != null) {
            fields.add("\"pathPrefix\": " + quoted(pathPrefix));
        }
        if (path != null) {
            fields.add("\"path\": " + quoted(path));
        }
        if (!methods.isEmpty()) {
            fields.add("\"methods\": " + methods.stream().sorted().map(RouteMatch::quoted)
                    .collect(Collectors.joining(", ", "[", "]")));
        }
        if (!headers.isEmpty()) {
            fields.add("\"headers\": " + object(headers));
        }
        if (!query.isEmpty()) {
            fields.add("\"query\": " + object(query));
        }
        return fields.toString();
    }

    private static String object(Map<String, String> values) {
        return new TreeMap<>(values).entrySet().stream()
                .map(entry -> quoted(entry.getKey()) + ": "
                        + (PRESENT.equals(entry.getValue()) ? "true" : quoted(entry.getValue())))
                .collect(Collectors.joining(", ", "{", "}"));
    }

    private static String quoted(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static Map<String, String> lowerCaseNames(Map<String, String> headers) {
        Map<String, String> byLowerCaseName = new HashMap<>();
        headers.forEach((name, value) -> {
            String previous = byLowerCaseName.put(name.toLowerCase(Locale.ROOT), value);
            if (previous != null) {
                throw new IllegalArgumentException("headers: \"" + name + "\" is given twice, in different cases");
            }
        });
        return Map.copyOf(byLowerCaseName);
    }
}
