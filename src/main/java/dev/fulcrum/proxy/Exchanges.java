package dev.fulcrum.proxy;

import io.vertx.core.http.HttpConnection;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The exchanges one proxy verticle has in progress, and, from the moment shutdown begins, how each one ended.
 * During the drain it also knows which client connections were told {@code Connection: close}. Touched only
 * on the verticle's event loop.
 */
final class Exchanges {

    private int active;
    private boolean counting;
    private boolean draining;
    private long drainDeadlineNanos;
    private int finished;
    private int cutOff;
    private final Set<HttpConnection> toldToClose = Collections.newSetFromMap(new IdentityHashMap<>());

    void started() {
        active++;
    }

    void ended(boolean delivered) {
        active--;
        if (counting) {
            if (delivered) {
                finished++;
            } else {
                cutOff++;
            }
        }
    }

    /** Shutdown has begun: every exchange that ends from now on is reported, also during the shutdown delay. */
    void count() {
        counting = true;
    }

    /** The listener stops accepting; exchanges still running after {@code timeout} will be cut off. */
    void drain(long timeoutNanos) {
        counting = true;
        draining = true;
        drainDeadlineNanos = System.nanoTime() + timeoutNanos;
    }

    boolean draining() {
        return draining;
    }

    /** Ended by its own side, rather than cut off at the drain's deadline. */
    boolean beforeDeadline() {
        return !draining || System.nanoTime() - drainDeadlineNanos < 0;
    }

    /**
     * A response on {@code connection} said {@code Connection: close}: no later request on it may be served.
     * Kept until the verticle stops: only connections of the drain, which all close by its end, are added.
     */
    void toldToClose(HttpConnection connection) {
        toldToClose.add(connection);
    }

    boolean wasToldToClose(HttpConnection connection) {
        return toldToClose.contains(connection);
    }

    int active() {
        return active;
    }

    Drained drained() {
        return new Drained(finished, cutOff);
    }
}
