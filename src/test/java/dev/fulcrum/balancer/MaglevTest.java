package dev.fulcrum.balancer;

import dev.fulcrum.balancer.MaglevTable.Member;
import dev.fulcrum.config.HashKey;
import dev.fulcrum.config.HashSettings;
import dev.fulcrum.config.ServerSpec;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaglevTest {

    private static final HashSettings SETTINGS = HashSettings.DEFAULT;
    private static final long[] KEYS = MaglevTableTest.keys();

    /** Fills every table at once, on the caller's thread. */
    private final MaglevTables inPlace = new MaglevTables(Runnable::run);

    static Backend backend(String url, int weight) {
        return backend(url, weight, new AtomicInteger());
    }

    /** A backend of the pool whose requests in flight are {@code poolInFlight}. */
    static Backend backend(String url, int weight, AtomicInteger poolInFlight) {
        return new Backend(new ServerSpec(url, false, "h", 80, "", weight), HealthState.HEALTHY, poolInFlight);
    }

    static List<Backend> pool(int count) {
        AtomicInteger poolInFlight = new AtomicInteger();
        return MaglevTableTest.members(count).stream().map(member -> backend(member.name(), 1, poolInFlight)).toList();
    }

    static void load(Backend backend, int inFlight) {
        for (int i = 0; i < inFlight; i++) {
            backend.requestStarted();
        }
    }

    static Maglev maglev(HashSettings settings, MaglevTables tables, List<Backend> healthy) {
        return new Maglev(settings, tables, new LeastBusy(new SplittableRandom(3)), healthy);
    }

    /** The table of {@code healthy}, filled here, to say where each key belongs. */
    static MaglevTable tableOf(List<Backend> healthy) {
        return MaglevTable.fill(healthy.stream().map(b -> new Member(b.url(), b.weight())).toList(), SETTINGS.tableSize());
    }

    @Test
    void aKeyGoesToTheBackendThatOwnsItsSlot() {
        List<Backend> healthy = pool(5);
        Maglev maglev = maglev(SETTINGS, inPlace, healthy);
        MaglevTable table = tableOf(healthy);
        for (long key : KEYS) {
            assertEquals(MaglevTableTest.ownerOf(table, key), maglev.pick(healthy, HashedRequest.first(key)).url());
        }
    }

    @Test
    void theOrderOfTheHealthyListChangesNothing() {
        List<Backend> healthy = pool(8);
        List<Backend> shuffled = new ArrayList<>(healthy);
        Collections.shuffle(shuffled, new Random(5));
        Maglev inOrder = maglev(SETTINGS, inPlace, healthy);
        Maglev outOfOrder = maglev(SETTINGS, new MaglevTables(Runnable::run), shuffled);
        for (long key : KEYS) {
            assertSame(inOrder.pick(healthy, HashedRequest.first(key)), outOfOrder.pick(shuffled, HashedRequest.first(key)));
        }
    }

    @Test
    void aRequestWithoutTheKeyGoesToTheLeastBusy() {
        List<Backend> healthy = pool(4);
        for (Backend backend : healthy) {
            backend.requestStarted();
        }
        healthy.get(2).requestEnded();
        Maglev maglev = maglev(SETTINGS, inPlace, healthy);
        for (int i = 0; i < 20; i++) {
            assertSame(healthy.get(2), maglev.pick(healthy, RequestView.NONE));
        }
    }

    @Test
    void noCandidateGivesNull() {
        assertNull(maglev(SETTINGS, inPlace, List.of()).pick(List.of(), HashedRequest.first(1)));
    }

    @Test
    void aBackendThatGoesDownTakesOnlyItsKeysAwayAndGetsThemBackWhenItReturns() {
        List<Backend> all = pool(10);
        Backend down = all.get(4);
        List<Backend> rest = all.stream().filter(b -> b != down).toList();
        Maglev maglev = maglev(SETTINGS, inPlace, all);
        List<Backend> before = picks(maglev, all);
        List<Backend> during = picks(maglev, rest);
        List<Backend> after = picks(maglev, new ArrayList<>(all));

        int othersKeys = 0;
        int othersMoved = 0;
        for (int i = 0; i < KEYS.length; i++) {
            assertNotEquals(down, during.get(i));
            if (before.get(i) != down) {
                othersKeys++;
                othersMoved += before.get(i) != during.get(i) ? 1 : 0;
            }
        }
        assertTrue(othersMoved < othersKeys / 100, othersMoved + " of the other backends' " + othersKeys + " keys moved");
        assertEquals(before, after);
    }

    @Test
    void aRetryGoesWhereEnvoysDoes() {
        // maglev_lb_test.cc, BasicWithRetryHostPredicate: hash 10 lands on 127.0.0.1:91; avoiding it, Envoy takes :90.
        List<Backend> hosts = IntStream.rangeClosed(90, 95).mapToObj(port -> backend("127.0.0.1:" + port, 1)).toList();
        Maglev maglev = maglev(new HashSettings(HashKey.CLIENT_IP, 7, 0), inPlace, hosts);
        assertSame(hosts.get(1), maglev.pick(hosts, HashedRequest.first(10)));
        List<Backend> others = hosts.stream().filter(b -> b != hosts.get(1)).toList();
        assertSame(hosts.get(0), maglev.pick(others, HashedRequest.retry(10)));
    }

    @Test
    void aRetryAvoidingTheKeysBackendGoesToAnotherOneTheSameForTheSameKey() {
        List<Backend> healthy = pool(10);
        Maglev maglev = maglev(SETTINGS, inPlace, healthy);
        Maglev elsewhere = maglev(SETTINGS, new MaglevTables(Runnable::run), healthy);
        int[] retriedTo = new int[healthy.size()];
        for (int i = 0; i < 2_000; i++) {
            Backend first = maglev.pick(healthy, HashedRequest.first(KEYS[i]));
            List<Backend> others = healthy.stream().filter(b -> b != first).toList();
            Backend retry = maglev.pick(others, HashedRequest.retry(KEYS[i]));
            assertNotEquals(first, retry);
            assertSame(retry, maglev.pick(others, HashedRequest.retry(KEYS[i])));
            assertSame(retry, elsewhere.pick(others, HashedRequest.retry(KEYS[i])));
            retriedTo[healthy.indexOf(retry)]++;
        }
        // The retries of one backend's keys spread over the others rather than all landing on its neighbour.
        for (int count : retriedTo) {
            assertTrue(count > 100, () -> java.util.Arrays.toString(retriedTo));
        }
    }

    @Test
    void aRetryWhoseKeysBackendIsStillACandidateGoesThere() {
        List<Backend> healthy = pool(5);
        Maglev maglev = maglev(SETTINGS, inPlace, healthy);
        Backend home = maglev.pick(healthy, HashedRequest.first(KEYS[0]));
        List<Backend> others = healthy.stream().filter(b -> b != home).toList();
        Backend retried = maglev.pick(others, HashedRequest.retry(KEYS[0]));
        // A retry of a request that another backend failed (one it had spilled to, say) avoids only that one.
        List<Backend> allButRetried = healthy.stream().filter(b -> b != retried).toList();
        assertSame(home, maglev.pick(allButRetried, HashedRequest.retry(KEYS[0])));
    }

    @Test
    void theOldTableServesTheBackendsStillHealthyUntilTheNewOneIsFilled() {
        Queue<Runnable> fills = new ArrayDeque<>();
        MaglevTables tables = new MaglevTables(fills::add);
        List<Backend> all = pool(10);
        Maglev maglev = maglev(SETTINGS, tables, all);
        fills.remove().run();
        List<Backend> before = picks(maglev, all);
        Backend down = all.get(3);
        List<Backend> rest = all.stream().filter(b -> b != down).toList();

        List<Backend> during = picks(maglev, rest);
        for (int i = 0; i < KEYS.length; i++) {
            if (before.get(i) != down) {
                assertSame(before.get(i), during.get(i), "a key of a healthy backend stays while the new table fills");
            } else {
                assertNotEquals(down, during.get(i));
            }
        }
        // It flaps back and down again: the full set's table is still there, and the new set's fill is under way.
        assertEquals(before, picks(maglev, all));
        assertEquals(during, picks(maglev, new ArrayList<>(rest)));
        assertEquals(1, fills.size(), "one fill for the new set, however often it was seen");

        fills.remove().run();
        MaglevTable table = tableOf(rest);
        for (long key : KEYS) {
            assertEquals(MaglevTableTest.ownerOf(table, key), maglev.pick(rest, HashedRequest.first(key)).url());
        }
    }

    private static List<Backend> picks(Maglev maglev, List<Backend> healthy) {
        return IntStream.range(0, KEYS.length).mapToObj(i -> maglev.pick(healthy, HashedRequest.first(KEYS[i]))).toList();
    }

    @Test
    void beforeTheFirstTableIsFilledRequestsGoToTheLeastBusy() {
        Queue<Runnable> fills = new ArrayDeque<>();
        List<Backend> healthy = pool(3);
        healthy.get(0).requestStarted();
        healthy.get(2).requestStarted();
        Maglev maglev = maglev(SETTINGS, new MaglevTables(fills::add), healthy);
        for (int i = 0; i < 100; i++) {
            assertSame(healthy.get(1), maglev.pick(healthy, HashedRequest.first(KEYS[i])));
        }
        fills.remove().run();
        assertEquals(MaglevTableTest.ownerOf(tableOf(healthy), KEYS[0]), maglev.pick(healthy, HashedRequest.first(KEYS[0])).url());
    }

    @Test
    void everyEventLoopSharesOneFillPerHealthySet() {
        AtomicInteger fills = new AtomicInteger();
        MaglevTables tables = new MaglevTables(task -> {
            fills.incrementAndGet();
            task.run();
        });
        List<Backend> all = pool(6);
        List<Backend> rest = all.subList(1, 6);
        Maglev first = maglev(SETTINGS, tables, all);
        Maglev second = maglev(SETTINGS, tables, new ArrayList<>(all));
        for (int flap = 0; flap < 3; flap++) {
            for (Maglev loop : List.of(first, second)) {
                loop.pick(new ArrayList<>(rest), HashedRequest.first(KEYS[flap]));
                loop.pick(new ArrayList<>(all), HashedRequest.first(KEYS[flap]));
            }
        }
        assertEquals(2, fills.get(), "the full set and the set without the flapping backend");
    }

    @Test
    void aWeightChangeRefillsTheTable() {
        List<Backend> healthy = List.of(backend("http://a", 1), backend("http://b", 1));
        Maglev maglev = maglev(SETTINGS, inPlace, healthy);
        List<Backend> reweighted = List.of(backend("http://a", 1), backend("http://b", 3));
        int toB = 0;
        for (long key : KEYS) {
            toB += maglev.pick(reweighted, HashedRequest.first(key)).url().equals("http://b") ? 1 : 0;
        }
        assertEquals(0.75, (double) toB / KEYS.length, 0.01);
    }

    @Test
    void aPickAllocatesNothing() {
        List<Backend> healthy = pool(100);
        Maglev maglev = maglev(SETTINGS, inPlace, healthy);
        HashedRequest[] requests = IntStream.range(0, 1_000).mapToObj(i -> HashedRequest.first(KEYS[i])).toArray(HashedRequest[]::new);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        for (HashedRequest request : requests) {
            maglev.pick(healthy, request);
        }
        long before = threads.getThreadAllocatedBytes(id);
        for (int round = 0; round < 100; round++) {
            for (HashedRequest request : requests) {
                maglev.pick(healthy, request);
            }
        }
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertTrue(allocated < 10_000, allocated + " bytes for 100,000 picks");
    }
}
