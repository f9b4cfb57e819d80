package dev.fulcrum.balancer;

import dev.fulcrum.config.ServerSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeastBusyTest {

    private final LeastBusy balancer = new LeastBusy(new SplittableRandom(42));

    static List<Backend> backends(int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> new Backend(new ServerSpec("http://b" + i, false, "b" + i, 80, "", 1), HealthState.HEALTHY))
                .toList();
    }

    static void load(Backend backend, int inFlight) {
        for (int i = 0; i < inFlight; i++) {
            backend.requestStarted();
        }
    }

    @Test
    void heavierBackendTakesMoreInProportionToItsWeight() {
        Backend heavy = new Backend(new ServerSpec("http://heavy", false, "heavy", 80, "", 3), HealthState.HEALTHY);
        Backend light = new Backend(new ServerSpec("http://light", false, "light", 80, "", 1), HealthState.HEALTHY);
        List<Backend> pool = List.of(light, heavy);
        // Requests that never finish: each pick adds to the load the next pick sees.
        for (int i = 0; i < 400; i++) {
            balancer.pick(pool).requestStarted();
        }
        assertEquals(300, heavy.inFlight(), 1);
        assertEquals(100, light.inFlight(), 1);
    }

    @Test
    void aRampingBackendsShareUnderLoadFollowsItsSlowStartWeight() {
        FakeClock clock = new FakeClock();
        LeastBusy ramped = new LeastBusy(new InFlightLoad(new SlowStart(Duration.ofSeconds(10), clock)), new SplittableRandom(42));
        List<Backend> pool = backends(2);
        Backend back = pool.get(1);
        back.health(HealthState.UNHEALTHY, clock.getAsLong());
        back.health(HealthState.HEALTHY, clock.getAsLong());

        // Requests that never finish, as in heavierBackendTakesMoreInProportionToItsWeight: weights 1 and 0.1.
        for (int i = 0; i < 1_100; i++) {
            ramped.pick(pool).requestStarted();
        }
        assertEquals(100, back.inFlight(), 1);
        clock.advance(Duration.ofSeconds(5));
        // Weights 1 and 0.55: of the next 1,000, the ramping one takes what brings it to 55 per 100 of the other.
        for (int i = 0; i < 1_000; i++) {
            ramped.pick(pool).requestStarted();
        }
        assertEquals(2_100 * 0.55 / 1.55, back.inFlight(), 2);
    }

    @Test
    void noCandidateGivesNull() {
        assertNull(balancer.pick(List.of()));
    }

    @Test
    void picksTheBackendWithFewestInFlight() {
        List<Backend> pool = backends(3);
        load(pool.get(0), 2);
        load(pool.get(1), 1);
        load(pool.get(2), 3);
        for (int i = 0; i < 10; i++) {
            assertSame(pool.get(1), balancer.pick(pool));
        }
    }

    @Test
    void tiesAreSharedInsteadOfFavouringTheFirst() {
        List<Backend> pool = backends(3);
        Map<Backend, Integer> picks = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            picks.merge(balancer.pick(pool), 1, Integer::sum);
        }
        pool.forEach(b -> assertTrue(picks.get(b) >= 75 && picks.get(b) <= 125, () -> "spread: " + picks));
    }

    /** Two requests overlap in every round: the second pick sees a different tied set than the first. */
    @Test
    void tiesAreSharedWhenPicksOverlap() {
        List<Backend> pool = backends(3);
        Map<Backend, Integer> picks = new HashMap<>();
        for (int round = 0; round < 300; round++) {
            Backend first = balancer.pick(pool);
            first.requestStarted();
            Backend second = balancer.pick(pool);
            second.requestStarted();
            picks.merge(first, 1, Integer::sum);
            picks.merge(second, 1, Integer::sum);
            first.requestEnded();
            second.requestEnded();
        }
        pool.forEach(b -> assertTrue(picks.get(b) >= 170 && picks.get(b) <= 230, () -> "spread: " + picks));
    }

    @Test
    void tiesAmongTheLeastBusyAreSharedToo() {
        List<Backend> pool = backends(4);
        load(pool.get(0), 5);
        Map<Backend, Integer> picks = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            picks.merge(balancer.pick(pool), 1, Integer::sum);
        }
        assertNull(picks.get(pool.get(0)));
        pool.subList(1, 4).forEach(b -> assertTrue(picks.get(b) >= 75, () -> "spread: " + picks));
    }

    @Test
    void largePoolsUseTwoDistinctRandomChoicesAndPreferTheLessBusy() {
        List<Backend> pool = backends(LeastBusy.EXACT_SCAN_LIMIT + 84);
        pool.forEach(b -> load(b, 1));
        Backend idle = pool.get(7);
        idle.requestEnded();
        long idlePicks = IntStream.range(0, 10_000).filter(i -> balancer.pick(pool) == idle).count();
        // The idle backend wins whenever it is one of the two draws: about 2/n of the time, never 1/n.
        assertTrue(idlePicks > 150 && idlePicks < 260, () -> "idle picks: " + idlePicks);
    }

    @Test
    void twoChoicesNeverReturnsTheBusierOfTwo() {
        List<Backend> pool = backends(LeastBusy.EXACT_SCAN_LIMIT + 1);
        for (int i = 0; i < pool.size(); i++) {
            load(pool.get(i), i);
        }
        // The busiest backend can only win against itself, which the distinct draws rule out.
        for (int i = 0; i < 10_000; i++) {
            assertTrue(balancer.pick(pool) != pool.get(pool.size() - 1));
        }
    }
}
