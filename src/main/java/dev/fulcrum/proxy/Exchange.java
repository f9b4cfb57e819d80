package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.config.Cidr;
import dev.fulcrum.config.PoolSettings;
import dev.fulcrum.config.RouteAction;
import dev.fulcrum.routing.Route;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;
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
    private long sentNanos;
    private BalancedRequest view;
    private Route<RouteAction> route;
    private PoolRouting pool;
    private String target;

    private Exchange(ResponseRecords.Open record) {
        this.record = record;
    }

    /** The request's ID goes on {@code toBackend} if Fulcrum made it; see {@link ResponseRecords.Open#identify}. */
    void identify(HttpClientRequest toBackend) {
        if (record != null) {
            record.identify(toBackend);
        }
    }

    static Exchange begin(ProxyContext ctx, ResponseRecords.Open record) {
        Exchange exchange = new Exchange(record);
        ctx.set(KEY, exchange);
        return exchange;
    }

    static Exchange of(ProxyContext ctx) {
        return ctx.get(KEY, Exchange.class);
    }

    /**
     * The route table chose {@code route} (null: the config has none) and {@code pool} (null for a redirect), and
     * the backend is sent {@code target} (null: the client's own target).
     */
    void routeTo(Route<RouteAction> route, PoolRouting pool, String target) {
        this.route = route;
        this.pool = pool;
        this.target = target;
        if (record != null) {
            record.routedTo(route, pool);
        }
    }

    Route<RouteAction> route() {
        return route;
    }

    /** The pool as it was when the request arrived: a retry takes its current state by this name. */
    PoolRouting pool() {
        return pool;
    }

    /** The request target the route rewrote the client's to, or null when it is the client's own. */
    String target() {
        return target;
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
        sentNanos = System.nanoTime();
    }

    /**
     * The current attempt's backend answered or failed it: the response is counted as its. Returns how long after
     * the attempt was sent.
     */
    long answeredBy(Backend answering) {
        long nanos = System.nanoTime() - sentNanos;
        if (record != null) {
            record.answeredBy(answering, nanos);
        }
        return nanos;
    }

    /** What the policy may know of this request, made at the first pick and kept for a retry. */
    BalancedRequest view(HttpServerRequest client, PoolSettings settings, List<Cidr> trustedProxies) {
        if (view == null) {
            view = new BalancedRequest(client, settings.hash().key(), trustedProxies);
        }
        view.attempt(failedBackend == null ? 0 : 1);
        return view;
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
