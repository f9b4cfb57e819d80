package dev.fulcrum.balancer;

import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.config.PoolSettings;
import dev.fulcrum.config.ServerSpec;
import dev.fulcrum.metrics.Metrics;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SlowStartTest {

    private final FakeClock clock = new FakeClock();
    private final SlowStart slowStart = new SlowStart(Duration.ofSeconds(10), clock);

    static Backend backend(String name, int weight) {
        return new Backend(new ServerSpec("http://" + name, false, name, 80, "", weight), HealthState.UNKNOWN);
    }

    /** The pool "default" of these servers, with the built-in settings. */
    static PoolSettings pool(ServerSpec... servers) {
        PoolSettings builtIn = ConfigParser.parse("{\"servers\": [\"http://127.0.0.1:1\"]}").pool(PoolSettings.DEFAULT);
        return new PoolSettings(builtIn.name(), builtIn.algorithm(), builtIn.hash(), builtIn.stickyCookie(),
                builtIn.slowStart(), builtIn.healthCheckInterval(), builtIn.healthCheck(), builtIn.consecutiveFailures(),
                builtIn.connectTimeout(), builtIn.requestTimeout(), builtIn.backendTls(), builtIn.backendProtocol(), builtIn.preserveHost(),
                List.of(servers));
    }

    /** Healthy at the start, down, then back now: it joins a serving pool. */
    Backend backAfterBeingDown(int weight) {
        Backend backend = backend("back", weight);
        backend.health(HealthState.HEALTHY, clock.getAsLong());
        backend.health(HealthState.UNHEALTHY, clock.getAsLong());
        backend.health(HealthState.HEALTHY, clock.getAsLong());
        return backend;
    }

    double weightIn(Backend backend, long millis) {
        return slowStart.weight(backend, clock.getAsLong() + millis * 1_000_000);
    }

    @Test
    void aBackendHealthyFromTheStartHasItsWholeWeightAtOnce() {
        Backend backend = backend("a", 4);
        backend.health(HealthState.HEALTHY, clock.getAsLong());
        assertEquals(Backend.JOINED_AT_START, backend.joinedAt());
        assertEquals(4, weightIn(backend, 0));
    }

    @Test
    void aBackendBackAfterBeingDownRampsFromTenPercentToItsWholeWeight() {
        Backend backend = backAfterBeingDown(10);
        assertEquals(1.0, weightIn(backend, 0), 1e-9);
        assertEquals(10 * (0.1 + 0.9 * 0.25), weightIn(backend, 2_500), 1e-9);
        assertEquals(5.5, weightIn(backend, 5_000), 1e-9);
        assertEquals(10 * (0.1 + 0.9 * 0.999), weightIn(backend, 9_990), 1e-9);
        assertEquals(10, weightIn(backend, 10_000));
        assertEquals(10, weightIn(backend, 3_600_000));
    }

    @Test
    void aPickThatReadTheClockJustBeforeTheBackendJoinedSeesTheFirstShare() {
        assertEquals(0.3, weightIn(backAfterBeingDown(3), -1), 1e-9);
    }

    @Test
    void aBackendAddedByAReloadRampsWhenItsFirstProbePasses() {
        BackendRegistry registry = new BackendRegistry(List.of(pool(backend("a", 1).spec())), HealthState.UNKNOWN,
                Metrics.nowhere());
        registry.update(List.of(pool(backend("a", 1).spec(), backend("added", 2).spec())));
        Backend added = registry.find(PoolSettings.DEFAULT, "http://added").orElseThrow();
        clock.advance(Duration.ofSeconds(1));
        added.health(HealthState.HEALTHY, clock.getAsLong());
        assertEquals(clock.getAsLong(), added.joinedAt());
        assertEquals(0.2, weightIn(added, 0), 1e-9);
        assertEquals(2, weightIn(added, 10_000));
    }

    @Test
    void aBackendFailingWhileItRampsStartsOverWhenBack() {
        Backend backend = backAfterBeingDown(10);
        clock.advance(Duration.ofSeconds(8));
        backend.health(HealthState.UNHEALTHY, clock.getAsLong());
        clock.advance(Duration.ofSeconds(1));
        backend.health(HealthState.HEALTHY, clock.getAsLong());
        assertEquals(1.0, weightIn(backend, 0), 1e-9);
    }

    @Test
    void aRepeatedHealthyIsNoNewJoin() {
        Backend backend = backAfterBeingDown(10);
        long joined = backend.joinedAt();
        clock.advance(Duration.ofSeconds(5));
        backend.health(HealthState.HEALTHY, clock.getAsLong());
        assertEquals(joined, backend.joinedAt());
    }

    @Test
    void offGivesEveryBackendItsWeightAndReadsNoClock() {
        SlowStart off = new SlowStart(Duration.ZERO, () -> {
            throw new AssertionError("the clock was read");
        });
        Backend backend = backAfterBeingDown(7);
        assertEquals(0, off.now());
        assertEquals(7, off.weight(backend, 0));
        assertEquals(7, SlowStart.OFF.weight(backend, clock.getAsLong()));
    }
}
