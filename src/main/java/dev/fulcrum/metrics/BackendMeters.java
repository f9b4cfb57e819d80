package dev.fulcrum.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * One backend's meters, created when the backend is configured and held by it, so that recording a response is
 * two increments on references already in hand: no registry lookup and no tags built per request. A status code's
 * counter is registered the first time that code is seen from this backend, then kept in an array by code.
 */
public final class BackendMeters {

    /**
     * From 0.5 ms (a backend on the same host) to 60 s (the default requestTimeout), about three per decade, so
     * that p50 and p99 interpolate within a factor of 2.5 anywhere in that range: Envoy's lower bounds, Prometheus
     * clients' middle.
     */
    static final Duration[] DURATION_BUCKETS = {
            Duration.ofMillis(0).plusNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2).plusNanos(500_000),
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
            Duration.ofSeconds(60)};
    /** Status codes are three digits (RFC 9110 §15); anything else a backend sends is counted as it is, modulo 1000. */
    private static final int CODES = 1000;

    private final MeterRegistry registry;
    private final String pool;
    private final String backend;
    private final AtomicReferenceArray<Counter> byCode = new AtomicReferenceArray<>(CODES);
    private final Timer duration;
    private final Counter retries;
    private final Counter ejections;
    private final Counter checksPassed;
    private final Counter checksFailed;
    private volatile IntSupplier inFlight;
    private volatile BooleanSupplier up;
    /** Its series are gone: a late response must not bring one back. */
    private volatile boolean retired;

    /** {@code inFlight} and {@code up} are read at each scrape; null for the responses no backend answered. */
    BackendMeters(MeterRegistry registry, String pool, String backend, IntSupplier inFlight, BooleanSupplier up) {
        this.registry = registry;
        this.pool = pool;
        this.backend = backend;
        this.inFlight = inFlight;
        this.up = up;
        this.duration = Timer.builder("fulcrum.request.duration")
                .description("From a request's arrival to the last byte of its response, by the backend that answered")
                .tags("pool", pool, "backend", backend)
                .serviceLevelObjectives(DURATION_BUCKETS)
                .register(registry);
        if (inFlight == null) {
            retries = ejections = checksPassed = checksFailed = null;
            return;
        }
        retries = Counter.builder("fulcrum.retries").tags("pool", pool, "backend", backend)
                .description("Requests retried on another backend after this one failed them").register(registry);
        ejections = Counter.builder("fulcrum.backend.ejections").tags("pool", pool, "backend", backend)
                .description("Times the proxy's own failures took this backend out of rotation (passive health)")
                .register(registry);
        checksPassed = checks("success");
        checksFailed = checks("failure");
        Gauge.builder("fulcrum.backend.in.flight", this, meters -> meters.inFlight.getAsInt())
                .tags("pool", pool, "backend", backend).description("Requests sent to this backend and not answered yet")
                .strongReference(true).register(registry);
        Gauge.builder("fulcrum.backend.up", this, meters -> meters.up.getAsBoolean() ? 1 : 0)
                .tags("pool", pool, "backend", backend).description("1 while the backend takes traffic (HEALTHY), else 0")
                .strongReference(true).register(registry);
    }

    private Counter checks(String result) {
        return Counter.builder("fulcrum.backend.health.checks").tags("pool", pool, "backend", backend, "result", result)
                .description("Active health probes, by result").register(registry);
    }

    public String backend() {
        return backend;
    }

    public String pool() {
        return pool;
    }

    /** A response went out with {@code status}, {@code nanos} after its request arrived. */
    public void responded(int status, long nanos) {
        int code = Math.floorMod(status, CODES);
        Counter counter = byCode.get(code);
        if (counter == null) {
            if (retired) {
                return;
            }
            counter = Counter.builder("fulcrum.requests").tags("pool", pool, "backend", backend, "code", Integer.toString(code))
                    .description("Responses sent, by status code and the backend that answered (none: Fulcrum itself)")
                    .register(registry);
            byCode.set(code, counter);
        }
        counter.increment();
        duration.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void retried() {
        retries.increment();
    }

    public void ejected() {
        ejections.increment();
    }

    public void checked(boolean passed) {
        (passed ? checksPassed : checksFailed).increment();
    }

    /**
     * Its counts so far, for the status page's sampler (once a second, off the request path): the same counters
     * and buckets that {@code /metrics} exposes, read, not recorded anew.
     */
    public MeterReading read() {
        long responses = 0;
        long serverErrors = 0;
        for (int code = 0; code < CODES; code++) {
            Counter counter = byCode.get(code);
            if (counter != null) {
                long count = (long) counter.count();
                responses += count;
                serverErrors += code / 100 == 5 ? count : 0;
            }
        }
        return MeterReading.of(responses, serverErrors, duration.takeSnapshot());
    }

    /** The same URL configured again: the gauges follow its new state, its counters go on. */
    void rebind(IntSupplier inFlight, BooleanSupplier up) {
        this.inFlight = inFlight;
        this.up = up;
    }

    void retired() {
        retired = true;
    }

    int inFlight() {
        return inFlight.getAsInt();
    }
}
