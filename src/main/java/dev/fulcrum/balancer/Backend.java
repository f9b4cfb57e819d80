package dev.fulcrum.balancer;

import dev.fulcrum.config.PoolSettings;
import dev.fulcrum.config.ServerSpec;
import dev.fulcrum.metrics.BackendMeters;
import dev.fulcrum.metrics.Metrics;
import io.vertx.core.net.SocketAddress;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live state of one backend, shared by every event loop: created once per server URL and kept across
 * reloads, so its counters survive a config change. Writes are lock-free; {@code health} is written only by
 * the health checker's event loop, and the proxies learn of changes through events, never by polling it.
 */
public final class Backend {

    /** The most response header bytes Fulcrum takes from a backend: the proxy and the health checker alike. */
    public static final int MAX_RESPONSE_HEADER_BYTES = 64 * 1024;

    /** {@link #joinedAt()} of a backend healthy since the start, or not healthy yet: slow start leaves it alone. */
    public static final long JOINED_AT_START = Long.MIN_VALUE;

    private static final AtomicLong INSTANCES = new AtomicLong();

    /** Tells this backend from one re-added later under the same URL. */
    private final long instance = INSTANCES.incrementAndGet();
    private final ServerSpec spec;
    private final String pool;
    private final SocketAddress address;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Every event loop's requests in flight to the backends of this one's pool: the bounded-load policy reads it. */
    private final AtomicInteger poolInFlight;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile HealthState health;
    private volatile String lastFailure;
    private volatile int weight;
    private final BackendMeters meters;
    private final PeakEwma responseTime = new PeakEwma();
    /**
     * Whether its next move to HEALTHY is a (re)join that slow start ramps: true once it has been down, or when a
     * reload added it. A backend present at the start is not ramped when its first probe passes, as in HAProxy:
     * every backend is new then, and ramping them all would ramp none.
     */
    private volatile boolean rejoins;
    private volatile long joinedAt = JOINED_AT_START;

    /** A backend of the pool "default" whose traffic is counted nowhere: for selection tests and benchmarks. */
    public Backend(ServerSpec spec, HealthState initialHealth) {
        this(spec, initialHealth, new AtomicInteger());
    }

    /** As {@link #Backend(ServerSpec, HealthState)}, in a pool whose requests in flight are {@code poolInFlight}. */
    public Backend(ServerSpec spec, HealthState initialHealth, AtomicInteger poolInFlight) {
        this(spec, PoolSettings.DEFAULT, initialHealth, Metrics.nowhere(), poolInFlight);
    }

    /** {@code poolInFlight} is shared by every backend of {@code pool}. */
    public Backend(ServerSpec spec, String pool, HealthState initialHealth, Metrics metrics, AtomicInteger poolInFlight) {
        this.spec = spec;
        this.pool = pool;
        this.poolInFlight = poolInFlight;
        this.address = SocketAddress.inetSocketAddress(spec.port(), spec.host());
        this.health = initialHealth;
        this.weight = spec.weight();
        this.meters = metrics.backend(pool, spec.url(), this::inFlight, () -> health == HealthState.HEALTHY);
    }

    public String url() {
        return spec.url();
    }

    /** The name of the pool it serves in; the same URL in two pools is two backends. */
    public String pool() {
        return pool;
    }

    public long instance() {
        return instance;
    }

    /** The server as first configured; host, port, path prefix and TLS all follow from the URL, its identity. */
    public ServerSpec spec() {
        return spec;
    }

    /** The configured weight; the one setting a reload may change without making this a new backend. */
    public int weight() {
        return weight;
    }

    void weight(int weight) {
        this.weight = weight;
    }

    /** What its responses, retries, ejections and probes are counted in. */
    public BackendMeters meters() {
        return meters;
    }

    public SocketAddress address() {
        return address;
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Requests in flight to every backend of its pool, healthy or draining, from every event loop. */
    public int poolInFlight() {
        return poolInFlight.get();
    }

    public void requestStarted() {
        inFlight.incrementAndGet();
        poolInFlight.incrementAndGet();
    }

    public void requestEnded() {
        inFlight.decrementAndGet();
        poolInFlight.decrementAndGet();
    }

    /** Counts a failed exchange (seen by the proxy) and returns how many happened in a row. */
    public int exchangeFailed() {
        return consecutiveFailures.incrementAndGet();
    }

    /** A response arrived: the run of failures is over. Written only when there was one, to keep the line clean. */
    public void exchangeSucceeded() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
    }

    public String lastFailure() {
        return lastFailure;
    }

    public void lastFailure(String reason) {
        lastFailure = reason;
    }

    public HealthState health() {
        return health;
    }

    /** A new health state starts a new run of failures: a readmitted backend gets the whole consecutiveFailures. */
    public void health(HealthState state) {
        health(state, System.nanoTime());
    }

    /** As {@link #health(HealthState)}, at {@code nanoTime} (on the policies' clock, System.nanoTime): for tests. */
    void health(HealthState state, long nanoTime) {
        if (state != health) {
            consecutiveFailures.set(0);
            if (state == HealthState.UNHEALTHY) {
                rejoins = true;
            } else if (state == HealthState.HEALTHY && rejoins) {
                joinedAt = nanoTime;
                // What it was like before it went down (a failure penalty, most likely) says nothing of it now.
                responseTime.forget();
            }
        }
        health = state;
    }

    /** A reload added it: when it becomes healthy it joins a pool already serving, and slow start ramps it. */
    void addedByReload() {
        rejoins = true;
    }

    /**
     * When it last joined a serving pool (became healthy after being down, or after a reload added it), in
     * System.nanoTime; {@link #JOINED_AT_START} if it has been healthy since the start.
     */
    public long joinedAt() {
        return joinedAt;
    }

    /** Its response time as least-time measures it, shared by every event loop. */
    public PeakEwma responseTime() {
        return responseTime;
    }

    /** Its URL, after its pool's name unless that is the pool "default": what log lines name it by. */
    @Override
    public String toString() {
        return pool.equals(PoolSettings.DEFAULT) ? spec.url() : pool + " " + spec.url();
    }
}
