package dev.fulcrum.app;

/** One readable line per log event: time, level, logger, message. */
final class Logging {

    private Logging() {
    }

    static void configure() {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$-7s [%3$s] %5$s%6$s%n");
    }
}
