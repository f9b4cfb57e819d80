package dev.fulcrum.balancer;

import dev.fulcrum.config.ServerSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** least-time as Algorithms makes it (the least-busy choice over the response-time load), on simulated time. */
class LeastTimePolicyTest {

    private static final long MS = 1_000_000;

    private final FakeClock clock = new FakeClock();
    private final LeastBusy leastTime = new LeastBusy(new ResponseTimeLoad(SlowStart.OFF, clock), new SplittableRandom(42));

    static Backend backend(String name) {
        return new Backend(new ServerSpec("http://" + name, false, name, 80, "", 1), HealthState.HEALTHY);
    }

    /** How a simulated backend answers every request. */
    record Behaviour(long nanos, Outcome outcome) {
    }

    private record Pending(long at, long order, Backend backend) {
    }

    /**
     * Sends {@code requests} through {@code balancer}, {@code concurrency} at a time, each answered as its backend's
     * behaviour says, on the fake clock; returns how many each backend got.
     */
    Map<Backend, Integer> simulate(LoadBalancer balancer, Map<Backend, Behaviour> behaviours, int concurrency, int requests) {
        List<Backend> pool = List.copyOf(behaviours.keySet());
        Map<Backend, Integer> picks = new HashMap<>();
        PriorityQueue<Pending> inFlight = new PriorityQueue<>(Comparator.comparingLong(Pending::at).thenComparingLong(Pending::order));
        int sent = 0;
        while (sent < requests || !inFlight.isEmpty()) {
            if (sent < requests && inFlight.size() < concurrency) {
                Backend chosen = balancer.pick(pool);
                chosen.requestStarted();
                picks.merge(chosen, 1, Integer::sum);
                inFlight.add(new Pending(clock.getAsLong() + behaviours.get(chosen).nanos(), sent++, chosen));
            } else {
                Pending done = inFlight.poll();
                clock.advance(Duration.ofNanos(done.at() - clock.getAsLong()));
                Behaviour behaviour = behaviours.get(done.backend());
                balancer.completed(done.backend(), behaviour.nanos(), behaviour.outcome());
                done.backend().requestEnded();
            }
        }
        pool.forEach(backend -> picks.putIfAbsent(backend, 0));
        return picks;
    }

    @Test
    void avoidsASlowBackendAndOneThatAnswers503AtOnce() {
        Backend fast = backend("fast");
        Backend slow = backend("slow");
        Backend failing = backend("failing");
        Map<Backend, Integer> picks = simulate(leastTime, Map.of(
                fast, new Behaviour(1 * MS, Outcome.ANSWERED),
                slow, new Behaviour(50 * MS, Outcome.ANSWERED),
                failing, new Behaviour(1 * MS, Outcome.SERVER_ERROR)), 8, 10_000);
        assertTrue(picks.get(failing) <= 10, () -> "picks: " + picks);
        assertTrue(picks.get(slow) <= 100, () -> "picks: " + picks);
    }

    @Test
    void avoidsABackendThatResetsAtOnce() {
        Backend fast = backend("fast");
        Backend resetting = backend("resetting");
        Map<Backend, Integer> picks = simulate(leastTime, Map.of(
                fast, new Behaviour(2 * MS, Outcome.ANSWERED),
                resetting, new Behaviour(100_000, Outcome.FAILED)), 4, 10_000);
        assertTrue(picks.get(resetting) <= 10, () -> "picks: " + picks);
    }

    /** The trap least-time exists for: the backend that fails fastest has the fewest in flight. */
    @Test
    void inFlightAloneSendsTheMostToTheBackendThatFailsFastest() {
        Backend fast = backend("fast");
        Backend failing = backend("failing");
        Map<Backend, Integer> picks = simulate(new LeastBusy(new SplittableRandom(42)), Map.of(
                fast, new Behaviour(2 * MS, Outcome.ANSWERED),
                failing, new Behaviour(100_000, Outcome.SERVER_ERROR)), 8, 10_000);
        assertTrue(picks.get(failing) > picks.get(fast), () -> "picks: " + picks);
    }

    @Test
    void aBackendWithNoSampleTakesItsShareOfABurstNotAllOfIt() {
        Backend a = backend("a");
        Backend b = backend("b");
        Backend fresh = backend("fresh");
        leastTime.completed(a, 10 * MS, Outcome.ANSWERED);
        leastTime.completed(b, 10 * MS, Outcome.ANSWERED);
        List<Backend> pool = List.of(a, b, fresh);
        // Thirty requests arrive before any answer (Traefik would send all thirty to the one with no sample).
        for (int i = 0; i < 30; i++) {
            leastTime.pick(pool).requestStarted();
        }
        assertEquals(10, fresh.inFlight(), 1);
    }

    @Test
    void aPenalisedBackendIsTriedAgainOnceItsPenaltyHasDecayedToItsPeers() {
        Backend fast = backend("fast");
        Backend penalised = backend("penalised");
        leastTime.completed(fast, 1 * MS, Outcome.ANSWERED);
        leastTime.completed(penalised, 1 * MS, Outcome.SERVER_ERROR);
        List<Backend> pool = List.of(fast, penalised);
        // One request a second, to the fast one, answered in 1 ms: it reads 1 ms × e^-0.1 at each pick, and the
        // penalty of 1 s falls below that after 10 s × ln(1105), about 70 s.
        int seconds = 0;
        while (leastTime.pick(pool) == fast && seconds < 1_000) {
            leastTime.completed(fast, 1 * MS, Outcome.ANSWERED);
            clock.advance(Duration.ofSeconds(1));
            seconds++;
        }
        assertEquals(70, seconds, 1);
    }

    @Test
    void twoRandomChoicesInALargePoolNeverTakeTheSlowBackendOverAnIdleFastOne() {
        List<Backend> pool = IntStream.range(0, 100).mapToObj(i -> backend("b" + i)).toList();
        Backend slow = pool.get(42);
        pool.forEach(backend -> leastTime.completed(backend, backend == slow ? 50 * MS : 1 * MS, Outcome.ANSWERED));
        for (int i = 0; i < 10_000; i++) {
            Backend chosen = leastTime.pick(pool);
            assertTrue(chosen != slow);
        }
        assertSame(pool.get(0), leastTime.pick(List.of(pool.get(0), slow)));
    }
}
