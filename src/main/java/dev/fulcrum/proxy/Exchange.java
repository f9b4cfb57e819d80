package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.httpproxy.ProxyContext;

import java.util.List;

/**
 * One proxied request's own state, kept as a single context attribute: the backend whose in-flight slot it
 * holds, the backend that already failed it (a retry goes elsewhere if it can), and the current attempt's wait
 * for its response. Everything here happens on the exchange's event loop, so plain fields suffice.
 */
final class Exchange {

    private static final String KEY = "fulcrum.exchange";

    private Backend backend;
    private Backend failedBackend;
    private boolean connectionBroke;
    private boolean opened;
    private HttpClientRequest request;
    private ResponseDeadlines.Wait wait;
    private boolean timedOut;
    /** Where the outcome is noted for metrics and the access log; null only if the request bypassed the records. */
    private final ResponseRecords.Open record;

    private Exchange(ResponseRecords.Open record) {
        this.record = record;
    }

    static Exchange begin(ProxyContext ctx, ResponseRecords.Open record) {
        Exchange exchange = new Exchange(record);
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
        opened = false;
    }

    /** A new attempt: the request is open on the backend's connection. */
    void sent(HttpClientRequest sent) {
        answered();
        request = sent;
        opened = true;
    }

    /** The current attempt got as far as a request on a backend connection; if not, nothing of it was sent. */
    boolean opened() {
        return opened;
    }

    /**
     * The client has sent the whole request of {@code attempt}: from now on its response is due within the timeout.
     * Nothing happens if that attempt is over already (answered early, failed, or replaced by a retry).
     */
    void awaitResponse(HttpClientRequest attempt, ResponseDeadlines deadlines) {
        if (attempt == request && wait == null) {
            wait = deadlines.start(() -> {
                // First: reset() fails the response at once, and the failure handler asks timedOut().
                timedOut = true;
                attempt.reset();
            });
        }
    }

    Backend backend() {
        return backend;
    }

    /** An attempt is about to be sent: the backend's time counts from here. */
    void sending() {
        if (record != null) {
            record.sending();
        }
    }

    /** The current attempt's backend (if one was chosen) answered or failed it: the response is counted as its. */
    void answeredBy(Backend answering) {
        if (answering != null && record != null) {
            record.answeredBy(answering);
        }
    }

    /** Gives the in-flight slot back; safe to call on every outcome, as only the first call counts. */
    void release() {
        if (backend != null) {
            backend.requestEnded();
            backend = null;
        }
        answered();
    }

    /** The current attempt is over (answered or failed): its deadline no longer matters. */
    void answered() {
        request = null;
        if (wait != null) {
            wait.cancel();
            wait = null;
        }
    }

    /**
     * The backend failed this exchange: a retry chooses another, or, when only the {@code connectionBroke} (the
     * backend itself may be fine), this one again if no other is healthy.
     */
    void retryAfter(Backend failed, boolean connectionBroke) {
        failedBackend = failed;
        this.connectionBroke = connectionBroke;
    }

    /** This attempt retries one whose connection broke: it must not take a pooled connection, which may be stale too. */
    boolean connectionBroke() {
        return connectionBroke;
    }

    boolean failedBefore(Backend candidate) {
        return candidate == failedBackend;
    }

    /** The backends this attempt may go to, out of the healthy ones. */
    List<Backend> candidates(List<Backend> healthy) {
        if (failedBackend == null) {
            return healthy;
        }
        List<Backend> others = healthy.stream().filter(backend -> backend != failedBackend).toList();
        return others.isEmpty() && connectionBroke ? healthy : others;
    }

    boolean retried() {
        return failedBackend != null;
    }

    boolean timedOut() {
        return timedOut;
    }
}
