package dev.fulcrum.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The routes a request for one host (or one group of hosts) may take, in table order, filed by path.
 *
 * <p>Every prefix and exact path of these routes is a key. A request's path is looked up at each of its segment
 * boundaries (the root, {@code /api}, {@code /api/v1}, {@code /api/v1/x}), and the last key found is the deepest
 * one the path lies under. That key's list was merged at compile time: the routes under whose prefix the key lies,
 * the routes with the key as exact path, and the routes with no path condition, in table order. Every route whose
 * prefix the path is under has its prefix among the keys the path passes, so it is in the list of the deepest one:
 * no route that could match is missed, and the first in the list that meets the remaining conditions is the first
 * in the table. A path under no key takes the routes with no path condition.
 */
final class HostRoutes<A> {

    private final KeyTable<List<Candidate<A>>> byPathKey;
    private final List<Candidate<A>> withoutPathCondition;

    HostRoutes(List<Candidate<A>> candidates) {
        Map<String, List<Candidate<A>>> lists = new HashMap<>();
        for (Candidate<A> candidate : candidates) {
            String key = candidate.exactPath != null ? candidate.exactPath : candidate.prefixKey;
            if (key != null && !lists.containsKey(key)) {
                lists.put(key, candidatesFor(key, candidates));
            }
        }
        this.byPathKey = KeyTable.ofPaths(lists);
        this.withoutPathCondition = candidates.stream().filter(candidate -> !candidate.hasPathCondition()).toList();
    }

    /** The first of these routes the request meets, or null. */
    Route<A> first(RequestFacts request) {
        List<Candidate<A>> candidates = withoutPathCondition;
        String path = null;
        if (byPathKey.lengthBound() > 0) {
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

    /** The list of the deepest key the path lies under; one pass, no further than the longest key. */
    private List<Candidate<A>> candidatesFor(String path) {
        List<Candidate<A>> deepest = withoutPathCondition;
        int end = Math.min(path.length(), byPathKey.lengthBound() - 1);
        int hash = 0; // of path[0, boundary), as String.hashCode and so KeyTable.hash compute it
        for (int boundary = 0; boundary <= end; boundary++) {
            if (byPathKey.hasKeyOfLength(boundary) && (boundary == path.length() || path.charAt(boundary) == '/')) {
                List<Candidate<A>> found = byPathKey.get(path, 0, boundary, hash);
                if (found != null) {
                    deepest = found;
                }
            }
            if (boundary < path.length()) {
                hash = 31 * hash + path.charAt(boundary);
            }
        }
        return deepest;
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
