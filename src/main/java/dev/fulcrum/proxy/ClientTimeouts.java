package dev.fulcrum.proxy;

import dev.fulcrum.config.ClientLimits;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.PoolSettings;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Closes client connections that hold resources without using them: a new connection must deliver a request
 * head within {@code requestHeaderTimeout} (slowloris), and a keep-alive connection may stay idle between
 * requests for {@code clientIdleTimeout}. A request in progress is cut only when its body stops moving: an
 * upload the client sends nothing of, or a response the client reads nothing of, for {@code clientIdleTimeout}
 * (slow POST, a reader that never reads), or a response the backend sends nothing more of for
 * {@code requestTimeout} (as NGINX's proxy_read_timeout). The wait for a response's headers is
 * {@link ResponseDeadlines}'s, however long. One sweep per event loop checks the deadlines and the bytes moved,
 * so the request path only writes a number. (Vert.x's own idle timeout would also cut requests waiting on a
 * slow backend, and has no header timeout.) The same sweep keeps the response bytes held for this loop's clients
 * (read from their backends, not yet taken by their kernels) within its share of {@code maxBufferedBytes}: beyond
 * it, the connections whose bytes have stood still longest are cut first, as they are the likeliest never to read
 * them.
 */
final class ClientTimeouts {

    private static final long MIN_SWEEP_MILLIS = 10;
    /** Often enough that a flood of slow readers cannot outgrow the budget between two sweeps. */
    private static final long MAX_SWEEP_MILLIS = 100;

    private static final class Client {
        int activeRequests;
        long deadlineNanos;
        /**
         * The request in progress (HTTP/1.1 serves a connection's requests one at a time), and whether the proxy
         * has opened it on a backend yet. Its bytes moved (-1 until a sweep has seen it: no clock read per
         * request), and the bytes waiting to go out to the client, which shrink as the client reads (as of the last
         * sweep, which also counts them between requests): those in Vert.x's queues, which its throttle counts, and
         * those in Netty's outbound buffer.
         */
        HttpServerRequest current;
        boolean forwarded;
        long bytesMoved;
        long bytesQueued;
        long movedNanos;
        BackendThrottle throttle;
    }

    private final Supplier<FulcrumConfig> config;
    private final Map<HttpConnection, Client> clients = new HashMap<>();
    private final Sweeper sweeper;
    private final ResponseBudget budget;
    private final AtomicLong held;
    /** The connections holding response bytes at a sweep; kept to spare an allocation per sweep. */
    private final List<Map.Entry<HttpConnection, Client>> holding = new ArrayList<>();

    ClientTimeouts(Vertx vertx, Supplier<FulcrumConfig> config, ResponseBudget budget) {
        this.config = config;
        this.budget = budget;
        this.held = budget.addLoop();
        this.sweeper = Sweeper.start(vertx, this::shortestTimeoutMillis, 4, MIN_SWEEP_MILLIS, MAX_SWEEP_MILLIS, this::sweep);
    }

    void opened(HttpConnection connection) {
        Client client = new Client();
        client.deadlineNanos = System.nanoTime() + config.get().limits().requestHeaderTimeout().toNanos();
        client.throttle = BackendThrottle.of(connection);
        clients.put(connection, client);
    }

    void closed(HttpConnection connection) {
        clients.remove(connection);
    }

    void requestArrived(HttpServerRequest request) {
        Client client = clients.get(request.connection());
        if (client == null) {
            return;
        }
        client.activeRequests++;
        client.current = request;
        client.forwarded = false;
        client.bytesMoved = -1;
    }

    /** Call when the response to {@code request} is over: a connection with none open is idle from now on. */
    void requestEnded(HttpServerRequest request) {
        Client client = clients.get(request.connection());
        if (client == null) {
            return;
        }
        if (--client.activeRequests == 0) {
            client.current = null;
            client.deadlineNanos = System.nanoTime() + config.get().limits().clientIdleTimeout().toNanos();
        } else if (client.current == request) {
            // HTTP/2 serves several at once: an ended stream, whose bytes no longer move, must not look stalled.
            client.current = null;
        }
    }

    /** {@code request} is open on a backend now: an upload that stops from here on may be the client's doing. */
    void forwarded(HttpServerRequest request) {
        Client client = clients.get(request.connection());
        if (client != null && client.current == request) {
            client.forwarded = true;
        }
    }

    /** The connection carries a WebSocket now, which lives until either side closes it. */
    void upgraded(HttpConnection connection) {
        clients.remove(connection);
    }

    void stop() {
        sweeper.stop();
    }

    private long shortestTimeoutMillis() {
        FulcrumConfig now = config.get();
        ClientLimits limits = now.limits();
        long shortestRequestTimeout = now.pools().values().stream()
                .mapToLong(pool -> pool.requestTimeout().toMillis()).min().orElse(Long.MAX_VALUE);
        return Math.min(Math.min(limits.clientIdleTimeout().toMillis(), limits.requestHeaderTimeout().toMillis()),
                shortestRequestTimeout);
    }

    private void sweep() {
        long now = System.nanoTime();
        FulcrumConfig current = config.get();
        // A pool's requestTimeout bounds its backends' pauses; the longest bounds every client's.
        Duration requestTimeout = current.pools().values().stream().map(PoolSettings::requestTimeout)
                .max(Comparator.naturalOrder()).orElse(current.requestTimeout());
        long queued = 0;
        for (Iterator<Map.Entry<HttpConnection, Client>> it = clients.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<HttpConnection, Client> entry = it.next();
            Client client = entry.getValue();
            // The bytes still to go out count between requests too: the tail of a response the client never read.
            long waiting = Connections.queuedBytes(entry.getKey())
                    + (client.throttle == null ? 0 : client.throttle.unwritten());
            if (client.activeRequests == 0 ? now - client.deadlineNanos > 0 : stalled(client, current.limits(), requestTimeout, now, waiting)) {
                it.remove();
                Connections.closeNow(entry.getKey());
            } else if (waiting > 0) {
                client.bytesQueued = waiting;
                queued += waiting;
                holding.add(entry);
            }
        }
        held.set(queued > budget.share() ? cutLongestStalled(queued) : queued);
        holding.clear();
    }

    /** Cuts the connections whose queued bytes have stood still longest until the rest fit the share. */
    private long cutLongestStalled(long queued) {
        holding.sort(Comparator.comparingLong(entry -> entry.getValue().movedNanos));
        long share = budget.share();
        for (int i = 0; i < holding.size() && queued > share; i++) {
            Map.Entry<HttpConnection, Client> entry = holding.get(i);
            queued -= entry.getValue().bytesQueued;
            clients.remove(entry.getKey());
            Connections.closeNow(entry.getKey());
        }
        return queued;
    }

    /** The request in progress has moved no byte of its bodies for longer than whoever should move them may take. */
    private static boolean stalled(Client client, ClientLimits limits, Duration requestTimeout, long now, long queued) {
        HttpServerRequest request = client.current;
        if (request == null) {
            return false;
        }
        HttpServerResponse response = request.response();
        long moved = request.bytesRead() + response.bytesWritten();
        // The response's bytes count when handed over to go out; a client reading a large one slowly takes them
        // out of the queue long after that.
        if (moved != client.bytesMoved || queued != client.bytesQueued) {
            client.bytesMoved = moved;
            client.bytesQueued = queued;
            client.movedNanos = now;
            return false;
        }
        Duration allowed;
        if (response.headWritten()) {
            // Sending the response: the client is not reading it, or the backend is not sending more.
            allowed = response.writeQueueFull() || !Connections.writable(request.connection())
                    ? limits.clientIdleTimeout() : requestTimeout;
        } else if (!request.isEnded()) {
            // An upload that has stopped: the client is not sending, or the proxy is not reading it, because no
            // backend is connected yet (requestTimeout and connectTimeout count that) or the backend is not taking
            // it (backpressure).
            if (!client.forwarded) {
                return false;
            }
            allowed = Connections.reading(request.connection()) ? limits.clientIdleTimeout() : requestTimeout;
        } else {
            // Waiting for the response's head, which ResponseDeadlines answers with a 504 at requestTimeout. Twice
            // that is only a backstop, for a body counted before its head is written (an HTTP/1.0 client's).
            allowed = requestTimeout.multipliedBy(2);
        }
        return now - client.movedNanos > allowed.toNanos();
    }
}
