package dev.fulcrum.balancer;

import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.config.FulcrumConfig;

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
    public static LoadBalancer create(FulcrumConfig config) {
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
     * A new instance for one event loop of the Fulcrum that owns {@code backends}: the hashing policies share its
     * tables, and the table for its healthy set starts filling now, before the first request asks for it.
     */
    public static LoadBalancer create(FulcrumConfig config, BackendRegistry backends) {
        return ConfigParser.HASHING.contains(config.algorithm())
                ? hashing(config, backends.maglevTables(), backends.healthy()) : create(config);
    }

    private static LoadBalancer hashing(FulcrumConfig config, MaglevTables tables, List<Backend> healthy) {
        return new Maglev(config.hash(), tables, new LeastBusy(new SplittableRandom()), healthy);
    }

    /** Whether a policy made for {@code previous} serves {@code next} as it is, keeping its state (a rotation, a table). */
    public static boolean unchanged(FulcrumConfig previous, FulcrumConfig next) {
        return previous.algorithm().equals(next.algorithm()) && previous.hash().equals(next.hash())
                && previous.slowStart().equals(next.slowStart());
    }
}
