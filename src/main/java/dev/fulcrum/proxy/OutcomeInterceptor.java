package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.Outcome;
import dev.fulcrum.health.PassiveFailure;
import dev.fulcrum.health.LocalResources;
import dev.fulcrum.health.TlsFailure;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.MediaType;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;

import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Routes every exchange ({@link RouteStep}, {@link RouteHeaders}) and sees it end. A failure to reach a backend
 * is counted against it (passive health), retried once
 * on another backend when that is safe, and otherwise turned into a short error response that says which
 * side failed. The backend's in-flight slot is given back on every outcome (response sent, client gone,
 * backend error). Registered for WebSocket upgrades too, or an upgrade would never give its slot back.
 */
final class OutcomeInterceptor implements ProxyInterceptor {

    private static final Logger LOG = Logger.getLogger("fulcrum");
    private static final MediaType PLAIN_TEXT = MediaType.parse("text/plain; charset=utf-8");

    private final BackendOrigin origin;
    private final EventBus bus;
    private final Supplier<Routing> routing;
    private final Exchanges exchanges;
    private final ResponseRecords records;
    private final RouteStep routes;
    private final StickySessions sticky;

    OutcomeInterceptor(BackendOrigin origin, EventBus bus, Supplier<Routing> routing, Exchanges exchanges,
                       ResponseRecords records, StickySessions sticky) {
        this.records = records;
        this.routes = new RouteStep(routing, sticky);
        this.sticky = sticky;
        this.origin = origin;
        this.bus = bus;
        this.routing = routing;
        this.exchanges = exchanges;
    }

    @Override
    public Future<ProxyResponse> handleProxyRequest(ProxyContext ctx) {
        exchanges.started();
        Exchange exchange = Exchange.begin(ctx, records.of(ctx.request().proxiedRequest()));
        ProxyResponse answer = routes.route(ctx, exchange);
        if (answer != null) {
            return Future.succeededFuture(answer);
        }
        RouteHeaders.onRequest(ctx, exchange);
        sticky.requested(ctx, exchange.pool());
        dropEmptyBody(ctx);
        exchange.sending();
        return ctx.sendRequest().compose(response -> answered(ctx, exchange, response), error -> failed(ctx, exchange, error));
    }

    @Override
    public Future<Void> handleProxyResponse(ProxyContext ctx) {
        Exchange exchange = Exchange.of(ctx);
        RouteHeaders.onResponse(ctx, exchange);
        if (ctx.isWebSocket() && ctx.response().getStatusCode() == 101) {
            // An open WebSocket is in flight until either side closes it; the proxy ties both ends together,
            // so the backend connection closes when either does.
            ctx.response().proxiedResponse().request().connection().closeHandler(closed -> {
                exchange.release();
                exchanges.ended(exchanges.beforeDeadline());
            });
            return ctx.sendResponse();
        }
        sticky.responding(ctx, exchange.pool(), exchange.backend());
        return ctx.sendResponse().andThen(done -> {
            exchange.release();
            exchanges.ended(done.succeeded());
        });
    }

    private Future<ProxyResponse> answered(ProxyContext ctx, Exchange exchange, ProxyResponse response) {
        exchange.answered();
        Backend backend = exchange.backend();
        if (backend != null) {
            long nanos = exchange.answeredBy(backend);
            pool(exchange).balancer().completed(backend, nanos,
                    response.getStatusCode() >= 500 ? Outcome.SERVER_ERROR : Outcome.ANSWERED);
        }
        if (isInterim(ctx, response)) {
            // Vert.x takes a 1xx other than 100 and 103 for the final response, so the real one would arrive on
            // a connection it thinks idle. That connection is closed; the client hears why.
            response.proxiedResponse().request().connection().close();
            response.release();
            return Future.succeededFuture(errorResponse(ctx, BackendFailure.INTERIM_RESPONSE));
        }
        if (!hasValidFraming(response)) {
            response.release();
            if (backend != null) {
                countAgainst(exchange, backend, BackendFailure.MALFORMED_RESPONSE, BackendFailure.MALFORMED_RESPONSE.message);
            }
            return Future.succeededFuture(errorResponse(ctx, BackendFailure.MALFORMED_RESPONSE));
        }
        if (backend != null) {
            backend.exchangeSucceeded();
        }
        return Future.succeededFuture(response);
    }

