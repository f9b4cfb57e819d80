package dev.fulcrum.routing;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The compiled table against the plainest reading of the rules: try every route in order. Random tables and
 * requests drawn from small pools of hosts and paths, so prefixes nest, wildcards overlap and routes collide.
 */
class IndexAgreesWithScanTest {

    private static final String[] ROUTE_HOSTS = {"a.example.com", "b.example.com", "example.com", "x.a.example.com",
            "*.example.com", "*.a.example.com", "other.org", "*.org"};
    private static final String[] REQUEST_HOSTS = {"a.example.com", "A.EXAMPLE.com:8080", "b.example.com",
            "example.com", "x.a.example.com", "y.a.example.com", "z.y.a.example.com", "c.example.com", "other.org",
            "org", "example.com.", null};
    private static final String[] PREFIXES = {"/", "/a", "/a/", "/a/b", "/ab", "/a/b/c", "/b", "/a//"};
    private static final String[] EXACT_PATHS = {"/", "/a", "/a/", "/a/b", "/ab"};
    private static final String[] REQUEST_PATHS = {"/", "/a", "/a/", "/a/b", "/a/b/", "/a/bc", "/ab", "/a/b/c/d",
            "/b/a", "/c", "/a//", "/a//x", "*", ""};
    private static final String[] METHODS = {"GET", "POST", "PUT"};

    @Test
    void theIndexTakesTheRouteAScanOfTheListWouldTake() {
        SplittableRandom random = new SplittableRandom(19);
        for (int round = 0; round < 1_000; round++) {
            List<RouteMatch> matches = new ArrayList<>();
            for (int i = random.nextInt(1, 12); i > 0; i--) {
                matches.add(randomMatch(random));
            }
            RouteTable<Integer> table = Matches.table(matches.toArray(RouteMatch[]::new));
            for (int r = 0; r < 40; r++) {
                FakeRequest request = randomRequest(random);
                Integer expected = firstMeeting(matches, request);
                Route<Integer> taken = table.match(request);
                assertEquals(expected, taken == null ? null : taken.action(), () -> request + " in " + matches);
            }
        }
    }

    private static Integer firstMeeting(List<RouteMatch> matches, FakeRequest request) {
        String host = request.host == null ? null : request.host.toLowerCase(Locale.ROOT).replaceFirst(":\\d+$", "")
                .replaceFirst("\\.$", "");
        for (int i = 0; i < matches.size(); i++) {
            if (meets(matches.get(i), host, request)) {
                return i;
            }
        }
        return null;
    }

    private static boolean meets(RouteMatch match, String host, FakeRequest request) {
        if (match.host() != null) {
            boolean meetsHost = match.host().startsWith("*.")
                    ? host != null && host.endsWith(match.host().substring(1)) && !host.equals(match.host().substring(2))
                    : match.host().equals(host);
            if (!meetsHost) {
                return false;
            }
        }
        if (match.pathPrefix() != null) {
            String prefix = match.pathPrefix();
            String withSlash = prefix.endsWith("/") ? prefix : prefix + "/";
            String withoutSlash = withSlash.substring(0, withSlash.length() - 1);
            if (!request.path.startsWith(withSlash) && !request.path.equals(withoutSlash)) {
                return false;
            }
        }
        if (match.path() != null && !match.path().equals(request.path)) {
            return false;
        }
        if (!match.methods().isEmpty() && !match.methods().contains(request.method)) {
            return false;
        }
        for (Map.Entry<String, String> header : match.headers().entrySet()) {
            String value = request.headers.get(header.getKey());
            if (value == null || !header.getValue().equals(RouteMatch.PRESENT) && !header.getValue().equals(value)) {
                return false;
            }
        }
        return match.query().entrySet().stream().allMatch(q -> q.getValue().equals(request.query.get(q.getKey())));
    }

    private static RouteMatch randomMatch(SplittableRandom random) {
        String host = random.nextInt(3) > 0 ? pick(random, ROUTE_HOSTS) : null;
        String prefix = random.nextInt(3) > 0 ? pick(random, PREFIXES) : null;
        String path = random.nextInt(6) == 0 ? pick(random, EXACT_PATHS) : null;
        Set<String> methods = random.nextInt(5) == 0 ? Set.of(pick(random, METHODS)) : Set.of();
        Map<String, String> headers = new HashMap<>();
        if (random.nextInt(5) == 0) {
            headers.put("X-Canary", random.nextBoolean() ? "1" : RouteMatch.PRESENT);
        }
        Map<String, String> query = random.nextInt(6) == 0 ? Map.of("v", "2") : Map.of();
        return new RouteMatch(host, prefix, path, methods, headers, query);
    }

    private static FakeRequest randomRequest(SplittableRandom random) {
        FakeRequest request = new FakeRequest(pick(random, REQUEST_HOSTS), pick(random, METHODS),
                pick(random, REQUEST_PATHS));
        if (random.nextBoolean()) {
            request.headers("x-canary=" + pick(random, new String[] {"1", "2", ""}));
        }
        if (random.nextBoolean()) {
            request.query("v=" + pick(random, new String[] {"1", "2"}));
        }
        return request;
    }

    private static String pick(SplittableRandom random, String[] values) {
        return values[random.nextInt(values.length)];
    }
}
