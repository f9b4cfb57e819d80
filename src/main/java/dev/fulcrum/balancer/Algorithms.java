package dev.fulcrum.balancer;

import dev.fulcrum.config.PoolSettings;

import java.util.List;
import java.util.SplittableRandom;

/** The selection policies by their config name ({@code "algorithm"}). */
public final class Algorithms {

    private Algorithms() {
    }

    /**
     * A new instance for one event loop, as {@code config} says; names are validated by the config parser. Slow
     * start applies to the policies that weigh backends; the hashing ones keep their affinity and ignore it.
     */
    public static LoadBalancer create(PoolSettings config) {
        SlowStart slowStart = new SlowStart(config.slowStart(), System::nanoTime);
        return switch (config.algorithm()) {
            case "least-busy" -> new LeastBusy(new InFlightLoad(slowStart), new SplittableRandom());
            case "least-time" -> new LeastBusy(new ResponseTimeLoad(slowStart, System::nanoTime), new SplittableRandom());
            case "round-robin" -> new RoundRobin(slowStart);
            case "maglev", "ip-hash", "uri-hash" -> hashing(config, new MaglevTables(), List.of());
            default -> throw new IllegalArgumentException("unknown algorithm " + config.algorithm());
        };
    }

    /**
     * A new instance for one event loop of the Fulcrum that owns {@code backends}, for the pool {@code config}: the
     * hashing policies share its tables, and the table for the pool's healthy set starts filling now, before the
     * first request asks for it.
     */
    public static LoadBalancer create(PoolSettings config, BackendRegistry backends) {
        return config.hashing()
                ? hashing(config, backends.maglevTables(), backends.healthy(config.name())) : create(config);
    }

    private static LoadBalancer hashing(PoolSettings config, MaglevTables tables, List<Backend> healthy) {
        return new Maglev(config.hash(), tables, new LeastBusy(new SplittableRandom()), healthy);
    }

    /** Whether a policy made for {@code previous} serves {@code next} as it is, keeping its state (a rotation, a table). */
    public static boolean unchanged(PoolSettings previous, PoolSettings next) {
        return previous.algorithm().equals(next.algorithm()) && previous.hash().equals(next.hash())
                && previous.slowStart().equals(next.slowStart());
    }
}
