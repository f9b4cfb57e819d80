package dev.fulcrum.balancer;

import dev.fulcrum.config.ServerSpec;
import org.junit.jupiter.api.Test;

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
    void noCandidateGivesNull() {
        assertNull(balancer.pick(List.of()));
    }
}
