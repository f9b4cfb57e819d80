package dev.fulcrum.balancer;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The least busy backend by a {@link LoadMeasure}: requests in flight for its weight ({@code least-busy}), or that
 * times its peak-EWMA response time ({@code least-time}); the choice is the same. Small pools are scanned exactly,
 * and a tie among the least busy goes to one of them at random, so that equal backends share the load instead of
 * the first one getting it all. (Taking ties in turn was biased: with picks that overlap, the tied set changes from
 * pick to pick, and a shared turn counter fell into a 1:2:3 split.) Large pools use the power of two choices (as
 * Envoy's LEAST_REQUEST and HAProxy's {@code random(2)} do): two random distinct candidates, the less busy wins, in
 * constant time.
 */
public final class LeastBusy implements LoadBalancer {

    /** Beyond this size an exact scan costs more than it gains over two random choices. */
    static final int EXACT_SCAN_LIMIT = 16;

    private final LoadMeasure measure;
    private final RandomGenerator random;
    private final int[] tied = new int[EXACT_SCAN_LIMIT];

    /** Least-busy by requests in flight, at the configured weights. */
    public LeastBusy(RandomGenerator random) {
        this(new InFlightLoad(SlowStart.OFF), random);
    }

    public LeastBusy(LoadMeasure measure, RandomGenerator random) {
        this.measure = measure;
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
        long now = measure.now();
        return size <= EXACT_SCAN_LIMIT ? scan(candidates, size, now) : twoChoices(candidates, size, now);
    }

    @Override
    public void completed(Backend backend, long nanos, Outcome outcome) {
        measure.completed(backend, nanos, outcome);
    }

    private Backend scan(List<Backend> candidates, int size, long now) {
        double least = Double.POSITIVE_INFINITY;
        int ties = 0;
        for (int i = 0; i < size; i++) {
            double load = measure.load(candidates.get(i), now);
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

    private Backend twoChoices(List<Backend> candidates, int size, long now) {
        int first = random.nextInt(size);
        int second = random.nextInt(size - 1);
        if (second >= first) {
            second++;
        }
        Backend a = candidates.get(first);
        Backend b = candidates.get(second);
        return measure.load(b, now) < measure.load(a, now) ? b : a;
    }
}
