package dev.fulcrum.app;

import java.util.Map;
import java.util.Properties;

/**
 * System properties Fulcrum runs with unless the operator sets them ({@code -Dname=value} wins). They must be
 * in place before the first Vert.x or Netty class loads.
 */
final class RuntimeDefaults {

    private static final Map<String, String> DEFAULTS = Map.of(
            // Netty 4.2 registers its allocator events with Flight Recorder on the first buffer it allocates,
            // which initialises JFR: about a third of a second before the first request on one core.
            "io.netty.jfr.enabled", "false",
            // Two clock reads per event-loop task, kept only for metrics Fulcrum does not collect.
            "vertx.disableContextTimings", "true");

    private RuntimeDefaults() {
    }

    static void apply(Properties properties) {
        DEFAULTS.forEach(properties::putIfAbsent);
    }
}
