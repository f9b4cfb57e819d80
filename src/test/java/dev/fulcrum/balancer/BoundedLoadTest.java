package dev.fulcrum.balancer;

import dev.fulcrum.config.HashKey;
import dev.fulcrum.config.HashSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BoundedLoadTest {

    private static final long[] KEYS = MaglevTableTest.keys();

    private final MaglevTables inPlace = new MaglevTables(Runnable::run);

    static HashSettings bounded(int factor) {
        return new HashSettings(HashKey.CLIENT_IP, HashSettings.DEFAULT_TABLE_SIZE, factor);
    }

    @ParameterizedTest(name = "factor {0}, {1} in flight, weight {2} of {3}: at most {4}")
    @CsvSource({
            "150, 3, 1, 3, 2",     // 1.5 x 4 / 3 = 2
            "125, 10, 1, 4, 4",    // 1.25 x 11 / 4 = 3.44
            "100, 5, 2, 3, 4",     // 1 x 6 x 2/3 = 4, not rounded up further
            "200, 0, 1, 10, 1",    // 2 x 1 / 10 = 0.2: an idle pool admits anywhere
            "100, 0, 1, 1, 1",
            "175, 99, 3, 12, 44",  // 1.75 x 100 x 3/12 = 43.75
    })
    void capacityIsTheCeilingOfTheFactorTimesThePoolsLoadPlusOneTimesTheWeightShare(
            int factor, long inFlight, int weight, long poolWeight, long capacity) {
        assertEquals(capacity, new BoundedLoad(factor).capacity(weight, inFlight, poolWeight));
    }

    /** The backends a key's walk along the table meets after its own, in order, each once. */
    static List<String> spillOrder(MaglevTable table, long key) {
        List<String> order = new ArrayList<>();
        int slot = table.slotOf(key);
        for (int step = 0; step < table.size() && order.size() < table.members().size(); step++, slot = table.slotAfter(slot)) {
            String name = table.members().get(table.memberAt(slot)).name();
            if (!order.contains(name)) {
                order.add(name);
            }
        }
        return order;
    }

    static Backend named(List<Backend> pool, String url) {
        return pool.stream().filter(b -> b.url().equals(url)).findFirst().orElseThrow();
    }

    @Test
    void aFullBackendsKeySpillsToTheNextOfItsOwnOrderAndComesBackWhenTheLoadFalls() {
        List<Backend> pool = MaglevTest.pool(4);
        Maglev maglev = MaglevTest.maglev(bounded(150), inPlace, pool);
        List<String> order = spillOrder(MaglevTest.tableOf(pool), KEYS[0]);
        Backend home = named(pool, order.get(0));
        assertSame(home, maglev.pick(pool, HashedRequest.first(KEYS[0])));

        // One in flight and the pool otherwise idle: 1.5 x 2 / 4 rounds up to 1, so home is full.
        MaglevTest.load(home, 1);
        Backend spilled = maglev.pick(pool, HashedRequest.first(KEYS[0]));
        assertSame(named(pool, order.get(1)), spilled);
        // Both carry 2 now, 4 in all: 1.5 x 5 / 4 rounds up to 2, both are full, and the key goes on to the third.
        MaglevTest.load(spilled, 2);
        MaglevTest.load(home, 1);
        assertSame(named(pool, order.get(2)), maglev.pick(pool, HashedRequest.first(KEYS[0])));

        home.requestEnded();
        home.requestEnded();
        assertSame(home, maglev.pick(pool, HashedRequest.first(KEYS[0])));
    }

    @Test
    void keysOfOneBackendSpillAlongOrdersOfTheirOwn() {
        List<Backend> pool = MaglevTest.pool(10);
        Maglev maglev = MaglevTest.maglev(bounded(125), inPlace, pool);
        MaglevTable table = MaglevTest.tableOf(pool);
        String full = spillOrder(table, KEYS[0]).get(0);
        MaglevTest.load(named(pool, full), 1);
        Set<String> spilledTo = new HashSet<>();
        for (long key : KEYS) {
            List<String> order = spillOrder(table, key);
            if (order.get(0).equals(full)) {
                String to = maglev.pick(pool, HashedRequest.first(key)).url();
                assertEquals(order.get(1), to);
                spilledTo.add(to);
            }
        }
        assertEquals(9, spilledTo.size(), "one full backend's keys spread over all the others: " + spilledTo);
    }

    @Test
    void noBackendEverCarriesMoreThanItsCapacity() {
        AtomicInteger poolInFlight = new AtomicInteger();
        List<Backend> pool = List.of(MaglevTest.backend("http://a", 1, poolInFlight),
                MaglevTest.backend("http://b", 1, poolInFlight), MaglevTest.backend("http://c", 2, poolInFlight),
                MaglevTest.backend("http://d", 1, poolInFlight), MaglevTest.backend("http://e", 3, poolInFlight));
        BoundedLoad bound = new BoundedLoad(125);
        Maglev maglev = MaglevTest.maglev(bounded(125), inPlace, pool);
        SplittableRandom random = new SplittableRandom(11);
        List<Backend> sent = new ArrayList<>();
        long hot = KEYS[0];
        Backend hotHome = maglev.pick(pool, HashedRequest.first(hot));
        int hotSpilled = 0;
        for (int i = 0; i < 20_000; i++) {
            long inFlight = pool.stream().mapToLong(Backend::inFlight).sum();
            long key = random.nextBoolean() ? hot : KEYS[random.nextInt(KEYS.length)];
            Backend chosen = maglev.pick(pool, HashedRequest.first(key));
            long capacity = bound.capacity(chosen.weight(), inFlight, 8);
            assertTrue(chosen.inFlight() + 1 <= capacity, chosen + " would carry " + (chosen.inFlight() + 1) + " > " + capacity);
            hotSpilled += key == hot && chosen != hotHome ? 1 : 0;
            chosen.requestStarted();
            sent.add(chosen);
            // Requests end at random, about as fast as they come once some 40 are in flight.
            while (!sent.isEmpty() && random.nextInt(40) < sent.size() / 2 + 1 && random.nextInt(3) > 0) {
                sent.remove(random.nextInt(sent.size())).requestEnded();
            }
        }
        assertTrue(hotSpilled > 1_000, "the hot key spilled " + hotSpilled + " times");
    }

    @Test
    void unboundedAKeyStaysWhateverTheLoad() {
        List<Backend> pool = MaglevTest.pool(4);
        Maglev maglev = MaglevTest.maglev(HashSettings.DEFAULT, inPlace, pool);
        Backend home = maglev.pick(pool, HashedRequest.first(KEYS[0]));
        MaglevTest.load(home, 1_000);
        assertSame(home, maglev.pick(pool, HashedRequest.first(KEYS[0])));
    }
}
