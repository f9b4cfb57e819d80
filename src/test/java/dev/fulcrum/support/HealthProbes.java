package dev.fulcrum.support;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;

/** Fulcrum's health probes, as a backend of a test's own making tells them from the requests it proxies. */
public final class HealthProbes {

    private HealthProbes() {
    }

    public static boolean isProbe(HttpServerRequest req) {
        return "fulcrum-health-check".equals(req.getHeader("user-agent"));
    }

    /** A request handler that answers probes 200, with no body, and gives every other request to {@code others}. */
    public static Handler<HttpServerRequest> answered(Handler<HttpServerRequest> others) {
        return req -> {
            if (isProbe(req)) {
                req.response().end();
            } else {
                others.handle(req);
            }
        };
    }
}
