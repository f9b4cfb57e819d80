package dev.fulcrum.routing;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which routes an earlier one leaves nothing to: with first match winning, a route is dead when some route before
 * it admits every request it admits. Decided on the conditions alone, so it finds only what is certain.
 */
final class Shadowing {

    private Shadowing() {
    }

    static Optional<String> unreachable(List<RouteMatch> routes) {
        for (int later = 1; later < routes.size(); later++) {
            for (int earlier = 0; earlier < later; earlier++) {
                RouteMatch first = routes.get(earlier);
                RouteMatch second = routes.get(later);
                if (covers(first, second)) {
                    String why = first.catchesAll() ? "catches every request"
                            : covers(second, first) ? "matches the same requests"
                            : "matches all of its requests";
                    return Optional.of("routes[" + later + "]: unreachable: routes[" + earlier + "] " + why
                            + " before it");
                }
            }
        }
        return Optional.empty();
    }

    /** Whether every request the later match admits, the earlier one admits too. */
    static boolean covers(RouteMatch earlier, RouteMatch later) {
        return Hosts.covers(earlier.host(), later.host())
                && pathCovers(earlier, later)
                && methodsCover(earlier, later)
                && headersCover(earlier.headers(), later.headers())
                && later.query().entrySet().containsAll(earlier.query().entrySet());
    }

    private static boolean pathCovers(RouteMatch earlier, RouteMatch later) {
        // With an exact path, that path is all the later route can match (or nothing, outside its own prefix).
        if (earlier.path() != null && !earlier.path().equals(later.path())) {
            return false;
        }
        if (earlier.pathPrefix() == null) {
            return true;
        }
        String prefixKey = Paths.prefixKey(earlier.pathPrefix());
        if (later.path() != null) {
            return Paths.isUnder(later.path(), prefixKey);
        }
        return later.pathPrefix() != null && Paths.isUnder(Paths.prefixKey(later.pathPrefix()), prefixKey);
    }

    private static boolean methodsCover(RouteMatch earlier, RouteMatch later) {
        return earlier.methods().isEmpty()
                || !later.methods().isEmpty() && earlier.methods().containsAll(later.methods());
    }

    private static boolean headersCover(Map<String, String> earlier, Map<String, String> later) {
        for (Map.Entry<String, String> condition : earlier.entrySet()) {
            String laterValue = later.get(condition.getKey());
            boolean anyValue = condition.getValue().equals(RouteMatch.PRESENT);
            if (laterValue == null || !anyValue && !condition.getValue().equals(laterValue)) {
                return false;
            }
        }
        return true;
    }
}
