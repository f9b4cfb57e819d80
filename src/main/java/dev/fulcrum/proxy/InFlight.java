package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import io.vertx.httpproxy.ProxyContext;

/**
 * The in-flight slot a proxied exchange holds on its backend. Taken when a backend is chosen, given back
 * exactly once whatever the outcome; both happen on the exchange's own event loop, so a context attribute
 * is enough to make the release idempotent.
 */
final class InFlight {

    private static final String BACKEND = "fulcrum.backend";

    private InFlight() {
    }

    static void take(ProxyContext ctx, Backend backend) {
        backend.requestStarted();
        ctx.set(BACKEND, backend);
    }

    static Backend of(ProxyContext ctx) {
        return ctx.get(BACKEND, Backend.class);
    }

    static void release(ProxyContext ctx) {
        Backend backend = of(ctx);
        if (backend != null) {
            ctx.set(BACKEND, null);
            backend.requestEnded();
        }
    }
}
