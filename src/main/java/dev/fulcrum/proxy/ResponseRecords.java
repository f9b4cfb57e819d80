package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.metrics.BackendMeters;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Records every response once it is over, whoever gave it (a backend, or Fulcrum itself for a bad request or no
 * healthy backend): from the request's arrival to its response's last byte, counted in the meters of the backend
 * that answered or failed it. One per proxy verticle, touched only on its event loop.
 */
final class ResponseRecords {

    /** What is counted for a response whose client went away before its status line was sent (NGINX's code). */
    static final int CLIENT_CLOSED_REQUEST = 499;

    private final Map<HttpServerRequest, Open> open = new IdentityHashMap<>();
    private final BackendMeters none;
    private final ClientTimeouts timeouts;

    ResponseRecords(BackendMeters none, ClientTimeouts timeouts) {
        this.none = none;
        this.timeouts = timeouts;
    }

    /** Call first for every request: its response is recorded when it ends, or when its connection closes first. */
    void arrived(HttpServerRequest request) {
        Open record = new Open(System.nanoTime(), none);
        open.put(request, record);
        request.response().endHandler(ended -> ended(request, record));
    }

    /** {@code backend} answered {@code request}, or failed it (the 502 or 504 is then its). */
    void answeredBy(HttpServerRequest request, Backend backend) {
        Open record = open.get(request);
        if (record != null) {
            record.meters = backend.meters();
        }
    }

    private void ended(HttpServerRequest request, Open record) {
        open.remove(request);
        timeouts.requestEnded(request);
        HttpServerResponse response = request.response();
        int status = response.headWritten() ? response.getStatusCode() : CLIENT_CLOSED_REQUEST;
        record.meters.responded(status, System.nanoTime() - record.arrivedNanos);
    }

    private static final class Open {

        final long arrivedNanos;
        BackendMeters meters;

        Open(long arrivedNanos, BackendMeters meters) {
            this.arrivedNanos = arrivedNanos;
            this.meters = meters;
        }
    }
}
