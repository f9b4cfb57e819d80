package dev.fulcrum.routing;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The cost of finding a request's route, by table size. Tables are laid out as configs are: routes grouped by
 * host with several prefixes each (a canary header on one, methods on another, an exact health path), a wildcard
 * host, a few host-less prefixes, a catch-all last. Requests go to every host and prefix, to paths no prefix
 * takes and to hosts no route names. Each request's host and path are fresh strings decoded from bytes, as a
 * server's are, so nothing about them is cached; {@link #buildRequestOnly} measures that part alone.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RouteMatchBenchmark {

    private static final String[] PREFIXES = {"/api/v2", "/api", "/static/", "/assets/img", "/admin", "/login",
            "/account", "/search", "/docs"};
    private static final String[] HOSTLESS_PREFIXES = {"/metrics", "/.well-known", "/favicon.ico", "/ws"};

    @Param({"1", "10", "100"})
    int routes;

    private RouteTable<Integer> table;
    private Request[] requests;
    private byte[][] hostBytes;
    private byte[][] pathBytes;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        List<String> hosts = new ArrayList<>();
        List<Route<Integer>> list = routes(routes, hosts);
        RouteTable.unreachable(list.stream().map(Route::match).toList()).ifPresent(message -> {
            throw new IllegalStateException(message);
        });
        if (list.size() != routes) {
            throw new IllegalStateException(list.size() + " routes built, not " + routes);
        }
        table = RouteTable.compile(list);
        SplittableRandom random = new SplittableRandom(5);
        String[] paths = {"/api/v2/users/42", "/api/orders", "/api", "/static/app.js", "/assets/img/logo.png",
                "/admin/", "/login", "/account/settings", "/search", "/docs/guide/routing", "/apix", "/other/page",
                "/", "/metrics", "/health", "/ws"};
        requests = new Request[1024];
        hostBytes = new byte[requests.length][];
        pathBytes = new byte[requests.length][];
        for (int i = 0; i < requests.length; i++) {
            int pick = random.nextInt(10);
            String host = pick < 7 && !hosts.isEmpty() ? hosts.get(random.nextInt(hosts.size()))
                    : pick < 9 ? "img" + i % 7 + ".cdn.example.com" : "unknown" + i % 3 + ".example.org";
            String header = random.nextInt(20) == 0 ? "1" : null;
            requests[i] = new Request(random.nextInt(8) == 0 ? host + ":8443" : host,
                    paths[random.nextInt(paths.length)], random.nextInt(5) == 0 ? "POST" : "GET", header);
            hostBytes[i] = requests[i].host.getBytes(StandardCharsets.ISO_8859_1);
            pathBytes[i] = requests[i].path.getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    @Benchmark
    public Route<Integer> match() {
        return table.match(nextRequest());
    }

    @Benchmark
    public Request buildRequestOnly() {
        return nextRequest();
    }

    private Request nextRequest() {
        int i = next++ & (requests.length - 1);
        Request template = requests[i];
        // From bytes, as a server decodes them: new String(String) would carry the template's cached hash along.
        return new Request(new String(hostBytes[i], StandardCharsets.ISO_8859_1),
                new String(pathBytes[i], StandardCharsets.ISO_8859_1), template.method, template.canary);
    }

    /** {@code size} routes as a config would list them; the hosts they name go to {@code hosts}. */
    static List<Route<Integer>> routes(int size, List<String> hosts) {
        List<RouteMatch> matches = new ArrayList<>();
        int beforeCatchAll = size - 1;
        int wildcardRoutes = beforeCatchAll / 20;
        int hostlessRoutes = beforeCatchAll / 20;
        int hostRoutes = beforeCatchAll - wildcardRoutes - hostlessRoutes;
        int perHost = Math.min(PREFIXES.length, Math.max(3, hostRoutes / 10));
        for (int host = 0; matches.size() < hostRoutes; host++) {
            String name = "service" + host + ".example.com";
            hosts.add(name);
            for (int p = 0; p < perHost && matches.size() < hostRoutes; p++) {
                matches.add(switch (p) {
                    case 0 -> new RouteMatch(name, PREFIXES[p], null, null, Map.of("X-Canary", "1"), null);
                    case 4 -> new RouteMatch(name, PREFIXES[p], null, Set.of("GET", "HEAD"), null, null);
                    case 5 -> new RouteMatch(name, null, "/health", null, null, null);
                    default -> new RouteMatch(name, PREFIXES[p], null, null, null, null);
                });
            }
        }
        for (int w = 0; w < wildcardRoutes; w++) {
            matches.add(new RouteMatch("*.cdn.example.com", PREFIXES[w % PREFIXES.length], null, null, null, null));
        }
        for (int h = 0; h < hostlessRoutes; h++) {
            matches.add(new RouteMatch(null, HOSTLESS_PREFIXES[h % HOSTLESS_PREFIXES.length], null, null, null, null));
        }
        matches.add(new RouteMatch(null, null, null, null, null, null));
        List<Route<Integer>> routes = new ArrayList<>();
        for (int i = 0; i < matches.size(); i++) {
            routes.add(new Route<>(i, matches.get(i), i));
        }
        return routes;
    }

    public record Request(String host, String path, String method, String canary) implements RequestFacts {

        @Override
        public String header(String lowerCaseName) {
            return lowerCaseName.equals("x-canary") ? canary : null;
        }

        @Override
        public String queryParam(String name) {
            return null;
        }
    }
}