    /** A 1xx, except the 101 that completes a WebSocket handshake. */
    private static boolean isInterim(ProxyContext ctx, ProxyResponse response) {
        int status = response.getStatusCode();
        return status >= 100 && status < 200 && !(status == 101 && ctx.isWebSocket());
    }

    /**
     * A response may only be chunked, or not: any other transfer coding cannot be re-framed for the client.
     * "Chunked" in another case is legal and normalised, as vertx-http-proxy only knows the lower-case one.
     */
    private static boolean hasValidFraming(ProxyResponse response) {
        List<String> codings = response.headers().getAll(HttpHeaders.TRANSFER_ENCODING);
        if (codings.isEmpty()) {
            return true;
        }
        if (codings.size() != 1 || !codings.get(0).equalsIgnoreCase("chunked")) {
            return false;
        }
        response.headers().set(HttpHeaders.TRANSFER_ENCODING, HttpHeaders.CHUNKED);
        return true;
    }

    private Future<ProxyResponse> failed(ProxyContext ctx, Exchange exchange, Throwable error) {
        HttpServerRequest client = ctx.request().proxiedRequest();
        if (client.version() == HttpVersion.HTTP_2 && !client.response().closed()) {
            // An HTTP/2 client that resets its stream, or closes its connection, fails the backend request before
            // Vert.x marks the stream closed: looked at again once it has, the client is gone, its request is not
            // retried (else every reset of a rapid-reset flood would reach a second backend) and the backend is not
            // blamed (a load generator stopping with 160 streams open ejected every backend).
            Promise<ProxyResponse> decided = Promise.promise();
            Vertx.currentContext().runOnContext(v -> judged(ctx, exchange, error).onComplete(decided));
            return decided.future();
        }
        return judged(ctx, exchange, error);
    }

    private Future<ProxyResponse> judged(ProxyContext ctx, Exchange exchange, Throwable error) {
        exchange.answered();
        BackendFailure failure = exchange.timedOut() ? BackendFailure.RESPONSE_TIMEOUT : BackendFailure.of(error);
        Backend backend = exchange.backend();
        HttpServerRequest client = ctx.request().proxiedRequest();
        boolean clientGone = client.response().closed() || !Connections.open(client.connection());
        if (backend != null) {
            long nanos = exchange.answeredBy(backend);
            if (!clientGone && failure != BackendFailure.LOCAL_RESOURCES) {
                // A client that left, or Fulcrum out of descriptors, says nothing of the backend's speed.
                pool(exchange).balancer().completed(backend, nanos, Outcome.FAILED);
            }
        }
        // A retry on the backend that failed the first attempt counts once: one client request, one failure.
        if (backend != null && !clientGone && !exchange.failedBefore(backend)) {
            countAgainst(exchange, backend, failure, TlsFailure.describe(error, backend.spec().host())
                    .or(() -> LocalResources.exhausted(error)).orElse(failure.message));
        }
        // No request was opened (refused, timed out, a pool closing under a reload): nothing reached the backend.
        boolean nothingSent = !exchange.opened();
        if (backend != null && !clientGone && !exchange.retried() && safeToRetry(ctx, failure, nothingSent)) {
            exchange.release();
            backend.meters().retried();
            exchange.retryAfter(backend, failure == BackendFailure.BROKEN && !nothingSent);
            exchange.sending();
            return origin.create(ctx, exchange)
                    .compose(request -> ctx.request().send(request))
                    .compose(response -> answered(ctx, exchange, response), retryError -> retryFailed(ctx, exchange, failure, retryError));
        }
        return Future.succeededFuture(errorResponse(ctx, failure));
    }

