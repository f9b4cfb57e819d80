package dev.fulcrum.proxy;

import dev.fulcrum.accesslog.AccessLog;
import dev.fulcrum.accesslog.AccessLogEntry;
import dev.fulcrum.accesslog.AccessLogs;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.config.Cidr;
import dev.fulcrum.config.RouteAction;
import dev.fulcrum.routing.Route;
import dev.fulcrum.metrics.BackendMeters;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.micrometer.core.instrument.Counter;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Records every response once it is over, whoever gave it (a backend, or Fulcrum itself for a bad request or no
 * healthy backend): from the request's arrival to its response's last byte, counted in the meters of the backend
 * that answered or failed it, and written to the access log if there is one. One per proxy verticle, touched only
 * on its event loop.
 */
final class ResponseRecords {

    /** What is recorded for a response whose client went away before its status line was sent (NGINX's code). */
    static final int CLIENT_CLOSED_REQUEST = 499;

    private final Map<HttpServerRequest, Open> open = new IdentityHashMap<>();
    private final BackendMeters none;
    /** By {@link HttpVersion} ordinal (1.0, 1.1, 2), then plain (0) or TLS (1). */
    private final Counter[][] byProtocol;
    private final ClientTimeouts timeouts;
    private final AccessLogs accessLogs;
    private final Supplier<Routing> routing;
    private String idHeaderName;
    private CharSequence idHeader;

    ResponseRecords(BackendMeters none, Counter[][] byProtocol, ClientTimeouts timeouts, AccessLogs accessLogs,
                    Supplier<Routing> routing) {
        this.none = none;
        this.byProtocol = byProtocol;
        this.timeouts = timeouts;
        this.accessLogs = accessLogs;
        this.routing = routing;
    }

    /**
     * Call first for every request: it gets its ID, and its response is recorded when it ends, or when its
     * connection closes first.
     */
    void arrived(HttpServerRequest request) {
        CharSequence header = idHeader();
        String id = null;
        CharSequence freshIdHeader = null;
        if (header != null) {
            id = RequestIds.clientsOwn(request, header);
            if (id == null) {
                id = RequestIds.fresh();
                freshIdHeader = header;
            }
            request.response().headers().set(header, id);
        }
        Open record = new Open(System.nanoTime(), id, freshIdHeader, none);
        open.put(request, record);
        request.response().endHandler(ended -> ended(request, record));
    }

    /** The configured request-ID header as a pre-hashed name, or null when IDs are off; made again only on an edit. */
    CharSequence idHeader() {
        String name = routing.get().config().requestIdHeader();
        if (!name.equals(idHeaderName)) {
            idHeaderName = name;
            idHeader = name.isEmpty() ? null : HttpHeaders.createOptimized(name);
        }
        return idHeader;
    }

    /** The record of {@code request}, which an exchange keeps so that its outcome is noted without a lookup. */
    Open of(HttpServerRequest request) {
        return open.get(request);
    }

    private void ended(HttpServerRequest request, Open record) {
        open.remove(request);
        timeouts.requestEnded(request);
        HttpServerResponse response = request.response();
        long nanos = System.nanoTime() - record.arrivedNanos;
        int status = response.headWritten() ? response.getStatusCode() : CLIENT_CLOSED_REQUEST;
        record.meters.responded(status, nanos);
        if (request.version() != null) {
            byProtocol[request.version().ordinal()][request.isSSL() ? 1 : 0].increment();
        }
        AccessLog log = accessLogs.current();
        if (log != null) {
            log.log(entry(request, record, status, nanos, routing.get().config().trustedProxies()));
        }
    }

    private static AccessLogEntry entry(HttpServerRequest request, Open record, int status, long nanos,
                                        List<Cidr> trustedProxies) {
        return new AccessLogEntry(System.currentTimeMillis() - nanos / 1_000_000, record.id,
                ClientAddress.of(request, trustedProxies), request.method().name(), request.uri(),
                request.version() == null ? "HTTP/1.1" : protocol(request), status, request.response().bytesWritten(),
                nanos, record.route, record.pool, record.backend == null ? null : record.backend.url(), record.backendNanos,
                request.headers().get(HttpHeaders.USER_AGENT), request.headers().get(HttpHeaders.REFERER));
    }

    private static String protocol(HttpServerRequest request) {
        return switch (request.version()) {
            case HTTP_1_0 -> "HTTP/1.0";
            case HTTP_1_1 -> "HTTP/1.1";
            case HTTP_2 -> "HTTP/2.0";
        };
    }

    /** One request's record while its response is being given. */
    static final class Open {

        private final long arrivedNanos;
        private final String id;
        /** The ID header, when the ID is Fulcrum's own and has yet to reach the backend; else null. */
        private final CharSequence freshIdHeader;
        private BackendMeters meters;
        private Backend backend;
        private long backendNanos = -1;
        private Integer route;
        private String pool;

        private Open(long arrivedNanos, String id, CharSequence freshIdHeader, BackendMeters meters) {
            this.arrivedNanos = arrivedNanos;
            this.id = id;
            this.freshIdHeader = freshIdHeader;
            this.meters = meters;
        }

        /** Puts the request's ID on {@code toBackend} if Fulcrum made it (a client's own travels with its request). */
        void identify(HttpClientRequest toBackend) {
            if (freshIdHeader != null) {
                toBackend.putHeader(freshIdHeader, id);
            }
        }

        /**
         * The route table chose {@code chosen} (null: no routes in the config) and {@code to} (null: a redirect): a
         * response Fulcrum gives itself from here on counts in that pool's meters.
         */
        void routedTo(Route<RouteAction> chosen, PoolRouting to) {
            route = chosen == null ? null : chosen.index();
            if (to != null) {
                pool = to.name();
                if (backend == null) {
                    meters = to.none();
                }
            }
        }

        /** {@code answering} answered (its response's head is in) or failed the attempt, {@code nanos} after it was sent. */
        void answeredBy(Backend answering, long nanos) {
            backend = answering;
            meters = answering.meters();
            backendNanos = nanos;
        }
    }
}
