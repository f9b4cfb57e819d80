package dev.fulcrum.balancer;

import dev.fulcrum.balancer.MaglevTable.Member;
import dev.fulcrum.config.HashKey;
import dev.fulcrum.config.HashSettings;
import dev.fulcrum.config.ServerSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * Maglev: the cost of a pick (one slot read; with {@code hashBalanceFactor}, a walk when the key's backend is busy)
 * over 1,024 keys in turn, and the cost of filling a 65,537-slot table, which happens off the event loops.
 */
@BenchmarkMode(Mode.AverageTime)
public class MaglevBenchmark {

    private static final int KEYS = 1024;

    /** A request whose key is the next of the 1,024. */
    static final class Keyed implements RequestView {
        final long[] hashes = new SplittableRandom(5).longs(KEYS).toArray();
        int next;

        @Override
        public boolean hasHashKey() {
            return true;
        }

        @Override
        public long hashKey() {
            return hashes[next++ & (KEYS - 1)];
        }

        @Override
        public int attempt() {
            return 0;
        }
    }

    @State(Scope.Thread)
    public static class Picking {
        @Param({"3", "100", "1000"})
        int backends;

        /** 0: unbounded; 150: bounded load, with every backend carrying 0 to 7 requests as in SelectionBenchmark. */
        @Param({"0", "150"})
        int balanceFactor;

        List<Backend> pool;
        Maglev maglev;
        final Keyed request = new Keyed();

        @Setup(Level.Trial)
        public void setUp() {
            SplittableRandom random = new SplittableRandom(7);
            AtomicInteger poolInFlight = new AtomicInteger();
            pool = IntStream.range(0, backends).mapToObj(i -> {
                Backend backend = new Backend(new ServerSpec("http://b" + i, false, "b" + i, 80, "", 1), HealthState.HEALTHY,
                        poolInFlight);
                for (int load = random.nextInt(8); load > 0; load--) {
                    backend.requestStarted();
                }
                return backend;
            }).toList();
            HashSettings settings = new HashSettings(HashKey.CLIENT_IP, HashSettings.DEFAULT_TABLE_SIZE, balanceFactor);
            maglev = new Maglev(settings, new MaglevTables(Runnable::run), new LeastBusy(new SplittableRandom(1)), pool);
        }
    }

    @State(Scope.Benchmark)
    public static class Filling {
        @Param({"1000"})
        int members;

        List<Member> list;

        @Setup(Level.Trial)
        public void setUp() {
            list = IntStream.range(0, members).mapToObj(i -> new Member("http://10.0." + i / 250 + "." + i % 250 + ":8080", 1)).toList();
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public Backend pick(Picking state) {
        Backend chosen = state.maglev.pick(state.pool, state.request);
        chosen.requestStarted();
        chosen.requestEnded();
        return chosen;
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public MaglevTable fill(Filling state) {
        return MaglevTable.fill(state.list, HashSettings.DEFAULT_TABLE_SIZE);
    }
}
