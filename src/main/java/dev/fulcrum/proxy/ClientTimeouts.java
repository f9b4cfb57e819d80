package dev.fulcrum.proxy;

import dev.fulcrum.config.ClientLimits;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.PoolSettings;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;

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

    /**
     * A request in progress, whether the proxy has opened it on a backend yet, and its bytes moved (-1 until a sweep
     * has seen it: no clock read per request) as of the last sweep.
     */
    private static final class Tracked {
        HttpServerRequest request;
        boolean forwarded;
        long bytesMoved;
        long movedNanos;

        Tracked start(HttpServerRequest next) {
            request = next;
            forwarded = false;
            bytesMoved = -1;
            return this;
        }
    }

    private static final class Client {
        int activeRequests;
        long deadlineNanos;
        /** HTTP/1.x serves a connection's requests one at a time: this one, reused. */
        final Tracked current = new Tracked();
        /** HTTP/2 serves many at once: every open stream's (null on an HTTP/1.x connection). */
        List<Tracked> streams;
        /**
         * The bytes waiting to go out to the client, which shrink as the client reads (as of the last sweep, which
         * also counts them between requests): those in Vert.x's queues, which its throttle counts, and those in
         * Netty's outbound buffer; and when any of its requests last moved a byte.
         */
        long bytesQueued;
        long movedNanos;
        BackendThrottle throttle;

        Tracked of(HttpServerRequest request) {
            if (streams == null) {
                return current.request == request ? current : null;
            }
            for (Tracked stream : streams) {
                if (stream.request == request) {
                    return stream;
                }
            }
            return null;
        }
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
        if (request.version() == HttpVersion.HTTP_2) {
            if (client.streams == null) {
                client.streams = new ArrayList<>();
            }
            client.streams.add(new Tracked().start(request));
        } else {
            client.current.start(request);
        }
    }

    /** Call when the response to {@code request} is over: a connection with none open is idle from now on. */
    void requestEnded(HttpServerRequest request) {
        Client client = clients.get(request.connection());
        if (client == null) {
            return;
        }
        if (client.streams != null) {
            client.streams.removeIf(stream -> stream.request == request);
        }
        if (--client.activeRequests == 0) {
            client.current.request = null;
            client.deadlineNanos = System.nanoTime() + config.get().limits().clientIdleTimeout().toNanos();
        }
    }

    /** {@code request} is open on a backend now: an upload that stops from here on may be the client's doing. */
    void forwarded(HttpServerRequest request) {
        Client client = clients.get(request.connection());
        Tracked tracked = client == null ? null : client.of(request);
        if (tracked != null) {
            tracked.forwarded = true;
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
            if (client.activeRequests == 0 ? now - client.deadlineNanos > 0 : anyStalled(client, current.limits(), requestTimeout, now, waiting)) {
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

    /**
     * Whether a request in progress on the connection has moved no byte of its bodies for longer than whoever should
     * move them may take: on HTTP/2, any one of its streams (one stalled stream holds its backend like a connection).
     */
    private static boolean anyStalled(Client client, ClientLimits limits, Duration requestTimeout, long now, long queued) {
        boolean queueMoved = queued != client.bytesQueued;
        client.bytesQueued = queued;
        if (client.streams == null) {
            return stalled(client, client.current, queueMoved, limits, requestTimeout, now);
        }
        for (Tracked stream : client.streams) {
            if (stalled(client, stream, queueMoved, limits, requestTimeout, now)) {
                return true;
            }
        }
        return false;
    }

    private static boolean stalled(Client client, Tracked tracked, boolean queueMoved, ClientLimits limits,
                                   Duration requestTimeout, long now) {
        HttpServerRequest request = tracked.request;
        if (request == null) {
            return false;
        }
        HttpServerResponse response = request.response();
        long moved = request.bytesRead() + response.bytesWritten();
        // The response's bytes count when handed over to go out; a client reading a large one slowly takes them
        // out of the queue long after that.
        if (moved != tracked.bytesMoved || queueMoved) {
            tracked.bytesMoved = moved;
            tracked.movedNanos = now;
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
            if (!tracked.forwarded) {
                return false;
            }
            allowed = Connections.reading(request.connection()) ? limits.clientIdleTimeout() : requestTimeout;
        } else {
            // Waiting for the response's head, which ResponseDeadlines answers with a 504 at requestTimeout. Twice
            // that is only a backstop, for a body counted before its head is written (an HTTP/1.0 client's).
            allowed = requestTimeout.multipliedBy(2);
        }
        return now - tracked.movedNanos > allowed.toNanos();
    }
}
