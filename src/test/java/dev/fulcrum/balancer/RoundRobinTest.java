package dev.fulcrum.balancer;

import dev.fulcrum.config.ServerSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RoundRobinTest {

    private final RoundRobin balancer = new RoundRobin();

    static Backend backend(String name, int weight) {
        return new Backend(new ServerSpec("http://" + name, false, name, 80, "", weight), HealthState.HEALTHY);
    }

    private String picks(List<Backend> pool, int count) {
        return IntStream.range(0, count).mapToObj(i -> balancer.pick(pool).spec().host()).collect(Collectors.joining());
    }

    @Test
    void equalWeightsTakeTurns() {
        assertEquals("abcabc", picks(List.of(backend("a", 1), backend("b", 1), backend("c", 1)), 6));
    }

    @Test
    void weightsAreSpreadSmoothlyNotInBursts() {
        assertEquals("aabacaa", picks(List.of(backend("a", 5), backend("b", 1), backend("c", 1)), 7));
    }

    @Test
    void aNewViewDropsScoresOfBackendsNoLongerListed() {
        Backend a = backend("a", 1);
        Backend b = backend("b", 1);
        picks(List.of(a, b), 3);
        assertEquals("bbb", picks(List.of(b), 3));
        assertEquals(2, IntStream.range(0, 4).mapToObj(i -> balancer.pick(List.of(a, b))).filter(x -> x == a).count());
    }

    @Test
    void aRampingBackendsShareFollowsItsSlowStartWeight() {
        FakeClock clock = new FakeClock();
        RoundRobin ramped = new RoundRobin(new SlowStart(Duration.ofSeconds(10), clock));
        Backend steady = backend("a", 1);
        Backend back = backend("b", 1);
        back.health(HealthState.UNHEALTHY, clock.getAsLong());
        back.health(HealthState.HEALTHY, clock.getAsLong());
        List<Backend> pool = List.of(steady, back);

        // Weights 1 and 0.1: one pick in eleven.
        assertEquals(100, count(ramped, pool, back, 1_100));
        clock.advance(Duration.ofSeconds(5));
        // 1 and 0.55: 55 in 155.
        assertEquals(550, count(ramped, pool, back, 1_550), 1);
        clock.advance(Duration.ofSeconds(5));
        assertEquals(500, count(ramped, pool, back, 1_000));
    }

    private static long count(RoundRobin balancer, List<Backend> pool, Backend wanted, int picks) {
        return IntStream.range(0, picks).filter(i -> balancer.pick(pool) == wanted).count();
    }

    @Test
    void noCandidateGivesNull() {
        assertNull(balancer.pick(List.of()));
    }
}
