package dev.fulcrum.app;

import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.ErrorManager;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * In front of the console handler, so that hostile load cannot flood the log: expected network errors reported by
 * the libraries get the level an operator wants, and repeated warnings go through a {@link WarningThrottle}.
 */
final class ThrottledConsole extends Handler {

    private final Handler console;
    private final WarningThrottle throttle;
    private final ScheduledExecutorService summaries;

    private ThrottledConsole(Handler console, WarningThrottle throttle, Duration tick) {
        this.console = console;
        this.throttle = throttle;
        this.summaries = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "fulcrum-log-summaries");
            thread.setDaemon(true);
            return thread;
        });
        summaries.scheduleWithFixedDelay(this::printEndedWindows, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Every {@code tick}, a thread of its own prints the summary of a burst that has stopped (no later record of
     * its kind would): never an event loop, whose records only pass through.
     */
    static ThrottledConsole around(Handler console, LogFormat format, InstantSource clock, Duration tick) {
        return new ThrottledConsole(console, new WarningThrottle(clock, format::message), tick);
    }

    @Override
    public void publish(LogRecord record) {
        for (LogRecord print : throttle.admit(atExpectedLevel(record))) {
            console.publish(print);
        }
    }

    private void printEndedWindows() {
        try {
            throttle.windowsEnded().forEach(console::publish);
        } catch (RuntimeException e) {
            // Thrown out of here, it would cancel the schedule: the summaries would stop, silently.
            reportError("cannot print a summary of repeated warnings", e, ErrorManager.WRITE_FAILURE);
        }
    }

    /**
     * A peer that went away is FINE, below what the console prints: clients reset connections all day, and a
     * WARNING (let alone Vert.x's SEVERE) for each teaches an operator to skip the log. Running out of descriptors
     * or ports stays a WARNING, since the operator has to act (raise {@code ulimit -n}, widen the local port range),
     * but it is never SEVERE: nothing in Fulcrum broke. Fulcrum's own lines keep the level they were written with.
     * The libraries' reports: Vert.x logs an exception no handler took at SEVERE, a connection's with only its
     * message ({@code ConnectionBase.handleException}), a task's as "Unhandled exception"
     * ({@code ContextImpl.reportException}); Netty one that reached the end of a pipeline at WARNING
     * ({@code DefaultChannelPipeline}, as a failed accept does when descriptors run out).
     */
    static LogRecord atExpectedLevel(LogRecord record) {
        String logger = record.getLoggerName() == null ? "" : record.getLoggerName();
        if (record.getLevel().intValue() < Level.WARNING.intValue()
                || logger.equals("fulcrum") || logger.startsWith("fulcrum.")) {
            return record;
        }
        ExpectedNetworkError expected = record.getThrown() != null ? ExpectedNetworkError.in(record.getThrown())
                : record.getMessage() != null ? ExpectedNetworkError.inMessage(record.getMessage()) : null;
        if (expected == null) {
            return record;
        }
        Level level = expected.peerWentAway() ? Level.FINE : Level.WARNING;
        return level.equals(record.getLevel()) ? record : copy(record, level);
    }

    /** The record is shared with every handler after this one: changed, it would change for them too. */
    private static LogRecord copy(LogRecord record, Level level) {
        LogRecord copy = new LogRecord(level, record.getMessage());
        copy.setLoggerName(record.getLoggerName());
        copy.setParameters(record.getParameters());
        copy.setResourceBundle(record.getResourceBundle());
        copy.setResourceBundleName(record.getResourceBundleName());
        copy.setThrown(record.getThrown());
        copy.setInstant(record.getInstant());
        copy.setSequenceNumber(record.getSequenceNumber());
        copy.setLongThreadID(record.getLongThreadID());
        return copy;
    }

    @Override
    public void flush() {
        console.flush();
    }

    @Override
    public void close() {
        summaries.shutdownNow();
        console.close();
    }
}
