package dev.fulcrum.balancer;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Smooth weighted round robin, as NGINX does it: each pick adds every candidate's weight to its running
 * score, takes the highest, and charges it the total. Weights 5, 1, 1 give a a b a c a a, never a burst of
 * five in a row. Ignores load; for backends that differ only in capacity.
 */
public final class RoundRobin implements LoadBalancer {

    private final Map<Backend, Long> scores = new IdentityHashMap<>();
    private List<Backend> scored = List.of();

    @Override
    public Backend pick(List<Backend> candidates) {
        if (candidates.isEmpty()) {
            return null;
        }
        if (candidates != scored) {
            // A new view (health or config changed): scores of backends no longer listed are dropped.
            Set<Backend> listed = Collections.newSetFromMap(new IdentityHashMap<>());
            listed.addAll(candidates);
            scores.keySet().retainAll(listed);
            scored = candidates;
        }
        Backend best = null;
        long bestScore = Long.MIN_VALUE;
        long total = 0;
        for (Backend candidate : candidates) {
            int weight = candidate.weight();
            total += weight;
            long score = scores.merge(candidate, (long) weight, Long::sum);
            if (score > bestScore) {
                best = candidate;
                bestScore = score;
            }
        }
        scores.put(best, bestScore - total);
        return best;
    }
}
