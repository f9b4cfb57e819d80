package dev.fulcrum.balancer;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Least-time's load: a backend's peak-EWMA response time (to the response head) × (in flight + 1) / weight, the
 * cost of Finagle, Linkerd and tower (NGINX's least_time and Traefik's leasttime take the same product over plain
 * averages). The weight is the one slow start gives; the estimate is the backend's own, shared by the event loops.
 * <p>
 * Two traps are kept shut. A backend with no sample yet is not free (Traefik scores it 0, so a new backend takes
 * every request until it first answers): it is valued at the pool's typical response time, the EWMA of every
 * answer this event loop has seen, so it gets an ordinary share and learns its own in one exchange; until the
 * loop has seen one, 30 ms (Linkerd's default RTT) stands in. And failures never look fast (the SRE book's
 * "sinkholing": an unhealthy backend that errors in a millisecond would otherwise draw the most traffic): a
 * failed exchange or a 5xx is recorded as {@link #penalty taking at least 1 s}.
 */
public final class ResponseTimeLoad implements LoadMeasure {

    static final double DEFAULT_TYPICAL_NANOS = TimeUnit.MILLISECONDS.toNanos(30);
    static final double FAILURE_FLOOR_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final double FAILURE_TIMES_TYPICAL = 2;

    private final SlowStart slowStart;
    private final LongSupplier nanoTime;
    private double typicalNanos = Double.NaN;
    private long typicalAt;

    /** {@code nanoTime} is System.nanoTime but in tests, and the clock {@code slowStart} reads too. */
    public ResponseTimeLoad(SlowStart slowStart, LongSupplier nanoTime) {
        this.slowStart = slowStart;
        this.nanoTime = nanoTime;
    }

    @Override
    public long now() {
        return nanoTime.getAsLong();
    }

    @Override
    public double load(Backend backend, long now) {
        double estimate = backend.responseTime().at(now);
        if (Double.isNaN(estimate)) {
            estimate = typical();
        }
        return estimate * (backend.inFlight() + 1) / slowStart.weight(backend, now);
    }

    @Override
    public void completed(Backend backend, long nanos, Outcome outcome) {
        long now = nanoTime.getAsLong();
        if (outcome == Outcome.ANSWERED) {
            learnTypical(nanos, now);
            backend.responseTime().record(nanos, now);
        } else {
            backend.responseTime().record(penalty(nanos), now);
        }
    }

    /**
     * What a failure or a 5xx counts as: its own time if longer (a timeout), else the larger of 1 s and twice the
     * pool's typical response time. The peak rule makes it the estimate at once, so the backend gets a request
     * only when its peers have hundreds in flight, or once the estimate has decayed to theirs (from 1 s to peers
     * at 1 ms: 10 s × ln 1000, about 70 s); a backend still failing is penalised again by that one request.
     * Taken over NGINX's choice of leaving failures out of the average, which keeps a failing backend as fast as
     * its last success, and over penalising relative to the backend's own estimate, which compounds when the
     * requests in flight to a dying backend all fail together. Relative to the pool, it stays a penalty where
     * answers normally take seconds.
     */
    double penalty(long observedNanos) {
        return Math.max(observedNanos, Math.max(FAILURE_FLOOR_NANOS, FAILURE_TIMES_TYPICAL * typical()));
    }

    /** The pool's typical response time as this event loop has seen it: a plain (not peak) EWMA of the answers. */
    double typical() {
        return Double.isNaN(typicalNanos) ? DEFAULT_TYPICAL_NANOS : typicalNanos;
    }

    private void learnTypical(long nanos, long now) {
        if (Double.isNaN(typicalNanos)) {
            typicalNanos = nanos;
        } else {
            double past = PeakEwma.weightOfThePast(now - typicalAt);
            typicalNanos = typicalNanos * past + nanos * (1 - past);
        }
        typicalAt = now;
    }
}
