package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.httpproxy.ProxyContext;

/**
 * One proxied request's own state, kept as a single context attribute: the backend whose in-flight slot it
 * holds, the backend that already failed it (a retry goes elsewhere), and its response deadline. Everything
 * here happens on the exchange's event loop, so plain fields suffice.
 */
final class Exchange {

    private static final String KEY = "fulcrum.exchange";

    private Backend backend;
    private Backend failedBackend;
    private HttpClientRequest request;
    private long deadlineNanos;
    private boolean answered;
    private boolean timedOut;

    static Exchange begin(ProxyContext ctx) {
        Exchange exchange = new Exchange();
        ctx.set(KEY, exchange);
        return exchange;
    }

    static Exchange of(ProxyContext ctx) {
        return ctx.get(KEY, Exchange.class);
    }

    /** Takes an in-flight slot on {@code chosen}: from now on it counts as busier. */
    void take(Backend chosen) {
        chosen.requestStarted();
        backend = chosen;
    }

    /** The request is open on the backend's connection and must be answered by {@code deadline}. */
    void sent(HttpClientRequest sent, long deadline) {
        request = sent;
        deadlineNanos = deadline;
        answered = false;
    }

    Backend backend() {
        return backend;
    }

    /** Gives the in-flight slot back; safe to call on every outcome, as only the first call counts. */
    void release() {
        if (backend != null) {
            backend.requestEnded();
            backend = null;
        }
        answered();
    }

    /**
     * The deadline no longer matters. The request is let go at once: the deadline queue keeps this object for
     * up to a sweep period, and must not keep the whole exchange alive with it.
     */
    void answered() {
        answered = true;
        request = null;
    }

    /** The backend failed this exchange; a retry must choose another. */
    void avoid(Backend failed) {
        failedBackend = failed;
    }

    Backend failedBackend() {
        return failedBackend;
    }

    boolean retried() {
        return failedBackend != null;
    }

    boolean timedOut() {
        return timedOut;
    }

    /** Still waiting for response headers after the deadline: give up on the backend (504). */
    boolean expireIfDue(long now) {
        if (answered) {
            return true;
        }
        if (now - deadlineNanos < 0) {
            return false;
        }
        timedOut = true;
        HttpClientRequest unanswered = request;
        answered();
        unanswered.reset();
        return true;
    }
}
