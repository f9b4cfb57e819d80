package dev.fulcrum.balancer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A backend's response time as Finagle's and Linkerd's peak EWMA estimate it: a sample above the estimate replaces
 * it at once, so a latency spike is seen by the next pick; one below pulls it down by the time elapsed since the
 * last sample, {@code e = e * w + sample * (1 - w)} with {@code w = exp(-elapsed / 10 s)}, so recovery is believed
 * only slowly. Between samples the estimate a pick reads decays towards zero by the same law, as tower's does: a
 * backend shunned once for being slow is tried again after a while, instead of never, and its next sample says
 * what it is now.
 * <p>
 * Shared by every event loop and lock-free: the estimate and the time of its last sample change together, as one
 * immutable value swapped by compare-and-set. (Packing both into one long would cost range or precision; one small
 * object per exchange is nothing beside the exchange's own.)
 */
public final class PeakEwma {

    /** Finagle's, Linkerd's and Envoy's decay time: an estimate halves in 10 s × ln 2, about 7 s, without samples. */
    static final double DECAY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private record Estimate(double nanos, long at) {
    }

    private final AtomicReference<Estimate> estimate = new AtomicReference<>();

    /** The estimate at {@code now} (System.nanoTime), in nanoseconds; NaN before the first sample. */
    public double at(long now) {
        Estimate current = estimate.get();
        return current == null ? Double.NaN : current.nanos * weightOfThePast(now - current.at);
    }

    /** Records a response time of {@code sampleNanos}, seen at {@code now}. */
    void record(double sampleNanos, long now) {
        while (true) {
            Estimate prior = estimate.get();
            Estimate next;
            if (prior == null || prior.nanos < sampleNanos) {
                next = new Estimate(sampleNanos, prior == null ? now : Math.max(now, prior.at));
            } else {
                double past = weightOfThePast(now - prior.at);
                next = new Estimate(prior.nanos * past + sampleNanos * (1 - past), Math.max(now, prior.at));
            }
            if (estimate.compareAndSet(prior, next)) {
                return;
            }
        }
    }

    /** Back to no sample: for a backend back from being down, which is valued as a new one until it answers. */
    void forget() {
        estimate.set(null);
    }

    /**
     * How much an estimate {@code elapsed} nanoseconds old still counts. Two event loops may record out of order
     * by a few microseconds: a sample from the past counts as a sample of now.
     */
    static double weightOfThePast(long elapsed) {
        return elapsed <= 0 ? 1 : Math.exp(-elapsed / DECAY_NANOS);
    }
}
