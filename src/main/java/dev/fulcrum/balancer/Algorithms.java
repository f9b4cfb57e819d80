package dev.fulcrum.balancer;

import java.util.SplittableRandom;

/** The selection policies by their config name ({@code "algorithm"}). */
public final class Algorithms {

    private Algorithms() {
    }

    /** A new instance for one event loop; names are validated by the config parser. */
    public static LoadBalancer create(String name) {
        return switch (name) {
            case "least-busy" -> new LeastBusy(new SplittableRandom());
            case "round-robin" -> new RoundRobin();
            default -> throw new IllegalArgumentException("unknown algorithm " + name);
        };
    }
}
