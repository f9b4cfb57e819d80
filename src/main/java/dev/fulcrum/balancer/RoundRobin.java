package dev.fulcrum.balancer;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Smooth weighted round robin, as NGINX does it: each pick adds every candidate's weight to its running
 * score, takes the highest, and charges it the total. Weights 5, 1, 1 give a a b a c a a, never a burst of
 * five in a row. Equal weights reduce to plain turns, in constant time; unequal ones cost a pass over plain
 * arrays. Ignores load: for backends that differ only in capacity.
 * <p>
 * While a candidate ramps up under slow start, the weights are taken afresh at every pick, so its share
 * follows the ramp request by request; once no candidate ramps, they are fixed again until the view changes.
 */
public final class RoundRobin implements LoadBalancer {

    /** Weights are counted in thousandths, so that a ramping share is not rounded to a whole weight. */
    private static final long SCALE = 1000;

    private final SlowStart slowStart;
    private List<Backend> scored = List.of();
    private long[] weights = new long[0];
    private long[] scores = new long[0];
    private long totalWeight;
    private boolean equalWeights;
    private boolean ramping;
    private int cursor;

    public RoundRobin() {
        this(SlowStart.OFF);
    }

    public RoundRobin(SlowStart slowStart) {
        this.slowStart = slowStart;
    }

    @Override
    public Backend pick(List<Backend> candidates, RequestView request) {
        int size = candidates.size();
        if (size == 0) {
            return null;
        }
        if (candidates != scored) {
            rescore(candidates);
        } else if (ramping) {
            reweigh();
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
        weights = new long[size];
        scores = new long[size];
        for (int i = 0; i < size; i++) {
            scores[i] = previous.getOrDefault(candidates.get(i), 0L);
        }
        scored = candidates;
        reweigh();
    }

    private void reweigh() {
        long now = slowStart.now();
        totalWeight = 0;
        ramping = false;
        for (int i = 0; i < weights.length; i++) {
            Backend backend = scored.get(i);
            double weight = slowStart.weight(backend, now);
            ramping |= weight < backend.weight();
            weights[i] = Math.max(1, Math.round(weight * SCALE));
            totalWeight += weights[i];
        }
        equalWeights = true;
        for (long weight : weights) {
            equalWeights &= weight == weights[0];
        }
    }
}
