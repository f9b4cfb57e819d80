package dev.fulcrum.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Short spellings of matches and tables for the tests. */
final class Matches {

    static final RouteMatch EVERY_REQUEST = new RouteMatch(null, null, null, null, null, null);

    private Matches() {
    }

    static RouteMatch host(String host) {
        return new RouteMatch(host, null, null, null, null, null);
    }

    static RouteMatch prefix(String prefix) {
        return new RouteMatch(null, prefix, null, null, null, null);
    }

    static RouteMatch hostAndPrefix(String host, String prefix) {
        return new RouteMatch(host, prefix, null, null, null, null);
    }

    static RouteMatch exactPath(String path) {
        return new RouteMatch(null, null, path, null, null, null);
    }

    static RouteMatch methods(String... methods) {
        return new RouteMatch(null, null, null, Set.of(methods), null, null);
    }

    static RouteMatch header(String name, String value) {
        return new RouteMatch(null, null, null, null, Map.of(name, value), null);
    }

    static RouteMatch query(String name, String value) {
        return new RouteMatch(null, null, null, null, null, Map.of(name, value));
    }

    /** Routes whose action is their index, in this order. */
    static List<Route<Integer>> routes(RouteMatch... matches) {
        List<Route<Integer>> routes = new ArrayList<>();
        for (int i = 0; i < matches.length; i++) {
            routes.add(new Route<>(i, matches[i], i));
        }
        return routes;
    }

    static RouteTable<Integer> table(RouteMatch... matches) {
        return RouteTable.compile(routes(matches));
    }
}
