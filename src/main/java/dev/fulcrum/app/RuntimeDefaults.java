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
            "vertx.disableContextTimings", "true",
            // An event-loop turn releases more pooled objects (write entries, buffers) than Netty's per-thread
            // batch of 32 holds once many connections are busy; the rest went through a concurrent queue, with a
            // Thread.getState() call each: 5-6 % more CPU per request than with a batch of 256.
            "io.netty.recycler.chunkSize", "256",
            // io_uring's completion queue holds 4,096 events by default: with thousands of client connections an
            // event-loop turn completed more, and every overflow was logged as a warning. 16,384 take 256 KiB.
            "io.netty.iouring.cqSize", "16384",
            // A multishot accept goes on accepting after the listener stops reading: at maxConnections a flood was
            // accepted whole, past the descriptor limit. One accept at a time stops where it is told to.
            "io.netty.iouring.acceptMultiShotEnabled", "false");

    private RuntimeDefaults() {
    }

    static void apply(Properties properties) {
        DEFAULTS.forEach(properties::putIfAbsent);
    }
}