    /** With no backend to try again, the client hears about the first failure, the one that mattered. */
    private Future<ProxyResponse> retryFailed(ProxyContext ctx, Exchange exchange, BackendFailure first, Throwable retryError) {
        return retryError instanceof NoHealthyBackendException
                ? Future.succeededFuture(errorResponse(ctx, first))
                : failed(ctx, exchange, retryError);
    }

    /**
     * Connection failures eject a backend: refused at once, others after {@code consecutiveFailures} in a row.
     * The health checker decides and publishes; the backend returns through its healthy threshold.
     */
    private void countAgainst(Exchange exchange, Backend backend, BackendFailure failure, String reason) {
        if (failure == BackendFailure.NO_HEALTHY_BACKEND) {
            return;
        }
        if (failure == BackendFailure.LOCAL_RESOURCES) {
            // Repeats are counted, not printed, by the log's rate limit: a flood makes thousands a second.
            LOG.warning("cannot connect to backends: " + reason + "; the client got 503 and the backend is not"
                    + " counted as failing (raise the descriptor limit, or lower maxConnections)");
            return;
        }
        int inARow = backend.exchangeFailed();
        if (failure == BackendFailure.REFUSED) {
            eject(backend, "connection refused (seen by the proxy)");
        } else if (inARow >= pool(exchange).settings().consecutiveFailures()) {
            eject(backend, inARow + " failed exchanges in a row, last: " + reason);
        }
    }

    private PoolRouting pool(Exchange exchange) {
        return BackendOrigin.current(routing.get(), exchange.pool());
    }

    private void eject(Backend backend, String reason) {
        bus.send(PassiveFailure.ADDRESS, new PassiveFailure(backend.url(), backend.instance(), reason).toJson());
    }

    /**
     * A request may go to a second backend when nothing reached the first (any method), or when the first
     * dropped the connection before answering a request that is idempotent and has no body (RFC 9110 §9.2.2),
     * which is what happens to requests on a pooled connection to a backend that has just died.
     */
    private static boolean safeToRetry(ProxyContext ctx, BackendFailure failure, boolean nothingSent) {
        if (ctx.isWebSocket()) {
            return false; // the retry path sends a plain request: the handshake would arrive without its Upgrade
        }
        if (failure == BackendFailure.LOCAL_RESOURCES) {
            return false; // another backend needs the same descriptor
        }
        if (nothingSent || failure.beforeSending()) {
            return true;
        }
        return failure == BackendFailure.BROKEN && ctx.request().getBody() == null
                && isIdempotent(ctx.request().getMethod());
    }

    private static boolean isIdempotent(HttpMethod method) {
        return method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS
                || method == HttpMethod.PUT || method == HttpMethod.DELETE || method == HttpMethod.TRACE;
    }

    /**
     * A request without a body (RFC 9112 §6.3: neither Content-Length nor Transfer-Encoding, or a zero length)
     * is sent without piping the client's stream, which also makes it safe to send twice.
     */
    private static void dropEmptyBody(ProxyContext ctx) {
        HttpServerRequest client = ctx.request().proxiedRequest();
        MultiMap headers = client.headers();
        String length = headers.get(HttpHeaders.CONTENT_LENGTH);
        boolean noBody = length == null ? !headers.contains(HttpHeaders.TRANSFER_ENCODING) : length.equals("0");
        if (noBody && !ctx.isWebSocket()) {
            ctx.request().setBody(null);
            client.resume();
        }
    }

    private static ProxyResponse errorResponse(ProxyContext ctx, BackendFailure failure) {
        return ctx.request().release().response()
                .setStatusCode(failure.status)
                .setBody(Body.body(Buffer.buffer(failure.message + "\n"), PLAIN_TEXT));
    }
}
