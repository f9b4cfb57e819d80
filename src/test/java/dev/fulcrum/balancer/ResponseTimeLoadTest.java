package dev.fulcrum.balancer;

import dev.fulcrum.config.ServerSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResponseTimeLoadTest {

    private static final long MS = 1_000_000;
    private static final long S = 1_000 * MS;

    private final FakeClock clock = new FakeClock();
    private final ResponseTimeLoad load = new ResponseTimeLoad(SlowStart.OFF, clock);

    static Backend backend(String name, int weight) {
        return new Backend(new ServerSpec("http://" + name, false, name, 80, "", weight), HealthState.HEALTHY);
    }

    private double loadNow(Backend backend) {
        return load.load(backend, load.now());
    }

    private double estimateNow(Backend backend) {
        return backend.responseTime().at(clock.getAsLong());
    }

    @Test
    void loadIsTheEstimateTimesInFlightPlusOneOverTheWeight() {
        Backend backend = backend("a", 2);
        load.completed(backend, 10 * MS, Outcome.ANSWERED);
        for (int i = 0; i < 3; i++) {
            backend.requestStarted();
        }
        assertEquals(10.0 * MS * 4 / 2, loadNow(backend));
    }

    @Test
    void aBackendWithNoSampleIsValuedAtThePoolsTypicalTimeNotTakenForFree() {
        Backend known = backend("known", 1);
        Backend fresh = backend("fresh", 1);
        load.completed(known, 10 * MS, Outcome.ANSWERED);
        assertEquals(10.0 * MS, loadNow(fresh));
        // An even start: it wins once the other has a request in flight, and its own in-flight count holds it back.
        known.requestStarted();
        assertTrue(loadNow(fresh) < loadNow(known));
        fresh.requestStarted();
        fresh.requestStarted();
        assertTrue(loadNow(fresh) > loadNow(known));
    }

    @Test
    void beforeAnyAnswerTheTypicalTimeIsLinkerdsDefault() {
        assertEquals(30.0 * MS, loadNow(backend("fresh", 1)));
    }

    @Test
    void theTypicalTimeIsAPlainEwmaOfTheAnswers() {
        load.completed(backend("a", 1), 10 * MS, Outcome.ANSWERED);
        clock.advance(Duration.ofSeconds(10));
        load.completed(backend("b", 1), 20 * MS, Outcome.ANSWERED);
        // 10 ms × e^-1 + 20 ms × (1 - e^-1); a peak EWMA would say 20 ms.
        assertEquals(16.321_205_6 * MS, load.typical(), 1);
    }

    @Test
    void aFailureInOneMillisecondCountsAsOneSecond() {
        Backend failing = backend("failing", 1);
        load.completed(failing, 1 * MS, Outcome.FAILED);
        assertEquals(1.0 * S, estimateNow(failing));
    }

    @Test
    void aFast5xxCountsAsOneSecondToo() {
        Backend failing = backend("failing", 1);
        load.completed(failing, 2 * MS, Outcome.ANSWERED);
        load.completed(failing, 1 * MS, Outcome.SERVER_ERROR);
        assertEquals(1.0 * S, estimateNow(failing));
    }

    @Test
    void whereAnswersTakeSecondsAFailureCountsAsTwiceTheTypicalTime() {
        Backend failing = backend("failing", 1);
        load.completed(backend("slow", 1), 3 * S, Outcome.ANSWERED);
        load.completed(failing, 1 * MS, Outcome.FAILED);
        assertEquals(6.0 * S, estimateNow(failing));
    }

    @Test
    void aFailureSlowerThanThePenaltyCountsAsItsOwnTime() {
        Backend failing = backend("failing", 1);
        load.completed(failing, 30 * S, Outcome.FAILED);
        assertEquals(30.0 * S, estimateNow(failing));
    }

    @Test
    void failuresDoNotTeachTheTypicalTime() {
        load.completed(backend("a", 1), 10 * MS, Outcome.ANSWERED);
        load.completed(backend("b", 1), 1 * MS, Outcome.FAILED);
        load.completed(backend("b", 1), 1 * MS, Outcome.SERVER_ERROR);
        assertEquals(10.0 * MS, load.typical());
    }

    @Test
    void aBackendBackFromBeingDownStartsAfreshAtTheTypicalTime() {
        Backend back = backend("back", 1);
        load.completed(backend("peer", 1), 10 * MS, Outcome.ANSWERED);
        load.completed(back, 1 * MS, Outcome.FAILED);
        back.health(HealthState.UNHEALTHY, clock.getAsLong());
        back.health(HealthState.HEALTHY, clock.getAsLong());
        assertTrue(Double.isNaN(estimateNow(back)));
        assertEquals(10.0 * MS, loadNow(back));
    }

    @Test
    void aRampingBackendsLoadIsDividedByItsSlowStartWeight() {
        ResponseTimeLoad ramped = new ResponseTimeLoad(new SlowStart(Duration.ofSeconds(10), clock), clock);
        Backend back = backend("back", 1);
        back.health(HealthState.UNHEALTHY, clock.getAsLong());
        back.health(HealthState.HEALTHY, clock.getAsLong());
        ramped.completed(back, 10 * MS, Outcome.ANSWERED);
        assertEquals(10.0 * MS / 0.1, ramped.load(back, ramped.now()), 1e-3);
    }
}
