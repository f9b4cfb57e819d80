package dev.fulcrum.balancer;

import dev.fulcrum.balancer.MaglevTable.Member;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The Maglev tables of one Fulcrum, shared by its event loops: a set of members (names and weights) is filled once,
 * however many event loops ask for it, and never on an event loop. Each loop keeps serving from the table it has
 * until the new one is done, which it learns by reading the future's state on its next pick (as Envoy's workers
 * read the snapshot the main thread publishes).
 *
 * <p>The fill runs on a builder thread of its own rather than on a Vert.x worker: the policies are made before
 * a verticle has a Vert.x context and stay free of Vert.x; one thread fills one table at a time, so a flapping
 * backend queues fills instead of taking several workers; and the thread is a daemon that ends after a while
 * idle, so there is nothing to stop with the Fulcrum and nothing left behind by one that was never stopped.
 * A table of 65,537 slots for 1,000 backends takes some 13 ms on a busy 2-core VM ({@code MaglevBenchmark}): an
 * event loop must not spend that, and a worker need not.
 */
public final class MaglevTables {

    /** Recent sets: a table comes back at once when a flapping backend (or two) returns to a set seen before. */
    static final int KEPT = 4;
    private static final long IDLE_SECONDS = 30;

    private final Executor builder;
    private final Map<Key, CompletableFuture<MaglevTable>> recent = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, CompletableFuture<MaglevTable>> eldest) {
            return size() > KEPT;
        }
    };

    private record Key(int size, List<Member> members) {
    }

    public MaglevTables() {
        this(builderThread());
    }

    /** Fills tables on {@code builder}: a test may run them in place, or hold them back to see the old table serve. */
    public MaglevTables(Executor builder) {
        this.builder = builder;
    }

    /**
     * The table of {@code size} slots for {@code members} (sorted by name, as {@link MaglevTable#fill} orders them),
     * done or under way. Called when an event loop sees a new healthy set, not per request.
     */
    public synchronized CompletableFuture<MaglevTable> table(List<Member> members, int size) {
        return recent.computeIfAbsent(new Key(size, List.copyOf(members)),
                key -> CompletableFuture.supplyAsync(() -> MaglevTable.fill(key.members(), key.size()), builder));
    }

    private static Executor builderThread() {
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, IDLE_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), task -> {
                    Thread thread = new Thread(task, "fulcrum-maglev-builder");
                    thread.setDaemon(true);
                    return thread;
                });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
