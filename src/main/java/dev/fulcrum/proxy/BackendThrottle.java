package dev.fulcrum.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Pauses a backend's response the moment its client stops reading, so that what a slow reader costs stays small.
 * Vert.x's own back-pressure pauses the response only once 16 chunks wait in the client connection's write queue
 * on top of Netty's outbound buffer. Here the response is paused as soon as the client's channel is over its
 * high-water mark of {@value #HIGH_WATER_MARK} bytes, and resumed when it drains below {@value #LOW_WATER_MARK}.
 * It is the same pause Vert.x's pipe makes (the response stream's), so the two compose: the pipe pauses again at
 * its next write if its queue is still full. The backend's connection stops being read once the response has
 * queued {@value #MOST_QUEUED} bytes in Vert.x, and starts again only once they have gone out: a paused response
 * alone goes on queueing 16 chunks of up to 8 KiB (copied onto the heap) before Vert.x stops reading, 8 more read
 * ahead, and as many again at each resume, as the connection's next reads come before the queue's drain. So a
 * client that reads nothing costs its high-water mark, the write that crossed it, {@value #MOST_QUEUED} bytes and
 * the rest of one backend read (at most 16 KiB); the backend's data waits in Fulcrum's 64 KiB receive buffer and
 * the backend's own socket. One per client
 * connection, installed in its pipeline when it is accepted; touched only on its event loop, which is also its
 * backend connections'. The bytes it holds are counted too, for {@code maxBufferedBytes}
 * (see {@link #unwritten}).
 */
final class BackendThrottle extends ChannelInboundHandlerAdapter {

    static final int LOW_WATER_MARK = 16 * 1024;
    static final int HIGH_WATER_MARK = 32 * 1024;
    private static final String NAME = "fulcrum-backend-throttle";
    /** Found by every response on its connection: an attribute read, not a walk along the pipeline. */
    private static final AttributeKey<BackendThrottle> OF_CLIENT = AttributeKey.valueOf(NAME);
    private static final AttributeKey<Inflow> OF_BACKEND = AttributeKey.valueOf("fulcrum-backend-inflow");
    private static final int BACKEND_RECEIVE_BUFFER = 64 * 1024;
    /**
     * Bytes a response may queue in Vert.x while its client does not take them before its backend is no longer
     * read: one of Fulcrum's largest reads, so that the brief pauses of a client that reads (each write waits for
     * its completion on io_uring) go by without stopping and starting the backend's reads.
     */
    static final int MOST_QUEUED = 16 * 1024;

    private HttpClientResponse response;
    private HttpServerResponse out;
    private Inflow inflow;
    /** Body bytes of {@link #response} read from its backend so far. */
    private long received;
    private boolean paused;
    /** Reads the backend again, unless paused again meanwhile: kept, not allocated at each resume. */
    private final Runnable readWhenDrained = () -> {
        if (!paused && inflow != null && inflow.feeding == this) {
            inflow.startReading();
        }
    };

    static void install(HttpConnection client) {
        if (client instanceof ConnectionBase base) {
            Channel channel = base.channel();
            channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(LOW_WATER_MARK, HIGH_WATER_MARK));
            BackendThrottle throttle = new BackendThrottle();
            channel.attr(OF_CLIENT).set(throttle);
            channel.pipeline().addFirst(NAME, throttle);
        }
    }

    /** The throttle {@link #install} gave {@code client}, or null. */
    static BackendThrottle of(HttpConnection client) {
        return client instanceof ConnectionBase base ? base.channel().attr(OF_CLIENT).get() : null;
    }

    /**
     * Call when a backend connection opens. What a backend has sent and Fulcrum has not read waits in its receive
     * buffer and then in the backend's own socket; the kernel's autotuning would let it grow to megabytes per
     * connection while a client reads nothing. Set here, not through Vert.x's receiveBufferSize, which would also
     * make every read of every backend connection a fixed one of that size. The connection's response bodies are
     * counted from here on too, as Vert.x reads them, to know what waits in its queues (see {@link #unwritten}).
     */
    static void backendOpened(HttpConnection backend) {
        if (backend instanceof ConnectionBase base) {
            Channel channel = base.channel();
            channel.config().setOption(ChannelOption.SO_RCVBUF, BACKEND_RECEIVE_BUFFER);
            // Behind the HTTP decoder (and the inflater, if any), so that it counts the body bytes Vert.x queues.
            if (channel.pipeline().get("handler") != null) {
                Inflow inflow = new Inflow(channel);
                channel.attr(OF_BACKEND).set(inflow);
                channel.pipeline().addBefore("handler", "fulcrum-backend-inflow", inflow);
            }
        }
    }

    /**
     * {@code response} is being sent as the answer to {@code client} from now on, until {@link #release}: it flows
     * only while the client can take more. Returns the throttle to release, or null if there is none.
     */
    static BackendThrottle follow(HttpServerRequest client, HttpClientResponse response) {
        HttpConnection connection = client.connection();
        BackendThrottle throttle = of(connection);
        if (throttle == null) {
            return null;
        }
        throttle.release();
        throttle.response = response;
        throttle.out = client.response();
        HttpConnection backend = response.request().connection();
        Inflow inflow = backend instanceof ConnectionBase base ? base.channel().attr(OF_BACKEND).get() : null;
        if (inflow != null) {
            // The body may have been read whole already (a small one comes with its head): then the connection
            // is back in the pool, and its next response another client's.
            throttle.inflow = inflow;
            throttle.received = inflow.bodyRead;
            if (!inflow.ended) {
                inflow.feeding = throttle;
            }
        }
        if (!((ConnectionBase) connection).channel().isWritable()) {
            throttle.pause();
        }
        return throttle;
    }

    /**
     * Bytes of the response this throttle follows that Fulcrum has read from the backend and not yet written to
     * the client's connection: paused in Vert.x's queues, which Netty's outbound buffer does not count. For the
     * sweep: the request path only adds up what it reads.
     */
    long unwritten() {
        return response == null ? 0 : Math.max(0, received - out.bytesWritten());
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (response != null) {
            if (ctx.channel().isWritable()) {
                resume();
            } else {
                pause();
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void pause() {
        if (!paused) {
            paused = true;
            response.pause();
        }
    }

    private void resume() {
        if (paused) {
            paused = false;
            response.resume();
            if (inflow != null && inflow.feeding == this && inflow.stopped) {
                // After the chunks queued meanwhile have gone out (the resume delivers them in a task of its own,
                // queued first): reading at once, the connection's next reads (up to 16 in a row) would all queue.
                inflow.channel.eventLoop().execute(readWhenDrained);
            }
        }
    }

    /** Called as each chunk is read: past {@value #MOST_QUEUED} bytes queued, the backend waits. */
    private boolean queuesTooMuch() {
        return received - out.bytesWritten() > MOST_QUEUED;
    }

    /** The response is over, failed, or its client gone: the throttle lets go of it. */
    void release() {
        if (response != null) {
            resume();
            if (inflow != null && inflow.feeding == this) {
                // Failed or cut: whoever takes the connection next must find it reading.
                inflow.feeding = null;
                inflow.startReading();
            }
            inflow = null;
            response = null;
            out = null;
        }
    }

    /**
     * Counts the body bytes of each response a backend connection reads, and stops reading the connection while
     * the client of its response does not take them. One per backend connection, behind its HTTP decoder.
     */
    private static final class Inflow extends ChannelInboundHandlerAdapter {

        private final Channel channel;
        /** The throttle whose response this connection is reading, if any: it stops with the response's end. */
        BackendThrottle feeding;
        /** Body bytes of the response being read, and whether it has all been. */
        long bodyRead;
        boolean ended;
        boolean stopped;

        Inflow(Channel channel) {
            this.channel = channel;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpResponse) {
                bodyRead = 0;
                ended = false;
            }
            if (msg instanceof HttpContent content) {
                int bytes = content.content().readableBytes();
                bodyRead += bytes;
                if (feeding != null) {
                    feeding.received += bytes;
                    if (!stopped && feeding.queuesTooMuch()) {
                        stopReading();
                        if (!feeding.paused) {
                            // A burst read ahead of the queue's drain: read again after it, the resume's task is not
                            // to come.
                            channel.eventLoop().execute(feeding.readWhenDrained);
                        }
                    }
                }
                if (msg instanceof LastHttpContent) {
                    // The connection goes back to the pool now, and must read the next client's response.
                    ended = true;
                    feeding = null;
                    startReading();
                }
            }
            ctx.fireChannelRead(msg);
        }

        /**
         * Only a connection that reads is stopped, and only that stop is undone: Vert.x stops reading on its own
         * once its queues are full, and its start must stay its own.
         */
        void stopReading() {
            if (!stopped && channel.config().isAutoRead()) {
                stopped = true;
                channel.config().setAutoRead(false);
            }
        }

        void startReading() {
            if (stopped) {
                stopped = false;
                channel.config().setAutoRead(true);
            }
        }
    }
}
