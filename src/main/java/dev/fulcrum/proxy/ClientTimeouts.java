package dev.fulcrum.proxy;

import dev.fulcrum.config.ClientLimits;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Closes client connections that hold resources without using them: a new connection must deliver a request
 * head within {@code requestHeaderTimeout} (slowloris), and a keep-alive connection may stay idle between
 * requests for {@code clientIdleTimeout}. A connection with a request in progress is never cut, however slow
 * its backend. One sweep per event loop checks the deadlines, so the request path only writes a number.
 * (Vert.x's own idle timeout would also cut requests waiting on a slow backend, and has no header timeout.)
 */
final class ClientTimeouts {

    private static final long MIN_SWEEP_MILLIS = 10;
    private static final long MAX_SWEEP_MILLIS = 1000;

    private static final class Client {
        int activeRequests;
        long deadlineNanos;
    }

    private final Supplier<ClientLimits> limits;
    private final Map<HttpConnection, Client> clients = new HashMap<>();
    private final Sweeper sweeper;

    ClientTimeouts(Vertx vertx, Supplier<ClientLimits> limits) {
        this.limits = limits;
        this.sweeper = Sweeper.start(vertx, this::shortestTimeoutMillis, 4, MIN_SWEEP_MILLIS, MAX_SWEEP_MILLIS, this::sweep);
    }

    void opened(HttpConnection connection) {
        Client client = new Client();
        client.deadlineNanos = System.nanoTime() + limits.get().requestHeaderTimeout().toNanos();
        clients.put(connection, client);
        connection.closeHandler(closed -> clients.remove(connection));
    }

    void requestArrived(HttpServerRequest request) {
        Client client = clients.get(request.connection());
        if (client == null) {
            return;
        }
        client.activeRequests++;
        request.response().endHandler(ended -> {
            if (--client.activeRequests == 0) {
                client.deadlineNanos = System.nanoTime() + limits.get().clientIdleTimeout().toNanos();
            }
        });
    }

    /** The connection carries a WebSocket now, which lives until either side closes it. */
    void upgraded(HttpConnection connection) {
        clients.remove(connection);
    }

    void stop() {
        sweeper.stop();
    }

    private long shortestTimeoutMillis() {
        ClientLimits now = limits.get();
        return Math.min(now.clientIdleTimeout().toMillis(), now.requestHeaderTimeout().toMillis());
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Iterator<Map.Entry<HttpConnection, Client>> it = clients.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<HttpConnection, Client> entry = it.next();
            Client client = entry.getValue();
            if (client.activeRequests == 0 && now - client.deadlineNanos > 0) {
                it.remove();
                entry.getKey().close();
            }
        }
    }
}
