package dev.fulcrum.routing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.fulcrum.routing.Matches.EVERY_REQUEST;
import static dev.fulcrum.routing.Matches.exactPath;
import static dev.fulcrum.routing.Matches.header;
import static dev.fulcrum.routing.Matches.host;
import static dev.fulcrum.routing.Matches.hostAndPrefix;
import static dev.fulcrum.routing.Matches.prefix;
import static dev.fulcrum.routing.Matches.table;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouteTableTest {

    /** Host routes, wildcard routes and host-less ones interleaved, so first-match order crosses the groups. */
    private static final RouteTable<Integer> TABLE = table(
            /* 0 */ exactPath("/robots.txt"),
            /* 1 */ new RouteMatch("api.example.com", "/api/v2", null, null, Map.of("X-Canary", "1"), null),
            /* 2 */ hostAndPrefix("API.Example.com", "/api"),
            /* 3 */ hostAndPrefix("*.example.com", "/static/"),
            /* 4 */ new RouteMatch("api.example.com", null, "/health", Set.of("GET", "HEAD"), null, null),
            /* 5 */ new RouteMatch(null, "/admin", null, null, Map.of("x-debug", RouteMatch.PRESENT), null),
            /* 6 */ new RouteMatch("*.b.example.com", null, "/deep", null, null, null),
            /* 7 */ host("*.example.com"),
            /* 8 */ hostAndPrefix("example.com", "/"),
            /* 9 */ new RouteMatch(null, "/search", null, null, null, Map.of("version", "2")),
            /* 10 */ new RouteMatch(null, "/upload", null, Set.of("POST", "PUT"), null, null),
            /* 11 */ new RouteMatch(null, "/all", null, Set.of("PUT"), Map.of("X-A", "1"), Map.of("q", "1")),
            /* 12 */ EVERY_REQUEST);

    @ParameterizedTest(name = "{1} {0}{2} headers {3} query {4} takes routes[{5}]")
    @CsvSource(delimiter = '|', textBlock = """
            # host               | method | path            | headers         | query      | route
            api.example.com      | GET    | /api/v2/users   | X-Canary=1      |            | 1
            api.example.com      | GET    | /api/v2/users   | x-canary=1      |            | 1
            api.example.com      | GET    | /api/v2/users   |                 |            | 2
            api.example.com      | GET    | /api/v2         | X-Canary=2      |            | 2
            api.example.com      | GET    | /api/v20        | X-Canary=1      |            | 2
            api.example.com      | GET    | /api            |                 |            | 2
            api.example.com      | GET    | /api/           |                 |            | 2
            api.example.com      | GET    | /api/x          |                 |            | 2
            api.example.com      | GET    | /apix           |                 |            | 7
            API.Example.COM      | GET    | /api/x          |                 |            | 2
            api.example.com:8443 | GET    | /api            |                 |            | 2
            api.example.com.     | GET    | /api            |                 |            | 2
            api.example.com      | GET    | /static         |                 |            | 3
            api.example.com      | GET    | /static/        |                 |            | 3
            api.example.com      | GET    | /static/app.js  |                 |            | 3
            api.example.com      | GET    | /staticx        |                 |            | 7
            api.example.com      | GET    | /health         |                 |            | 4
            api.example.com      | HEAD   | /health         |                 |            | 4
            api.example.com      | POST   | /health         |                 |            | 7
            api.example.com      | get    | /health         |                 |            | 7
            api.example.com      | GET    | /health/        |                 |            | 7
            api.example.com      | GET    | /robots.txt     |                 |            | 0
            example.com          | GET    | /robots.txt     |                 |            | 0
            www.example.com      | GET    | /admin          | X-Debug=yes     |            | 5
            www.example.com      | GET    | /admin/users    | X-DEBUG=        |            | 5
            www.example.com      | GET    | /admin          |                 |            | 7
            other.org            | GET    | /administrator  | X-Debug=1       |            | 12
            a.b.example.com      | GET    | /deep           |                 |            | 6
            x.a.b.example.com    | GET    | /deep           |                 |            | 6
            b.example.com        | GET    | /deep           |                 |            | 7
            a.b.example.com      | GET    | /other          |                 |            | 7
            a.b.example.com:80   | GET    | /static/x       |                 |            | 3
            example.com          | GET    | /anything       |                 |            | 8
            EXAMPLE.com:8080     | GET    | /               |                 |            | 8
            notexample.com       | GET    | /               |                 |            | 12
            example.com.evil     | GET    | /               |                 |            | 12
            other.org            | GET    | /search         |                 | version=2  | 9
            other.org            | GET    | /search/x       |                 | version=2  | 9
            other.org            | GET    | /search         |                 | version=3  | 12
            other.org            | GET    | /search         |                 |            | 12
            other.org            | POST   | /upload/big     |                 |            | 10
            other.org            | PUT    | /upload         |                 |            | 10
            other.org            | GET    | /upload         |                 |            | 12
            other.org            | PUT    | /all            | X-A=1           | q=1        | 11
            other.org            | PUT    | /all/x          | x-a=1;x-b=2     | q=1;r=2    | 11
            other.org            | POST   | /all            | X-A=1           | q=1        | 12
            other.org            | PUT    | /all            |                 | q=1        | 12
            other.org            | PUT    | /all            | X-A=1           |            | 12
            other.org            | PUT    | /all            | X-A=2           | q=1        | 12
            other.org            | PUT    | /alls           | X-A=1           | q=1        | 12
            ''                   | GET    | /robots.txt     |                 |            | 0
                                 | GET    | /api            |                 |            | 12
            [2001:db8::1]:8080   | GET    | /               |                 |            | 12
            """)
    void takesTheFirstRouteItMeets(String host, String method, String path, String headers, String query, int route) {
        FakeRequest request = new FakeRequest(host, method, path).headers(headers).query(query);
        assertEquals(route, TABLE.match(request).action(), request::toString);
    }

    @Test
    void aRequestNoRouteMatchesGetsNull() {
        RouteTable<Integer> table = table(hostAndPrefix("api.example.com", "/api"), header("X-Canary", "1"));
        assertNull(table.match(new FakeRequest("www.example.com", "GET", "/api")));
        assertNull(table.match(new FakeRequest("api.example.com", "GET", "/apix")));
        assertNull(RouteTable.compile(List.<Route<Integer>>of()).match(new FakeRequest("a", "GET", "/")));
    }

    @Test
    void theRouteReturnedIsTheOneGiven() {
        Route<String> api = new Route<>(7, hostAndPrefix("api.example.com", "/api"), "api pool");
        Route<String> rest = new Route<>(8, EVERY_REQUEST, "default pool");
        RouteTable<String> table = RouteTable.compile(List.of(api, rest));
        assertEquals(api, table.match(new FakeRequest("api.example.com", "GET", "/api/x")));
        assertEquals(rest, table.match(new FakeRequest("api.example.com", "GET", "/")));
    }

    @Test
    void aPrefixOfSlashMatchesEveryPathButNotAsteriskForm() {
        RouteTable<Integer> table = table(prefix("/"), EVERY_REQUEST);
        assertEquals(0, table.match(new FakeRequest("a", "GET", "/")).action());
        assertEquals(0, table.match(new FakeRequest("a", "GET", "/x/y")).action());
        assertEquals(1, table.match(new FakeRequest("a", "OPTIONS", "*")).action());
    }

    @Test
    void anExactPathOutsideItsOwnPrefixMatchesNothing() {
        RouteTable<Integer> table = table(new RouteMatch(null, "/api", "/health", null, null, null),
                new RouteMatch(null, "/api", "/api/health", null, null, null), EVERY_REQUEST);
        assertEquals(2, table.match(new FakeRequest("a", "GET", "/health")).action());
        assertEquals(1, table.match(new FakeRequest("a", "GET", "/api/health")).action());
    }

    @Test
    void keysWithTheSameHashStayApart() {
        assertEquals("/Aa".hashCode(), "/BB".hashCode());
        RouteTable<Integer> table = table(prefix("/Aa"), prefix("/BB"), EVERY_REQUEST);
        assertEquals(0, table.match(new FakeRequest("a", "GET", "/Aa/x")).action());
        assertEquals(1, table.match(new FakeRequest("a", "GET", "/BB")).action());
        assertEquals(2, table.match(new FakeRequest("a", "GET", "/Ab")).action());
    }

    @Test
    void asksOnlyForWhatSomeCandidateRouteNeeds() {
        FakeRequest request = new FakeRequest("api.example.com", "GET", "/x").headers("X-Canary=1").query("v=1");
        table(EVERY_REQUEST).match(request);
        assertEquals(List.of(), request.asked, "a lone catch-all needs nothing");

        request.asked.clear();
        table(prefix("/api"), header("X-Canary", "1"), EVERY_REQUEST).match(request);
        assertEquals(List.of("path", "header x-canary"), request.asked, "no host route: the host is not read");

        request.asked.clear();
        table(new RouteMatch("api.example.com", "/api", null, null, Map.of("X-Canary", "1"), null),
                new RouteMatch("www.example.com", null, null, null, null, Map.of("v", "1")),
                EVERY_REQUEST).match(request);
        assertEquals(List.of("host", "path"), request.asked, "the only header route is on another path");
    }

    @Test
    void compilingRefusesAMalformedValueNamingTheRoute() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> table(EVERY_REQUEST, host("a.*.example.com")));
        assertTrue(refused.getMessage().startsWith("routes[1]: \"a.*.example.com\" has a wildcard"), refused::getMessage);
    }
}
