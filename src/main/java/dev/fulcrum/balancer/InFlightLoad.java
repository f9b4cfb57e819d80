package dev.fulcrum.balancer;

/**
 * Requests in flight per unit of weight, counting the one about to be sent (as Envoy's least-request does), so
 * that among idle backends the heavier wins and under load each gets a share that follows its weight. The
 * weight is the one slow start gives. The count is the shared one, across event loops.
 */
public final class InFlightLoad implements LoadMeasure {

    private final SlowStart slowStart;

    public InFlightLoad(SlowStart slowStart) {
        this.slowStart = slowStart;
    }

    @Override
    public long now() {
        return slowStart.now();
    }

    @Override
    public double load(Backend backend, long now) {
        return (backend.inFlight() + 1) / slowStart.weight(backend, now);
    }
}
