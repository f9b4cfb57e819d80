package dev.fulcrum.balancer;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The backend with the fewest requests in flight for its weight. Small pools are scanned exactly, and a tie among the
 * least busy goes to one of them at random, so that equal backends share the load instead of the first one getting it
 * all. (Taking ties in turn was biased: with picks that overlap, the tied set changes from pick to pick, and a shared
 * turn counter fell into a 1:2:3 split.) Large pools use the power of two choices (as Envoy's LEAST_REQUEST and
 * HAProxy's {@code random(2)} do): two random distinct candidates, the less busy wins, in constant time.
 */
public final class LeastBusy implements LoadBalancer {

    /** Beyond this size an exact scan costs more than it gains over two random choices. */
    static final int EXACT_SCAN_LIMIT = 16;

    private final RandomGenerator random;
    private final int[] tied = new int[EXACT_SCAN_LIMIT];

    public LeastBusy(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public Backend pick(List<Backend> candidates, RequestView request) {
        int size = candidates.size();
        if (size == 0) {
            return null;
        }
        if (size == 1) {
            return candidates.get(0);
        }
        return size <= EXACT_SCAN_LIMIT ? scan(candidates, size) : twoChoices(candidates, size);
    }

    /**
     * In-flight requests per unit of weight, counting the one about to be sent (as Envoy's least-request does),
     * so that among idle backends the heavier wins and under load each gets a share that follows its weight.
     */
    static long load(Backend backend) {
        return (backend.inFlight() + 1L) * 1_000_000L / backend.weight();
    }

    private Backend scan(List<Backend> candidates, int size) {
        long least = Long.MAX_VALUE;
        int ties = 0;
        for (int i = 0; i < size; i++) {
            long load = load(candidates.get(i));
            if (load < least) {
                least = load;
                ties = 0;
            }
            if (load == least) {
                tied[ties++] = i;
            }
        }
        return candidates.get(tied[ties == 1 ? 0 : random.nextInt(ties)]);
    }

    private Backend twoChoices(List<Backend> candidates, int size) {
        int first = random.nextInt(size);
        int second = random.nextInt(size - 1);
        if (second >= first) {
            second++;
        }
        Backend a = candidates.get(first);
        Backend b = candidates.get(second);
        return load(b) < load(a) ? b : a;
    }
}
