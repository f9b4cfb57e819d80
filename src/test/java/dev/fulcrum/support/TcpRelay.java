package dev.fulcrum.support;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TCP relays on ephemeral loopback ports, in front of a real backend, for backends that change or misbehave
 * below HTTP: one whose certificate changes (relay to another port), one whose handshake hangs, a slow link.
 */
public final class TcpRelay {

    private TcpRelay() {
    }

    /** A relay to whichever port {@code target} holds when a connection arrives; returns its port. */
    public static int to(Vertx vertx, AtomicInteger target) {
        NetServer relay = vertx.createNetServer().connectHandler(client -> pipe(vertx, client, target.get()));
        return relay.listen(0, "127.0.0.1").await().actualPort();
    }

    /** A relay to {@code port} that, once {@code hang} is set, accepts new connections and relays nothing. */
    public static int hangingWhen(Vertx vertx, int port, AtomicBoolean hang) {
        NetServer front = vertx.createNetServer().connectHandler(client -> {
            if (hang.get()) {
                client.handler(data -> { });
                return;
            }
            pipe(vertx, client, port);
        });
        return front.listen(0, "127.0.0.1").await().actualPort();
    }

    /** A relay to {@code port} that holds each new connection's first bytes back for {@code delayMillis} (a slow link). */
    public static int delaying(Vertx vertx, int port, long delayMillis) {
        NetServer relay = vertx.createNetServer().connectHandler(client -> {
            client.pause();
            vertx.createNetClient().connect(port, "127.0.0.1").onSuccess(upstream -> {
                AtomicBoolean first = new AtomicBoolean(true);
                upstream.handler(data -> {
                    if (first.compareAndSet(true, false)) {
                        upstream.pause();
                        vertx.setTimer(delayMillis, id -> {
                            client.write(data);
                            upstream.resume();
                        });
                    } else {
                        client.write(data);
                    }
                });
                client.handler(upstream::write);
                client.closeHandler(v -> upstream.close());
                upstream.closeHandler(v -> client.close());
                client.resume();
            }).onFailure(e -> client.close());
        });
        return relay.listen(0, "127.0.0.1").await().actualPort();
    }

    private static void pipe(Vertx vertx, NetSocket client, int port) {
        client.pause();
        vertx.createNetClient().connect(port, "127.0.0.1").onSuccess(upstream -> {
            client.handler(upstream::write);
            upstream.handler(client::write);
            client.closeHandler(v -> upstream.close());
            upstream.closeHandler(v -> client.close());
            client.resume();
        }).onFailure(e -> client.close());
    }
}
