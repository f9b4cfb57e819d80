package dev.fulcrum.balancer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A Maglev lookup table (Eisenbud et al., NSDI 2016, §3.4, pseudocode 1), filled as Envoy fills it: each member
 * walks its own permutation of the slots ({@code offset = xxHash64(name) mod M}, {@code skip = xxHash64(name, seed 1)
 * mod (M - 1) + 1}), and the members take turns claiming the next free slot of theirs until all M are taken. A
 * key's backend is the member at slot {@code hash mod M}. M is prime, so every skip visits every slot.
 *
 * <p>Members are sorted by name before the fill, so the table depends only on the set of names and weights: the
 * order a config lists its servers in, or the order health checks report them, changes nothing, and two processes
 * with the same servers agree on every key. Immutable once built; built off the event loops ({@link MaglevTables}).
 */
public final class MaglevTable {

    /** A backend as the table knows it: its URL, which places it, and its weight, which sizes its share. */
    public record Member(String name, int weight) {
    }

    private final List<Member> members;
    /** Slot to member index (into {@link #members}). */
    private final int[] slots;
    private final int[] entries;

    private MaglevTable(List<Member> members, int[] slots, int[] entries) {
        this.members = members;
        this.slots = slots;
        this.entries = entries;
    }

    /**
     * Fills a table of {@code size} slots (a prime, at least the number of members) for {@code members} in any
     * order. Weighted as Envoy does it: on round {@code r} a member takes a slot only if {@code r * weight} has
     * reached its target, which then grows by the largest weight, so the heaviest member takes a slot every round
     * and one of a third of its weight every third round. Every member takes a slot in the first round.
     * (Envoy compares normalised doubles; the integers here are the same comparison scaled by the total weight,
     * without the rounding.)
     */
    public static MaglevTable fill(List<Member> members, int size) {
        if (members.isEmpty() || members.size() > size) {
            throw new IllegalArgumentException(members.size() + " members for a table of " + size);
        }
        List<Member> sorted = new ArrayList<>(members);
        sorted.sort(Comparator.comparing(Member::name));
        int count = sorted.size();
        int[] position = new int[count];
        int[] skip = new int[count];
        int[] weight = new int[count];
        long[] target = new long[count];
        int maxWeight = 0;
        for (int i = 0; i < count; i++) {
            byte[] name = sorted.get(i).name().getBytes(StandardCharsets.UTF_8);
            position[i] = (int) Long.remainderUnsigned(XxHash64.hash(name, 0), size);
            skip[i] = (int) Long.remainderUnsigned(XxHash64.hash(name, 1), size - 1) + 1;
            weight[i] = sorted.get(i).weight();
            maxWeight = Math.max(maxWeight, weight[i]);
        }
        int[] slots = new int[size];
        Arrays.fill(slots, -1);
        int[] entries = new int[count];
        int filled = 0;
        for (long round = 1; filled < size; round++) {
            for (int i = 0; i < count && filled < size; i++) {
                if (round * weight[i] < target[i]) {
                    continue;
                }
                target[i] += maxWeight;
                int slot = position[i];
                while (slots[slot] >= 0) {
                    slot = next(slot, skip[i], size);
                }
                slots[slot] = i;
                position[i] = next(slot, skip[i], size);
                entries[i]++;
                filled++;
            }
        }
        return new MaglevTable(List.copyOf(sorted), slots, entries);
    }

    private static int next(int slot, int skip, int size) {
        int next = slot + skip;
        return next >= size ? next - size : next;
    }

    /** The members, sorted by name: member indices refer to this list. */
    public List<Member> members() {
        return members;
    }

    public int size() {
        return slots.length;
    }

    /** The slot a key hashes to: its 64 bits read as unsigned, modulo the size. */
    public int slotOf(long hash) {
        return (int) Long.remainderUnsigned(hash, slots.length);
    }

    /** The index of the member that owns {@code slot}. */
    public int memberAt(int slot) {
        return slots[slot];
    }

    /** The slot after {@code slot}, wrapping: keys walk on from their own slot when its member cannot take them. */
    public int slotAfter(int slot) {
        return slot + 1 == slots.length ? 0 : slot + 1;
    }

    /** How many slots member {@code index} owns. */
    public int entries(int index) {
        return entries[index];
    }
}
