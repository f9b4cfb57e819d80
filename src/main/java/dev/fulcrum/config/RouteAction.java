package dev.fulcrum.config;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What a route does with a request it matches: sends it to a pool, or splits it over pools by weight; rewrites its
 * path and headers; or answers at once with a redirect ({@code redirect} non-null, {@code pools} then empty).
 */
public record RouteAction(Map<String, Integer> pools, boolean stripPrefix, String rewritePrefix,
                          HeaderEdits requestHeaders, HeaderEdits responseHeaders, Redirect redirect) {

    /** {@code pools} is kept in name order, the order a split takes them in on every replica. */
    public RouteAction {
        pools = Collections.unmodifiableMap(new TreeMap<>(pools));
    }

    /** Its fields as the config spells them ({@code "pool": "api", "stripPrefix": true}): reload lines, the status page. */
    @Override
    public String toString() {
        StringJoiner fields = new StringJoiner(", ");
        if (redirect != null) {
            fields.add("\"redirect\": {" + (redirect.scheme() == null ? "" : "\"scheme\": \"" + redirect.scheme() + "\", ")
                    + (redirect.host() == null ? "" : "\"host\": \"" + redirect.host() + "\", ") + "\"code\": " + redirect.code() + "}");
        } else if (pools.size() == 1) {
            fields.add("\"pool\": \"" + pools.keySet().iterator().next() + "\"");
        } else {
            fields.add("\"pools\": " + pools.entrySet().stream()
                    .map(entry -> "\"" + entry.getKey() + "\": " + entry.getValue()).collect(Collectors.joining(", ", "{", "}")));
        }
        if (stripPrefix) {
            fields.add("\"stripPrefix\": true");
        }
        if (rewritePrefix != null) {
            fields.add("\"rewritePrefix\": \"" + rewritePrefix + "\"");
        }
        if (!requestHeaders.equals(HeaderEdits.NONE)) {
            fields.add("\"requestHeaders\": " + requestHeaders);
        }
        if (!responseHeaders.equals(HeaderEdits.NONE)) {
            fields.add("\"responseHeaders\": " + responseHeaders);
        }
        return fields.toString();
    }

    /** Headers to set (replacing), add (beside what is there) and remove, applied in that order: remove, set, add. */
    public record HeaderEdits(Map<String, String> set, Map<String, String> add, List<String> remove) {

        public static final HeaderEdits NONE = new HeaderEdits(Map.of(), Map.of(), List.of());

        public HeaderEdits {
            set = Map.copyOf(set);
            add = Map.copyOf(add);
            remove = List.copyOf(remove);
        }

        /** Which headers it names, not their values (a value may be a secret). */
        @Override
        public String toString() {
            StringJoiner fields = new StringJoiner(", ", "{", "}");
            if (!remove.isEmpty()) {
                fields.add("remove " + String.join(" ", remove));
            }
            if (!set.isEmpty()) {
                fields.add("set " + String.join(" ", new TreeMap<>(set).keySet()));
            }
            if (!add.isEmpty()) {
                fields.add("add " + String.join(" ", new TreeMap<>(add).keySet()));
            }
            return fields.toString();
        }
    }

    /** Answers with {@code code} to the same URL but for what is given: the scheme, the host (null: keep them). */
    public record Redirect(String scheme, String host, int code) {
    }
}
