package dev.fulcrum.config;

import java.util.List;
import java.util.Map;

/**
 * What a route does with a request it matches: sends it to a pool, or splits it over pools by weight; rewrites its
 * path and headers; or answers at once with a redirect ({@code redirect} non-null, {@code pools} then empty).
 */
public record RouteAction(Map<String, Integer> pools, boolean stripPrefix, String rewritePrefix,
                          HeaderEdits requestHeaders, HeaderEdits responseHeaders, Redirect redirect) {

    public RouteAction {
        pools = Map.copyOf(pools);
    }

    /** Headers to set (replacing), add (beside what is there) and remove, applied in that order: remove, set, add. */
    public record HeaderEdits(Map<String, String> set, Map<String, String> add, List<String> remove) {

        public static final HeaderEdits NONE = new HeaderEdits(Map.of(), Map.of(), List.of());

        public HeaderEdits {
            set = Map.copyOf(set);
            add = Map.copyOf(add);
            remove = List.copyOf(remove);
        }
    }

    /** Answers with {@code code} to the same URL but for what is given: the scheme, the host (null: keep them). */
    public record Redirect(String scheme, String host, int code) {
    }
}
