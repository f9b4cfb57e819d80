package dev.fulcrum.routing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.fulcrum.routing.Matches.EVERY_REQUEST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouteMatchTest {

    @Test
    void onlyAMatchWithNoConditionCatchesAll() {
        assertTrue(EVERY_REQUEST.catchesAll());
        assertTrue(new RouteMatch("", "", "", Set.of(), Map.of(), Map.of()).catchesAll(), "empty is no condition");
        assertFalse(Matches.prefix("/").catchesAll(), "/ leaves out OPTIONS *");
        assertFalse(Matches.methods("GET").catchesAll());
        assertFalse(Matches.query("v", "2").catchesAll());
    }

    @Test
    void hostAndHeaderNamesAreKeptInLowerCaseSoEqualMeaningIsEqual() {
        RouteMatch upper = new RouteMatch("API.Example.COM", null, null, null, Map.of("X-Canary", "1"), null);
        RouteMatch lower = new RouteMatch("api.example.com", null, null, null, Map.of("x-canary", "1"), null);
        assertEquals(lower, upper);
        assertEquals("api.example.com", upper.host());
        assertEquals(Map.of("x-canary", "1"), upper.headers());
    }

    @Test
    void aHeaderNamedTwiceInDifferentCasesIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> new RouteMatch(null, null, null, null, Map.of("X-Canary", "1", "x-canary", "2"), null));
        assertTrue(refused.getMessage().contains("given twice"), refused::getMessage);
    }

    @Test
    void printsAsTheConfigSpellsIt() {
        RouteMatch match = new RouteMatch("*.example.com", "/api", null, Set.of("POST", "GET"),
                Map.of("X-Debug", RouteMatch.PRESENT, "X-Canary", "\"1\""), Map.of("version", "2"));
        assertEquals("{\"host\": \"*.example.com\", \"pathPrefix\": \"/api\", \"methods\": [\"GET\", \"POST\"],"
                + " \"headers\": {\"x-canary\": \"\\\"1\\\"\", \"x-debug\": true}, \"query\": {\"version\": \"2\"}}",
                match.toString());
        assertEquals("{}", EVERY_REQUEST.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"api.example.com", "API.example.com", "*.example.com", "*.com", "localhost", "10.0.0.1",
            "my_service.internal", "xn--bcher-kva.example", "[2001:db8::1]", "[::ffff:10.0.0.1]"})
    void acceptsHostNamesAndOneLeadingWildcardLabel(String host) {
        assertEquals(Optional.empty(), RouteMatch.invalidHost(host));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            a.*.example.com   | "a.*.example.com" has a wildcard that is not the whole first label
            *a.example.com    | "*a.example.com" has a wildcard that is not the whole first label
            **.example.com    | "**.example.com" has a wildcard that is not the whole first label
            *.*.example.com   | "*.*.example.com" has a wildcard that is not the whole first label
            example.*         | "example.*" has a wildcard that is not the whole first label
            a..example.com    | "a..example.com" has an empty label
            .example.com      | ".example.com" has an empty label
            example.com.      | "example.com." has an empty label
            *.                | "*." has an empty label
            example.com:8080  | "example.com:8080" has a port, which routes ignore
            exa mple.com      | "exa mple.com" has ' ', not a letter, digit, '-' or '_'
            example.com/api   | "example.com/api" has '/', not a letter, digit, '-' or '_'
            [example.com]     | "[example.com]" is not a bracketed IPv6 address ([2001:db8::1])
            *                 | "*" would match every host: leave host out for that
            ``                | "" is empty; leave host out to match every host, or
            """)
    void refusesAMalformedHostSayingWhatIsAccepted(String host, String problem) {
        String message = RouteMatch.invalidHost(host).orElseThrow();
        assertTrue(message.startsWith(problem), message);
        assertTrue(message.endsWith("accepted: a host name (api.example.com) or one wildcard first label"
                + " (*.example.com), without a port"), message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/api", "/api/", "/api/v2", "/%7Euser", "/a;b", "/a//"})
    void acceptsPathsStartingWithASlash(String path) {
        assertEquals(Optional.empty(), RouteMatch.invalidPathPrefix(path));
        assertEquals(Optional.empty(), RouteMatch.invalidPath(path));
    }

    @Test
    void noValueIsNoCondition() {
        assertEquals(Optional.empty(), RouteMatch.invalidHost(null));
        assertEquals(Optional.empty(), RouteMatch.invalidPathPrefix(null));
        assertEquals(Optional.empty(), RouteMatch.invalidPath(null));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            api         | "api" does not start with '/'; accepted: a path prefix such as /api or /api/
            ``          | "" does not start with '/'; accepted: a path prefix such as /api or /api/
            /api?v=2    | "/api?v=2" has a '?', which ends the path (match a parameter with query); accepted: a path prefix such as /api or /api/
            /api#top    | "/api#top" has a '#', which ends the path (match a parameter with query); accepted: a path prefix such as /api or /api/
            /my api     | "/my api" has a space or control character; accepted: a path prefix such as /api or /api/, percent-encoded as requests send it
            /api/*      | "/api/*" has a '*'; accepted: a plain prefix such as /api, which matches /api/x already
            """)
    void refusesAMalformedPathPrefixSayingWhatIsAccepted(String prefix, String message) {
        assertEquals(Optional.of(message), RouteMatch.invalidPathPrefix(prefix));
    }

    @Test
    void refusesAMalformedExactPathSayingWhatIsAccepted() {
        assertEquals(Optional.of("\"health\" does not start with '/'; accepted: an exact path such as /health"),
                RouteMatch.invalidPath("health"));
        assertEquals(Optional.empty(), RouteMatch.invalidPath("/files/*"), "an exact path may hold a '*'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "POST", "PROPFIND", "M-SEARCH"})
    void acceptsUpperCaseMethodNames(String method) {
        assertEquals(Optional.empty(), RouteMatch.invalidMethod(method));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            get    | "get" is not upper case, and methods are case-sensitive; accepted: a method name in upper case, such as GET or POST
            G ET   | "G ET" has ' ', which no method has; accepted: a method name in upper case, such as GET or POST
            ``     | an empty method; accepted: a method name in upper case, such as GET or POST
            """)
    void refusesAMethodNoRequestCouldCarry(String method, String message) {
        assertEquals(Optional.of(message), RouteMatch.invalidMethod(method));
    }
}
