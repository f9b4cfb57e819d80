package dev.fulcrum.config;

import dev.fulcrum.routing.Route;
import dev.fulcrum.routing.RouteMatch;
import dev.fulcrum.routing.RouteTable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@code routes}: each entry's match and action, validated against the pools, in the file's order. */
final class RoutesParser {

    private static final Set<Integer> REDIRECT_CODES = Set.of(301, 302, 303, 307, 308);

    private RoutesParser() {
    }

    static List<Route<RouteAction>> parse(JsonFields root, Map<String, PoolSettings> pools) {
        JsonArray list = root.array("routes");
        if (list == null) {
            if (!pools.containsKey(PoolSettings.DEFAULT)) {
                throw new ConfigException("routes: missing; with no top-level servers, routes must say which pool serves"
                        + " what (pools are " + String.join(", ", pools.keySet()) + ")");
            }
            return List.of();
        }
        List<Route<RouteAction>> routes = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String field = "routes[" + i + "]";
            if (!(list.getValue(i) instanceof JsonObject object)) {
                throw new ConfigException(field + ": " + Values.quote(list.getValue(i)) + " must be an object with a match and a pool");
            }
            JsonFields route = new JsonFields(object, field);
            RouteMatch match = match(route.object("match"));
            RouteAction action = action(route, match, pools);
            route.rejectUnknown();
            routes.add(new Route<>(i, match, action));
        }
        Optional<String> unreachable = RouteTable.unreachable(routes.stream().map(Route::match).toList());
        if (unreachable.isPresent()) {
            throw new ConfigException(unreachable.get());
        }
        return routes;
    }

    /** A warning for each pool no route sends to (without routes, every pool but "default"), in the file's order. */
    static List<String> unreachablePools(List<Route<RouteAction>> routes, Map<String, PoolSettings> pools) {
        Set<String> reached = new HashSet<>();
        if (routes.isEmpty()) {
            reached.add(PoolSettings.DEFAULT);
        }
        routes.forEach(route -> route.action().pools().forEach((pool, weight) -> {
            if (weight > 0) {
                reached.add(pool);
            }
        }));
        return pools.keySet().stream().filter(pool -> !reached.contains(pool))
                .map(pool -> "pools." + pool + ": no request can reach it: " + (routes.isEmpty()
                        ? "there are no routes, so every request goes to the pool \"default\"; add a route to it"
                        : "no route names it (or only with weight 0); add a route, or remove the pool"))
                .toList();
    }

    private static RouteMatch match(JsonFields match) {
        String host = match.string("host", null);
        check(match, "host", RouteMatch.invalidHost(host));
        String pathPrefix = match.string("pathPrefix", null);
        check(match, "pathPrefix", RouteMatch.invalidPathPrefix(pathPrefix));
        String path = match.string("path", null);
        check(match, "path", RouteMatch.invalidPath(path));
        Set<String> methods = new LinkedHashSet<>();
        JsonArray methodList = match.array("methods");
        if (methodList != null) {
            for (int i = 0; i < methodList.size(); i++) {
                String field = "methods[" + i + "]";
                if (!(methodList.getValue(i) instanceof String method)) {
                    throw new ConfigException(match.path(field) + ": " + Values.quote(methodList.getValue(i)) + " must be a method name such as \"GET\"");
                }
                check(match, field, RouteMatch.invalidMethod(method));
                methods.add(method);
            }
        }
        Map<String, String> headers = new LinkedHashMap<>();
        if (match.has("headers")) {
            JsonFields given = match.object("headers");
            Set<String> seen = new HashSet<>();
            for (String name : given.fieldNames()) {
                if (!seen.add(name.toLowerCase(Locale.ROOT))) {
                    throw new ConfigException(given.path(name) + ": header names are case-insensitive, and this one is"
                            + " given twice; keep one");
                }
                Object value = given.raw(name);
                if (value instanceof String text) {
                    headers.put(name, text);
                } else if (Boolean.TRUE.equals(value)) {
                    headers.put(name, RouteMatch.PRESENT);
                } else {
                    throw new ConfigException(given.path(name) + ": " + Values.quote(value)
                            + " must be a value to match exactly, or true for \"present with any value\"");
                }
            }
        }
        Map<String, String> query = new LinkedHashMap<>();
        if (match.has("query")) {
            JsonFields given = match.object("query");
            for (String name : given.fieldNames()) {
                if (!(given.raw(name) instanceof String text)) {
                    throw new ConfigException(given.path(name) + ": " + Values.quote(given.raw(name)) + " must be a string");
                }
                query.put(name, text);
            }
        }
        match.rejectUnknown();
        return new RouteMatch(host, pathPrefix, path, methods, headers, query);
    }

    private static RouteAction action(JsonFields route, RouteMatch match, Map<String, PoolSettings> pools) {
        boolean stripPrefix = route.bool("stripPrefix", false);
        String rewritePrefix = route.string("rewritePrefix", null);
        HeaderEditsParser requestEdits = new HeaderEditsParser(route, "requestHeaders");
        HeaderEditsParser responseEdits = new HeaderEditsParser(route, "responseHeaders");
        RouteAction.Redirect redirect = route.has("redirect") ? redirect(route.object("redirect")) : null;
        Map<String, Integer> chosen = targets(route, pools);
        if (redirect != null && !chosen.isEmpty()) {
            throw new ConfigException(route.path("redirect") + ": a redirect answers at once; remove the route's pool or pools");
        }
        if (redirect == null && chosen.isEmpty()) {
            throw new ConfigException(route.path("pool") + ": missing; give \"pool\", \"pools\" (a split) or \"redirect\"");
        }
        if ((stripPrefix || rewritePrefix != null) && match.pathPrefix() == null) {
            throw new ConfigException(route.path(stripPrefix ? "stripPrefix" : "rewritePrefix")
                    + ": needs a match.pathPrefix, the part of the path it replaces");
        }
        if (stripPrefix && rewritePrefix != null) {
            throw new ConfigException(route.path("rewritePrefix") + ": replaces the prefix already; stripPrefix is not needed with it");
        }
        if (rewritePrefix != null && !rewritePrefix.startsWith("/")) {
            throw new ConfigException(route.path("rewritePrefix") + ": " + Values.quote(rewritePrefix) + " must start with \"/\"");
        }
        return new RouteAction(chosen, stripPrefix, rewritePrefix, requestEdits.edits(), responseEdits.edits(), redirect);
    }

    /** {@code "pool": "api"}, or {@code "pools": {"api": 95, "canary": 5}}: each a pool of the file. */
    private static Map<String, Integer> targets(JsonFields route, Map<String, PoolSettings> pools) {
        if (route.has("pool") && route.has("pools")) {
            throw new ConfigException(route.path("pools") + ": give \"pool\" or a split in \"pools\", not both");
        }
        if (route.has("pool")) {
            String name = route.string("pool", null);
            known(route.path("pool"), name, pools);
            return Map.of(name, 1);
        }
        if (!route.has("pools")) {
            return Map.of();
        }
        JsonFields split = route.object("pools");
        Map<String, Integer> weights = new LinkedHashMap<>();
        int total = 0;
        for (String name : split.fieldNames()) {
            known(split.path(name), name, pools);
            int weight = split.integer(name, 0, 0, 1_000_000);
            weights.put(name, weight);
            total += weight;
        }
        if (total == 0) {
            throw new ConfigException(route.path("pools") + ": the weights add up to 0; give at least one pool a share");
        }
        return weights;
    }

    private static void known(String field, String name, Map<String, PoolSettings> pools) {
        if (!pools.containsKey(name)) {
            throw new ConfigException(field + ": " + Values.quote(name) + " is not a pool"
                    + (pools.isEmpty() ? "" : "; pools are " + String.join(", ", pools.keySet())));
        }
    }

    private static RouteAction.Redirect redirect(JsonFields redirect) {
        String scheme = redirect.string("scheme", null);
        String host = redirect.string("host", null);
        int code = redirect.integer("code", 301, 300, 399);
        redirect.rejectUnknown();
        if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
            throw new ConfigException(redirect.path("scheme") + ": " + Values.quote(scheme) + " is not one of http, https");
        }
        check(redirect, "host", host == null || host.startsWith("*") ? host == null ? Optional.empty()
                : Optional.of("must be a host name, not a wildcard") : RouteMatch.invalidHost(host));
        if (!REDIRECT_CODES.contains(code)) {
            throw new ConfigException(redirect.path("code") + ": " + code + " is not one of 301, 302, 303, 307, 308");
        }
        if (scheme == null && host == null) {
            throw new ConfigException(redirect.path("scheme") + ": a redirect needs a scheme or a host to send the client to");
        }
        return new RouteAction.Redirect(scheme, host, code);
    }

    private static void check(JsonFields fields, String field, Optional<String> problem) {
        if (problem.isPresent()) {
            throw new ConfigException(fields.path(field) + ": " + Values.quote(fields.raw(field)) + " " + problem.get());
        }
    }

    /** One of a route's {@code requestHeaders} or {@code responseHeaders}. */
    private static final class HeaderEditsParser {

        private final RouteAction.HeaderEdits edits;

        HeaderEditsParser(JsonFields route, String field) {
            if (!route.has(field)) {
                edits = RouteAction.HeaderEdits.NONE;
                return;
            }
            JsonFields given = route.object(field);
            Map<String, String> set = values(given, "set");
            Map<String, String> add = values(given, "add");
            List<String> remove = new ArrayList<>();
            JsonArray names = given.array("remove");
            if (names != null) {
                for (int i = 0; i < names.size(); i++) {
                    if (!(names.getValue(i) instanceof String name) || !isHeaderName(name)) {
                        throw new ConfigException(given.path("remove[" + i + "]") + ": " + Values.quote(names.getValue(i))
                                + " is not a header name");
                    }
                    remove.add(name);
                }
            }
            given.rejectUnknown();
            edits = new RouteAction.HeaderEdits(set, add, remove);
        }

        RouteAction.HeaderEdits edits() {
            return edits;
        }

        private static Map<String, String> values(JsonFields given, String field) {
            Map<String, String> values = new LinkedHashMap<>();
            if (!given.has(field)) {
                return values;
            }
            JsonFields entries = given.object(field);
            for (String name : entries.fieldNames()) {
                if (!isHeaderName(name)) {
                    throw new ConfigException(entries.path(name) + ": not a header name");
                }
                if (!(entries.raw(name) instanceof String value) || value.chars().anyMatch(c -> c == '\r' || c == '\n')) {
                    throw new ConfigException(entries.path(name) + ": " + Values.quote(entries.raw(name))
                            + " must be a header value on one line");
                }
                values.put(name, value);
            }
            return values;
        }

        private static boolean isHeaderName(String name) {
            return !name.isEmpty() && name.length() <= ConfigParser.MAX_HEADER_NAME && name.chars().allMatch(ConfigParser::isTokenChar);
        }
    }
}
