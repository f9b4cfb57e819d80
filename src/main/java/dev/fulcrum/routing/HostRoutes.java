package dev.fulcrum.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The routes a request for one host (or one group of hosts) may take, in table order, filed by path.
 *
 * <p>Every prefix and exact path of these routes is a key. A request's path is looked up at its segment
 * boundaries, longest first ({@code /api/v1/x}, then {@code /api/v1}, {@code /api}, the root), and the first key
 * found is the deepest one the path lies under. That key's list was merged at compile time: the routes under
 * whose prefix the key lies, the routes with the key as exact path, and the routes with no path condition, in
 * table order. Every route whose prefix the path is under has its prefix among the keys the path passes, so it is
 * in the list of the deepest one: no route that could match is missed, and the first in the list that meets the
 * remaining conditions is the first in the table.
 */
final class HostRoutes<A> {

    private final Map<String, List<Candidate<A>>> byPathKey;
    /** Which key lengths exist, so a boundary with no key of its length costs no lookup and no substring. */
    private final boolean[] pathKeyLengths;
    private final List<Candidate<A>> withoutPathCondition;

    HostRoutes(List<Candidate<A>> candidates) {
        Map<String, List<Candidate<A>>> lists = new HashMap<>();
        for (Candidate<A> candidate : candidates) {
            String key = candidate.exactPath != null ? candidate.exactPath : candidate.prefixKey;
            if (key != null && !lists.containsKey(key)) {
                lists.put(key, candidatesFor(key, candidates));
            }
        }
        this.byPathKey = Map.copyOf(lists);
        this.pathKeyLengths = lengthsOf(byPathKey.keySet());
        this.withoutPathCondition = candidates.stream().filter(candidate -> !candidate.hasPathCondition()).toList();
    }

    /** The first of these routes the request meets, or null. */
    Route<A> first(RequestFacts request) {
        List<Candidate<A>> candidates = withoutPathCondition;
        String path = null;
        if (pathKeyLengths.length > 0) {
            path = request.path();
            if (path != null) {
                candidates = candidatesFor(path);
            }
        }
        for (int i = 0, size = candidates.size(); i < size; i++) {
            Candidate<A> candidate = candidates.get(i);
            if (candidate.admits(request, path)) {
                return candidate.route;
            }
        }
        return null;
    }

    private List<Candidate<A>> candidatesFor(String path) {
        for (int boundary = path.length(); boundary >= 0; boundary = path.lastIndexOf('/', boundary - 1)) {
            if (boundary < pathKeyLengths.length && pathKeyLengths[boundary]) {
                List<Candidate<A>> found = byPathKey.get(path.substring(0, boundary));
                if (found != null) {
                    return found;
                }
            }
        }
        return withoutPathCondition;
    }

    /** {@code lengths[n]} is true when some key is n characters long; as long as the longest key, plus one. */
    static boolean[] lengthsOf(Set<String> keys) {
        boolean[] lengths = new boolean[keys.stream().mapToInt(String::length).max().orElse(-1) + 1];
        keys.forEach(key -> lengths[key.length()] = true);
        return lengths;
    }

    /** The routes a path whose deepest key is {@code key} may take: see the class comment. */
    private static <A> List<Candidate<A>> candidatesFor(String key, List<Candidate<A>> candidates) {
        List<Candidate<A>> list = new ArrayList<>();
        for (Candidate<A> candidate : candidates) {
            if (candidate.exactPath != null ? candidate.exactPath.equals(key)
                    : candidate.prefixKey == null || Paths.isUnder(key, candidate.prefixKey)) {
                list.add(candidate);
            }
        }
        return List.copyOf(list);
    }
}
