package dev.fulcrum.routing;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An ordered route table, compiled once per config and then only read: the first route whose match the request
 * meets, in list order, wins.
 *
 * <p>Matching does not walk the list. Compiling files every route under each host it can admit:
 * <ul>
 *   <li>each exact host named by some route has its own list: the routes naming it, the wildcard routes admitting
 *       it and the host-less routes;
 *   <li>each wildcard suffix ({@code .example.com}) has the wildcard routes whose suffix it ends with, and the
 *       host-less routes: a host no route names exactly takes the list of the longest suffix it ends with, as every
 *       shorter suffix it ends with is a suffix of that one;
 *   <li>any other host takes the host-less routes.
 * </ul>
 * Each list is a filtered copy of the table, so it keeps the table's order, and the same holds for the path lists
 * inside it ({@link HostRoutes}). First-match order is kept because the lists are merged by route position when
 * the table is compiled, never while a request waits. A request costs one host lookup (one more for each wildcard
 * suffix length it could end with), one pass over the start of its path, and a check of method, headers and query
 * on the few routes left, in table order; the lookups read the host and path where they lie ({@link KeyTable}), so
 * nothing is allocated and no regular expression runs. The price is memory: a route sits in every list it can take
 * part in, so host-less and wildcard routes are copied into every host's list, which for hundreds of routes is some
 * thousands of references.
 */
public final class RouteTable<A> {

    private final KeyTable<HostRoutes<A>> byExactHost;
    private final KeyTable<HostRoutes<A>> byWildcardSuffix;
    private final HostRoutes<A> forAnyOtherHost;
    /** False when no route names a host: the request is then never asked for one. */
    private final boolean namesHosts;

    private RouteTable(Map<String, HostRoutes<A>> byExactHost, Map<String, HostRoutes<A>> byWildcardSuffix,
                       HostRoutes<A> forAnyOtherHost) {
        this.byExactHost = KeyTable.ofHosts(byExactHost);
        this.byWildcardSuffix = KeyTable.ofHosts(byWildcardSuffix);
        this.forAnyOtherHost = forAnyOtherHost;
        this.namesHosts = !byExactHost.isEmpty() || !byWildcardSuffix.isEmpty();
    }

    /**
     * The table for these routes, first match winning in list order. Their values are expected valid
     * ({@link RouteMatch#invalidHost} and friends); a malformed host or path is refused here as a programming error.
     */
    public static <A> RouteTable<A> compile(List<Route<A>> routes) {
        routes.forEach(RouteTable::requireWellFormed);
        List<Candidate<A>> candidates = routes.stream().map(Candidate::new).filter(Candidate::canMatch).toList();
        Set<String> exactHosts = new LinkedHashSet<>();
        Set<String> wildcardSuffixes = new LinkedHashSet<>();
        for (Candidate<A> candidate : candidates) {
            String host = candidate.route.match().host();
            if (host != null && Hosts.isWildcard(host)) {
                wildcardSuffixes.add(Hosts.wildcardSuffix(host));
            } else if (host != null) {
                exactHosts.add(host);
            }
        }
        Map<String, HostRoutes<A>> byExactHost = new HashMap<>();
        for (String host : exactHosts) {
            byExactHost.put(host, new HostRoutes<>(admitting(host, candidates)));
        }
        Map<String, HostRoutes<A>> byWildcardSuffix = new HashMap<>();
        for (String suffix : wildcardSuffixes) {
            // A stand-in for every host that ends with this suffix and is named by no route: "*" is no host name.
            byWildcardSuffix.put(suffix, new HostRoutes<>(admitting("*" + suffix, candidates)));
        }
        return new RouteTable<>(byExactHost, byWildcardSuffix, new HostRoutes<>(admitting(null, candidates)));
    }

    /** The first route the request meets, or null when it meets none. */
    public Route<A> match(RequestFacts request) {
        return routesFor(request).first(request);
    }

    /**
     * Why a route can never be taken, naming it and the earlier one that takes all its requests: after a catch-all,
     * after a route with the same match, or after one whose conditions its own imply. Empty when every route can be.
     */
    public static Optional<String> unreachable(List<RouteMatch> routes) {
        return Shadowing.unreachable(routes);
    }

    private HostRoutes<A> routesFor(RequestFacts request) {
        if (!namesHosts) {
            return forAnyOtherHost;
        }
        String host = request.host();
        int end = host == null ? 0 : Hosts.bareLength(host);
        if (end == 0) {
            return forAnyOtherHost;
        }
        HostRoutes<A> exact = byExactHost.get(host, 0, end, byExactHost.hash(host, 0, end));
        if (exact != null) {
            return exact;
        }
        // Longest suffix first; a dot at 0 would leave the wildcard's label empty.
        for (int dot = host.indexOf('.', 1); dot > 0 && dot < end; dot = host.indexOf('.', dot + 1)) {
            if (byWildcardSuffix.hasKeyOfLength(end - dot)) {
                HostRoutes<A> wildcard = byWildcardSuffix.get(host, dot, end, byWildcardSuffix.hash(host, dot, end));
                if (wildcard != null) {
                    return wildcard;
                }
            }
        }
        return forAnyOtherHost;
    }

    /**
     * The candidates a request for this host may take, in table order. {@code "*.example.com"} stands for a host
     * under that suffix that no route names exactly; null for a host no route names at all.
     */
    private static <A> List<Candidate<A>> admitting(String host, List<Candidate<A>> candidates) {
        return candidates.stream().filter(candidate -> {
            String routeHost = candidate.route.match().host();
            if (routeHost == null || host == null) {
                return routeHost == null;
            }
            return Hosts.isWildcard(host) ? Hosts.covers(routeHost, host) : Hosts.admits(routeHost, host);
        }).toList();
    }

    private static void requireWellFormed(Route<?> route) {
        RouteMatch match = route.match();
        Optional<String> invalid = RouteMatch.invalidHost(match.host())
                .or(() -> RouteMatch.invalidPathPrefix(match.pathPrefix()))
                .or(() -> RouteMatch.invalidPath(match.path()));
        invalid.ifPresent(message -> {
            throw new IllegalArgumentException("routes[" + route.index() + "]: " + message);
        });
    }
}
