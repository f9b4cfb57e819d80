package dev.fulcrum.routing;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.fulcrum.routing.Matches.EVERY_REQUEST;
import static dev.fulcrum.routing.Matches.header;
import static dev.fulcrum.routing.Matches.host;
import static dev.fulcrum.routing.Matches.hostAndPrefix;
import static dev.fulcrum.routing.Matches.methods;
import static dev.fulcrum.routing.Matches.prefix;
import static dev.fulcrum.routing.Matches.query;
import static org.junit.jupiter.api.Assertions.assertEquals;

class UnreachableRoutesTest {

    private static Optional<String> unreachable(RouteMatch... routes) {
        return RouteTable.unreachable(List.of(routes));
    }

    private static void reachable(RouteMatch earlier, RouteMatch later) {
        assertEquals(Optional.empty(), unreachable(earlier, later), () -> later + " after " + earlier);
    }

    private static void shadowed(RouteMatch earlier, RouteMatch later) {
        assertEquals(Optional.of("routes[1]: unreachable: routes[0] matches all of its requests before it"),
                unreachable(earlier, later), () -> later + " after " + earlier);
    }

    @Test
    void aRouteAfterACatchAllIsUnreachable() {
        assertEquals(Optional.of("routes[3]: unreachable: routes[2] catches every request before it"),
                unreachable(host("a.example.com"), prefix("/api"), EVERY_REQUEST, host("b.example.com")));
    }

    @Test
    void aCatchAllLastIsReachable() {
        assertEquals(Optional.empty(), unreachable(host("a.example.com"), prefix("/api"), EVERY_REQUEST));
    }

    @Test
    void aRouteWithTheSameMatchAsAnEarlierOneIsUnreachable() {
        assertEquals(Optional.of("routes[2]: unreachable: routes[0] matches the same requests before it"),
                unreachable(hostAndPrefix("api.example.com", "/api"), prefix("/static"),
                        hostAndPrefix("API.example.com", "/api/")));
        assertEquals(Optional.of("routes[1]: unreachable: routes[0] matches the same requests before it"),
                unreachable(header("X-Canary", "1"), header("x-canary", "1")));
    }

    @Test
    void theFirstUnreachableRouteIsNamedWithTheFirstRouteThatShadowsIt() {
        assertEquals(Optional.of("routes[2]: unreachable: routes[0] matches all of its requests before it"),
                unreachable(prefix("/api"), EVERY_REQUEST, prefix("/api/v2"), host("a.example.com")));
    }

    @Test
    void aNarrowerRouteAfterABroaderOneIsUnreachable() {
        shadowed(prefix("/api"), prefix("/api/v2"));
        shadowed(prefix("/"), prefix("/api"));
        shadowed(prefix("/api"), new RouteMatch(null, null, "/api/health", null, null, null));
        shadowed(host("*.example.com"), host("a.example.com"));
        shadowed(host("*.example.com"), host("*.a.example.com"));
        shadowed(host("a.example.com"), hostAndPrefix("a.example.com", "/api"));
        shadowed(methods("GET", "HEAD"), methods("GET"));
        shadowed(header("X-Debug", RouteMatch.PRESENT), header("X-Debug", "1"));
        shadowed(query("v", "2"), new RouteMatch(null, "/api", null, null, null, Map.of("v", "2", "w", "1")));
        shadowed(prefix("/api"), new RouteMatch("a.example.com", "/api/v2", null, Set.of("GET"),
                Map.of("X-Canary", "1"), Map.of("v", "2")));
    }

    @Test
    void aRouteThatCanStillMatchSomethingTheEarlierOneDoesNotIsReachable() {
        reachable(prefix("/api/v2"), prefix("/api"));
        reachable(prefix("/api"), prefix("/apix"));
        reachable(new RouteMatch(null, null, "/api", null, null, null), prefix("/api"));
        reachable(host("a.example.com"), host("*.example.com"));
        reachable(host("*.example.com"), host("example.com"));
        reachable(host("*.a.example.com"), host("*.example.com"));
        reachable(host("*.example.com"), host("*.notexample.com"));
        reachable(methods("GET"), methods("GET", "HEAD"));
        reachable(methods("GET"), EVERY_REQUEST);
        reachable(header("X-Debug", "1"), header("X-Debug", RouteMatch.PRESENT));
        reachable(header("X-Debug", "1"), header("X-Debug", "2"));
        reachable(query("v", "2"), query("v", "3"));
        reachable(hostAndPrefix("a.example.com", "/api"), host("a.example.com"));
    }
}
