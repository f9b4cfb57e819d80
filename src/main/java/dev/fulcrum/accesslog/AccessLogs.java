package dev.fulcrum.accesslog;

import dev.fulcrum.config.AccessLogSettings;

import java.util.Objects;

/**
 * The access log in use, shared by every proxy verticle: none, or one writer for the configured destination. An
 * edit of {@code accessLog} starts the new writer before the old one is closed, so no line is lost in between.
 */
public final class AccessLogs {

    private final Runnable dropped;
    private volatile AccessLog current;

    public AccessLogs(AccessLogSettings settings, Runnable dropped) {
        this.dropped = dropped;
        this.current = settings == null ? null : AccessLog.start(settings, dropped);
    }

    /** Null when there is no access log: one volatile read per request. */
    public AccessLog current() {
        return current;
    }

    /** Applies an edit of {@code accessLog}; the same settings keep the same writer. */
    public synchronized void use(AccessLogSettings settings) {
        AccessLog previous = current;
        if (Objects.equals(settings, previous == null ? null : previous.settings())) {
            return;
        }
        current = settings == null ? null : AccessLog.start(settings, dropped);
        if (previous != null) {
            previous.close();
        }
    }

    public void reopen() {
        AccessLog log = current;
        if (log != null) {
            log.reopen();
        }
    }

    public synchronized void close() {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
