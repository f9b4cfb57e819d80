package dev.fulcrum.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/** What Vert.x does not say about a connection, from its Netty channel. */
final class Connections {

    private Connections() {
    }

    /**
     * Closes {@code connection} at once, failing whatever is still queued on it. Vert.x closes a connection only
     * after flushing what is queued, even from Netty's side (its handler intercepts the channel's close), which a
     * peer that reads nothing never lets happen. The close here starts at the head of the channel's pipeline,
     * below Vert.x's handler; Vert.x still learns that the channel is closed, and ends the exchange on it.
     */
    static void closeNow(HttpConnection connection) {
        if (connection instanceof ConnectionBase internal) {
            internal.channel().pipeline().firstContext().close();
        } else {
            connection.close();
        }
    }

    /** Whether {@code connection}'s socket is still open (an HTTP/2 client's may close before its streams are marked so). */
    static boolean open(HttpConnection connection) {
        return !(connection instanceof ConnectionBase internal) || internal.channel().isActive();
    }

    /** The listening socket that accepted {@code connection}, or null if Vert.x does not say. */
    static Channel listener(HttpConnection connection) {
        return connection instanceof ConnectionBase internal ? internal.channel().parent() : null;
    }

    /** Whether the proxy reads from {@code connection}; it stops while the other side cannot take more (backpressure). */
    static boolean reading(HttpConnection connection) {
        return !(connection instanceof ConnectionBase internal) || internal.channel().config().isAutoRead();
    }

    /** Starts or stops reading {@code connection}: what its client sends meanwhile waits in the kernel. */
    static void setReading(HttpConnection connection, boolean read) {
        if (connection instanceof ConnectionBase internal) {
            internal.channel().config().setAutoRead(read);
        }
    }

    /** Bytes queued in Netty to go out on {@code connection}: handed over by Fulcrum, not yet taken by the kernel. */
    static long queuedBytes(HttpConnection connection) {
        if (connection instanceof ConnectionBase internal) {
            ChannelOutboundBuffer queue = internal.channel().unsafe().outboundBuffer();
            return queue == null ? 0 : queue.totalPendingWriteBytes();
        }
        return 0;
    }

    /** Whether {@code connection} can take more without going past its high-water mark. */
    static boolean writable(HttpConnection connection) {
        return !(connection instanceof ConnectionBase internal) || internal.channel().isWritable();
    }
}
