package dev.fulcrum.balancer;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Smooth weighted round robin, as NGINX does it: each pick adds every candidate's weight to its running
 * score, takes the highest, and charges it the total. Weights 5, 1, 1 give a a b a c a a, never a burst of
 * five in a row. Equal weights reduce to plain turns, in constant time; unequal ones cost a pass over plain
 * arrays. Ignores load: for backends that differ only in capacity.
 */
public final class RoundRobin implements LoadBalancer {

    private List<Backend> scored = List.of();
    private int[] weights = new int[0];
    private long[] scores = new long[0];
    private long totalWeight;
    private boolean equalWeights;
    private int cursor;

    @Override
    public Backend pick(List<Backend> candidates, RequestView request) {
        int size = candidates.size();
        if (size == 0) {
            return null;
        }
        if (candidates != scored) {
            rescore(candidates);
        }
        if (equalWeights) {
            int at = cursor;
            cursor = at + 1 >= size ? 0 : at + 1;
            return candidates.get(at >= size ? 0 : at);
        }
        int best = 0;
        for (int i = 0; i < size; i++) {
            scores[i] += weights[i];
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        scores[best] -= totalWeight;
        return candidates.get(best);
    }

    /** A new view (health or config changed): backends still listed keep their running scores. */
    private void rescore(List<Backend> candidates) {
        Map<Backend, Long> previous = new IdentityHashMap<>();
        for (int i = 0; i < scored.size(); i++) {
            previous.put(scored.get(i), scores[i]);
        }
        int size = candidates.size();
        weights = new int[size];
        scores = new long[size];
        totalWeight = 0;
        for (int i = 0; i < size; i++) {
            Backend backend = candidates.get(i);
            weights[i] = backend.weight();
            scores[i] = previous.getOrDefault(backend, 0L);
            totalWeight += weights[i];
        }
        int first = weights[0];
        equalWeights = Arrays.stream(weights).allMatch(weight -> weight == first);
        scored = candidates;
    }
}
