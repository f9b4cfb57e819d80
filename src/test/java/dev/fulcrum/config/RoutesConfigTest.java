package dev.fulcrum.config;

import dev.fulcrum.routing.Route;
import dev.fulcrum.routing.RouteMatch;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.fulcrum.config.ConfigParserTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** routes: a match and an action each, in the file's order; every mistake named by the route's index and field. */
class RoutesConfigTest {

    private static final String POOLS = "\"pools\": {\"api\": {\"servers\": [\"http://api:1\"]}, \"canary\": {\"servers\": [\"http://c:1\"]},"
            + " \"static\": {\"servers\": [\"http://s:1\"]}}";

    private static FulcrumConfig parse(String routes) {
        return ConfigParser.parse("{" + POOLS + ", \"routes\": " + routes + "}");
    }

    @Test
    void aRouteTableWithSplitsRewritesAndARedirect() {
        FulcrumConfig config = parse("""
                [{"match": {"host": "old.example.com"}, "redirect": {"host": "example.com", "code": 308}},
                 {"match": {"host": "*.example.com", "pathPrefix": "/api", "methods": ["GET", "POST"],
                            "headers": {"X-Canary": "1", "X-Debug": true}, "query": {"version": "2"}},
                  "pools": {"api": 95, "canary": 5}, "stripPrefix": true,
                  "requestHeaders": {"set": {"X-Env": "prod"}, "add": {"Via": "fulcrum"}, "remove": ["X-Internal"]},
                  "responseHeaders": {"remove": ["Server"]}},
                 {"pool": "static"}]""");

        List<Route<RouteAction>> routes = config.routes();
        assertEquals(3, routes.size());
        assertEquals(new RouteAction.Redirect(null, "example.com", 308), routes.get(0).action().redirect());
        RouteMatch match = routes.get(1).match();
        assertEquals("*.example.com", match.host());
        assertEquals(Map.of("x-canary", "1", "x-debug", RouteMatch.PRESENT), match.headers());
        assertEquals(Map.of("api", 95, "canary", 5), routes.get(1).action().pools());
        assertTrue(routes.get(1).action().stripPrefix());
        assertEquals(List.of("X-Internal"), routes.get(1).action().requestHeaders().remove());
        assertTrue(routes.get(2).match().catchesAll());
        assertEquals(Map.of("static", 1), routes.get(2).action().pools());
        assertNull(routes.get(2).action().redirect());
    }

    @Test
    void mistakesAreNamedByRouteAndField() {
        assertError("routes[0].pool: \"apj\" is not a pool; pools are api, canary, static", () -> parse("[{\"pool\": \"apj\"}]"));
        assertError("routes[1].pools.nope: \"nope\" is not a pool",
                () -> parse("[{\"pool\": \"api\", \"match\": {\"path\": \"/a\"}}, {\"pools\": {\"api\": 1, \"nope\": 1}}]"));
        assertError("routes[0].pools: the weights add up to 0", () -> parse("[{\"pools\": {\"api\": 0}}]"));
        assertError("routes[0].pool: missing; give \"pool\", \"pools\" (a split) or \"redirect\"", () -> parse("[{}]"));
        assertError("routes[2]: unreachable", () -> parse("[{\"pool\": \"api\", \"match\": {\"path\": \"/a\"}}, {\"pool\": \"api\"},"
                + " {\"pool\": \"static\", \"match\": {\"path\": \"/b\"}}]"));
        assertError("routes[0].match.pathPrefix: \"api\"", () -> parse("[{\"pool\": \"api\", \"match\": {\"pathPrefix\": \"api\"}}]"));
        assertError("routes[0].match.host: \"a.*.com\"", () -> parse("[{\"pool\": \"api\", \"match\": {\"host\": \"a.*.com\"}}]"));
        assertError("routes[0].match.headers.X-A: 1 must be a value to match exactly, or true",
                () -> parse("[{\"pool\": \"api\", \"match\": {\"headers\": {\"X-A\": 1}}}]"));
        assertError("routes[0].stripPrefix: needs a match.pathPrefix", () -> parse("[{\"pool\": \"api\", \"stripPrefix\": true}]"));
        assertError("routes[0].redirect.code: 200", () -> parse("[{\"redirect\": {\"scheme\": \"https\", \"code\": 200}}]"));
        assertError("routes[0].redirect: a redirect answers at once",
                () -> parse("[{\"pool\": \"api\", \"redirect\": {\"scheme\": \"https\"}}]"));
        assertError("routes[0].requestHeaders.set.X-A: \"a\\nb\" must be a header value on one line",
                () -> parse("[{\"pool\": \"api\", \"requestHeaders\": {\"set\": {\"X-A\": \"a\\nb\"}}}]"));
        assertError("routes[0].match.hots: unknown field", () -> parse("[{\"pool\": \"api\", \"match\": {\"hots\": \"a\"}}]"));
        assertError("routes: missing; with no top-level servers, routes must say which pool serves what",
                () -> ConfigParser.parse("{" + POOLS + "}"));
    }

    @Test
    void theOldSinglePoolConfigHasNoRoutes() {
        FulcrumConfig config = ConfigParser.parse(ConfigParserTest.ORIGINAL);
        assertEquals(List.of(), config.routes());
        assertEquals(List.of("default"), List.copyOf(config.pools().keySet()));
    }

    @Test
    void aPoolNoRouteLeadsToIsAllowedWithAWarning() {
        FulcrumConfig config = parse("[{\"match\": {\"pathPrefix\": \"/api\"}, \"pools\": {\"api\": 100, \"canary\": 0}}]");
        assertEquals(List.of(
                "pools.canary: no request can reach it: no route names it (or only with weight 0); add a route, or remove the pool",
                "pools.static: no request can reach it: no route names it (or only with weight 0); add a route, or remove the pool"),
                config.warnings());
        assertEquals(List.of(), parse("""
                [{"match": {"path": "/c"}, "pool": "canary"}, {"match": {"path": "/s"}, "pool": "static"}, {"pool": "api"}]""")
                .warnings(), "every pool reached");
        FulcrumConfig unrouted = ConfigParser.parse("{\"servers\": [\"http://a:1\"], " + POOLS + "}");
        assertEquals(3, unrouted.warnings().size(), "without routes only \"default\" serves: " + unrouted.warnings());
    }

    @Test
    void aHeaderNamedTwiceInDifferentCasesIsRefusedByName() {
        assertError("routes[0].match.headers.x-canary: header names are case-insensitive, and this one is given twice",
                () -> parse("[{\"match\": {\"headers\": {\"X-Canary\": \"1\", \"x-canary\": \"2\"}}, \"pool\": \"api\"}]"));
    }

    @Test
    void theReadmesExampleIsValid() throws Exception {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        int section = readme.indexOf("## Pools and routes");
        int start = readme.indexOf("```json", section) + "```json".length();
        FulcrumConfig config = ConfigParser.parse(readme.substring(start, readme.indexOf("```", start)));
        assertEquals(List.of("api", "api-canary", "static"), List.copyOf(config.pools().keySet()));
        assertEquals(4, config.routes().size());
        assertEquals(List.of(), config.warnings());
    }
}
