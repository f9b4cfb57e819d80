package dev.fulcrum.balancer;

import dev.fulcrum.balancer.MaglevTable.Member;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaglevTableTest {

    private static final int M = 65537;
    private static final int KEYS = 100_000;

    static List<Member> members(int count) {
        return IntStream.range(0, count).mapToObj(i -> new Member("http://10.0." + i / 250 + "." + i % 250 + ":8080", 1)).toList();
    }

    /** The names owning each slot: what a table means, whatever order its members came in. */
    static List<String> owners(MaglevTable table) {
        return IntStream.range(0, table.size()).mapToObj(slot -> table.members().get(table.memberAt(slot)).name()).toList();
    }

    static String ownerOf(MaglevTable table, long hash) {
        return table.members().get(table.memberAt(table.slotOf(hash))).name();
    }

    /** Request keys as the proxy hashes them (xxHash64, seeded), the same 100,000 in every test. */
    static long[] keys() {
        return IntStream.range(0, KEYS)
                .mapToLong(i -> XxHash64.hash(("client-" + i).getBytes(StandardCharsets.UTF_8), 0x46756c6372756dL))
                .toArray();
    }

    @Test
    void fillsAsEnvoyDoes() {
        // maglev_lb_test.cc, Basic: six hosts 127.0.0.1:90..95 in a table of 7.
        List<Member> hosts = IntStream.rangeClosed(90, 95).mapToObj(port -> new Member("127.0.0.1:" + port, 1)).toList();
        assertSlots(MaglevTable.fill(hosts, 7), 2, 4, 0, 1, 5, 0, 3);
        // BasicWithHostName: the same hosts named 90..95.
        List<Member> named = IntStream.rangeClosed(90, 95).mapToObj(port -> new Member(String.valueOf(port), 1)).toList();
        assertSlots(MaglevTable.fill(named, 7), 2, 5, 0, 3, 4, 1, 0);
        // Weighted: weights 1 and 2 in a table of 17 take 6 and 11 slots, in this order.
        MaglevTable weighted = MaglevTable.fill(List.of(new Member("127.0.0.1:90", 1), new Member("127.0.0.1:91", 2)), 17);
        assertSlots(weighted, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1);
        assertEquals(6, weighted.entries(0));
        assertEquals(11, weighted.entries(1));
    }

    private static void assertSlots(MaglevTable table, int... expected) {
        assertEquals(expected.length, table.size());
        for (int slot = 0; slot < expected.length; slot++) {
            assertEquals(expected[slot], table.memberAt(slot), "slot " + slot);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 10, 16, 50, 100, 1000})
    void equalWeightsGiveEveryMemberTheFloorOrTheCeilingOfAnEvenShare(int count) {
        MaglevTable table = MaglevTable.fill(members(count), M);
        for (int i = 0; i < count; i++) {
            int entries = table.entries(i);
            assertTrue(entries == M / count || entries == (M + count - 1) / count, i + " owns " + entries);
        }
    }

    @Test
    void theOrderOfTheMembersChangesNothing() {
        List<Member> members = new ArrayList<>(members(20));
        List<String> expected = owners(MaglevTable.fill(members, M));
        Random random = new Random(7);
        for (int round = 0; round < 5; round++) {
            Collections.shuffle(members, random);
            assertEquals(expected, owners(MaglevTable.fill(members, M)));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {5, 10, 16, 50, 100})
    void removingOneOfNMovesLittleMoreThanItsShareAndAlmostNoneOfTheOthers(int count) {
        long[] keys = keys();
        List<Member> all = members(count);
        MaglevTable before = MaglevTable.fill(all, M);
        for (int removed = 0; removed < Math.min(count, 8); removed++) {
            String gone = all.get(removed).name();
            List<Member> rest = new ArrayList<>(all);
            rest.remove(removed);
            MaglevTable after = MaglevTable.fill(rest, M);
            int moved = 0;
            int survivors = 0;
            int survivorsMoved = 0;
            for (long key : keys) {
                String was = ownerOf(before, key);
                boolean moves = !was.equals(ownerOf(after, key));
                moved += moves ? 1 : 0;
                if (!was.equals(gone)) {
                    survivors++;
                    survivorsMoved += moves ? 1 : 0;
                }
            }
            double movedShare = (double) moved / keys.length;
            double survivorShare = (double) survivorsMoved / survivors;
            assertTrue(movedShare <= 1.0 / count + 0.01, () -> "removing " + gone + " of " + count + " moved " + movedShare);
            assertTrue(survivorShare < 0.01, () -> "removing " + gone + " of " + count + " moved " + survivorShare
                    + " of the other backends' keys");
        }
    }

    @Test
    void tenMembersShareOneHundredThousandKeysWithinFivePercentOfEvenly() {
        MaglevTable table = MaglevTable.fill(members(10), M);
        int[] hits = new int[10];
        for (long key : keys()) {
            hits[table.memberAt(table.slotOf(key))]++;
        }
        for (int i = 0; i < 10; i++) {
            assertEquals(KEYS / 10.0, hits[i], KEYS / 10.0 * 0.05, "member " + i);
        }
    }

    @Test
    void weightsOneAndTwoTakeAThirdAndTwoThirdsOfTheTable() {
        MaglevTable table = MaglevTable.fill(List.of(new Member("http://a", 1), new Member("http://b", 2)), M);
        assertEquals(21_846, table.entries(0));
        assertEquals(43_691, table.entries(1));
    }

    @Test
    void aMemberOfTheSmallestWeightStillOwnsASlot() {
        // Envoy's LocalityWeightedLopsided: one host far heavier than 1,023 others.
        List<Member> members = new ArrayList<>(members(1023));
        members.add(new Member("http://heavy", 1_000_000));
        MaglevTable table = MaglevTable.fill(members, M);
        for (int i = 0; i < table.members().size(); i++) {
            boolean heavy = table.members().get(i).name().equals("http://heavy");
            assertEquals(heavy ? M - 1023 : 1, table.entries(i), table.members().get(i).name());
        }
    }

    @Test
    void aMemberThatComesBackGetsItsKeysBack() {
        List<Member> all = members(10);
        MaglevTable before = MaglevTable.fill(all, M);
        MaglevTable without = MaglevTable.fill(all.subList(1, 10), M);
        MaglevTable back = MaglevTable.fill(all, M);
        String returning = all.get(0).name();
        int owned = 0;
        for (long key : keys()) {
            if (ownerOf(before, key).equals(returning)) {
                owned++;
                assertTrue(!ownerOf(without, key).equals(returning));
                assertEquals(returning, ownerOf(back, key));
            }
        }
        assertTrue(owned > KEYS / 20, "owned " + owned);
    }

    @Test
    void hashesAreReadUnsigned() {
        MaglevTable table = MaglevTable.fill(members(3), 7);
        assertEquals(Long.remainderUnsigned(-1L, 7), table.slotOf(-1L));
        assertEquals(0, table.slotOf(0));
    }
}
