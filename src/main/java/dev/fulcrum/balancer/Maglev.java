package dev.fulcrum.balancer;

import dev.fulcrum.balancer.MaglevTable.Member;
import dev.fulcrum.config.HashSettings;

import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Hash affinity ({@code maglev}, {@code ip-hash}, {@code uri-hash}): a request goes to the backend that owns its
 * key's slot in the Maglev table of the healthy backends, so a key keeps its backend, and when one backend goes down
 * only its keys move (plus Maglev's ~1 % of the others'). A request without the key is balanced least-busy.
 *
 * <p>The table is filled off the event loop and shared ({@link MaglevTables}); until the one for a new healthy set
 * is done, the previous table keeps serving, restricted to the backends still healthy: a key whose backend is
 * gone walks on from its slot to the next healthy one. A retry that must avoid the key's backend jumps as Envoy's
 * does ({@code hash ^ (~0 - attempt + 1)}) and walks on from there, so it too is the same for the same key.
 * With {@code hashBalanceFactor} a key whose backend is full walks on to the next one with room
 * ({@link BoundedLoad}): its spill order is its own walk along the table, and it comes back when the load falls.
 *
 * <p>In the steady state a pick is one slot read and allocates nothing; the walks are bounded by the number of
 * healthy backends, each visited once.
 */
public final class Maglev implements LoadBalancer {

    private final int tableSize;
    private final MaglevTables tables;
    /** Null when unbounded. */
    private final BoundedLoad bound;
    private final LoadBalancer keyless;

    /** The healthy set last seen on a first attempt, and its total weight. */
    private List<Backend> healthy = List.of();
    private long healthyWeight;
    /** The table being filled for {@link #healthy}, and its backends by member index; null once it serves. */
    private CompletableFuture<MaglevTable> wanted;
    private Backend[] wantedBackends;

    /** The table serving now, its backends by member index, and which of them are in {@link #healthy}. */
    private MaglevTable table;
    private Backend[] backends;
    private boolean[] usable;
    private int usableCount;
    /** Marks the backends a walk has visited, with the walk's number, so that no walk allocates. */
    private int[] visited;
    private int walks;

    /** {@code healthy}: the set to fill a table for at once, before the first request asks (may be empty). */
    public Maglev(HashSettings settings, MaglevTables tables, LoadBalancer keyless, List<Backend> healthy) {
        this.tableSize = settings.tableSize();
        this.tables = tables;
        this.bound = settings.bounded() ? new BoundedLoad(settings.balanceFactor()) : null;
        this.keyless = keyless;
        follow(healthy);
    }

    @Override
    public Backend pick(List<Backend> candidates, RequestView request) {
        if (candidates.isEmpty()) {
            return null;
        }
        // A first attempt is given the healthy set itself; a retry, that set less the backend it avoids.
        if (request.attempt() == 0 && candidates != healthy) {
            follow(candidates);
        }
        if (!request.hasHashKey()) {
            return keyless.pick(candidates, request);
        }
        if (wanted != null) {
            promote();
        }
        Backend chosen = usableCount == 0 ? null : choose(candidates, request.hashKey(), request.attempt());
        return chosen != null ? chosen : keyless.pick(candidates, request);
    }

    private Backend choose(List<Backend> candidates, long hash, int attempt) {
        boolean everyHealthy = candidates == healthy;
        int home = table.slotOf(hash);
        Backend owner = usableAt(home, candidates, everyHealthy);
        // An idle backend is within any bound (every capacity is at least 1).
        if (owner != null && (bound == null || owner.inFlight() == 0)) {
            return owner;
        }
        // O(1) whatever the pool's size: its load is one count shared by its backends (its draining ones' requests
        // included, which loosens the bound a little), and its weight the healthy set's, also for a retry whose
        // candidates lack one backend (which tightens it a little; the walk below still finds the least loaded).
        long poolInFlight = 0;
        long poolWeight = healthyWeight;
        if (bound != null) {
            poolInFlight = candidates.get(0).poolInFlight();
            if (owner != null && bound.admits(owner, poolInFlight, poolWeight)) {
                return owner;
            }
        }
        // A first attempt walks on from its own slot (~0 - 0 + 1 is 0); a retry jumps first.
        int start = table.slotOf(hash ^ (~0L - attempt + 1));
        return walk(start, candidates, everyHealthy, poolInFlight, poolWeight);
    }

    /**
     * The first backend from {@code start} on that may take the request, each usable backend visited once; with
     * a bound and none within it (loads moved under the walk), the least overloaded, as Envoy does.
     */
    private Backend walk(int start, List<Backend> candidates, boolean everyHealthy, long poolInFlight, long poolWeight) {
        int walk = ++walks;
        if (walk == Integer.MAX_VALUE) {
            Arrays.fill(visited, 0);
            walks = 0;
        }
        Backend leastOverloaded = null;
        long leastInFlight = 0;
        long leastCapacity = 1;
        int seen = 0;
        for (int slot = start; seen < usableCount; slot = table.slotAfter(slot)) {
            int member = table.memberAt(slot);
            if (!usable[member] || visited[member] == walk) {
                continue;
            }
            visited[member] = walk;
            seen++;
            Backend backend = backends[member];
            if (!everyHealthy && !candidates.contains(backend)) {
                continue;
            }
            if (bound == null) {
                return backend;
            }
            long inFlight = backend.inFlight();
            long capacity = bound.capacity(backend.weight(), poolInFlight, poolWeight);
            if (inFlight < capacity) {
                return backend;
            }
            if (leastOverloaded == null || inFlight * leastCapacity < leastInFlight * capacity) {
                leastOverloaded = backend;
                leastInFlight = inFlight;
                leastCapacity = capacity;
            }
        }
        return leastOverloaded;
    }

    private Backend usableAt(int slot, List<Backend> candidates, boolean everyHealthy) {
        int member = table.memberAt(slot);
        if (!usable[member]) {
            return null;
        }
        Backend backend = backends[member];
        return everyHealthy || candidates.contains(backend) ? backend : null;
    }

    /** A new healthy set: ask for its table, and keep serving the current one for the backends still in the set. */
    private void follow(List<Backend> next) {
        healthy = next;
        healthyWeight = next.stream().mapToLong(Backend::weight).sum();
        if (next.isEmpty()) {
            wanted = null;
            restrictTo(next);
            return;
        }
        Backend[] sorted = next.toArray(Backend[]::new);
        Arrays.sort(sorted, Comparator.comparing(Backend::url));
        List<Member> members = Arrays.stream(sorted).map(backend -> new Member(backend.url(), backend.weight())).toList();
        if (table != null && table.members().equals(members)) {
            wanted = null;
            serve(table, sorted);
            return;
        }
        wanted = tables.table(members, tableSize);
        wantedBackends = sorted;
        restrictTo(next);
        promote();
    }

    private void promote() {
        MaglevTable built = wanted.getNow(null);
        if (built != null) {
            serve(built, wantedBackends);
            wanted = null;
            wantedBackends = null;
        }
    }

    private void serve(MaglevTable next, Backend[] members) {
        table = next;
        backends = members;
        usable = new boolean[members.length];
        Arrays.fill(usable, true);
        usableCount = members.length;
        visited = new int[members.length];
        walks = 0;
    }

    private void restrictTo(List<Backend> next) {
        if (table == null) {
            return;
        }
        Set<Backend> now = Collections.newSetFromMap(new IdentityHashMap<>());
        now.addAll(next);
        usableCount = 0;
        for (int i = 0; i < backends.length; i++) {
            usable[i] = now.contains(backends[i]);
            usableCount += usable[i] ? 1 : 0;
        }
    }
}
