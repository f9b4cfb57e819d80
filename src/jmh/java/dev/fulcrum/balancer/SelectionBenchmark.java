package dev.fulcrum.balancer;

import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.config.ServerSpec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
import java.util.stream.IntStream;

/**
 * The cost of choosing a backend, per algorithm and pool size. Backends carry a few requests in flight each,
 * as under load, and every pick is given back at once so the loads stay put. For least-time every backend has
 * answered once, in 1 to 10 ms, so that picks read real estimates (one with no sample costs a little less).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SelectionBenchmark {

    @Param({"3", "100", "1000"})
    int backends;

    @Param({"least-busy", "round-robin", "least-time"})
    String algorithm;

    /** "equal": every weight 1; "mixed": weights 1 to 5. */
    @Param({"equal", "mixed"})
    String weights;

    private List<Backend> pool;
    private LoadBalancer balancer;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(7);
        pool = IntStream.range(0, backends).mapToObj(i -> {
            int weight = weights.equals("equal") ? 1 : 1 + i % 5;
            Backend backend = new Backend(new ServerSpec("http://b" + i, false, "b" + i, 80, "", weight), HealthState.HEALTHY);
            for (int load = random.nextInt(8); load > 0; load--) {
                backend.requestStarted();
            }
            return backend;
        }).toList();
        balancer = Algorithms.create(ConfigParser.parse(new JsonObject().put("algorithm", algorithm)
                .put("servers", new JsonArray().add("http://127.0.0.1:1")).encode()).pool("default"));
        pool.forEach(backend -> balancer.completed(backend, 1_000_000L + random.nextLong(9_000_000L), Outcome.ANSWERED));
    }

    @Benchmark
    public Backend pick() {
        Backend chosen = balancer.pick(pool);
        chosen.requestStarted();
        chosen.requestEnded();
        return chosen;
    }
}
