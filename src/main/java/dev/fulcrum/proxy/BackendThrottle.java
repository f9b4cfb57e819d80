package dev.fulcrum.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Stops reading a backend's response while its client does not read it, so that what a slow reader costs stays
 * in the backend's socket, not in Fulcrum's memory. Vert.x's own back-pressure pauses the backend only once 16
 * chunks wait in its write queue on top of Netty's outbound buffer, and the backend connection then takes up to
 * 24 more chunks before it stops reading: some 400 KB per slow reader, with 1,000 of them enough to exhaust
 * direct memory. Here the backend's channel stops reading the moment the client's channel is over its high-water
 * mark, and resumes when it drains below the low one: a client that reads nothing holds at most
 * {@value #HIGH_WATER_MARK} bytes plus the last read from the backend. One per client connection, installed in
 * its pipeline when it is accepted; touched only on its event loop, which is also its backend connections'.
 */
final class BackendThrottle extends ChannelInboundHandlerAdapter {

    static final int LOW_WATER_MARK = 16 * 1024;
    static final int HIGH_WATER_MARK = 32 * 1024;
    private static final int BACKEND_RECEIVE_BUFFER = 64 * 1024;
    private static final String NAME = "fulcrum-backend-throttle";
    /** On a backend channel: the throttle of the client its response is going to. */
    private static final AttributeKey<BackendThrottle> FOLLOWED_BY = AttributeKey.valueOf(NAME);

    /** Vert.x's handler, which a backend connection's decoded messages reach last. */
    private static final String VERTX_HANDLER = "handler";
    private static final ChannelInboundHandlerAdapter RESPONSE_ENDS = new ResponseEnds();

    private Channel backend;
    /** Whether this throttle turned the backend's reading off (Vert.x may have done so itself: that is its own). */
    private boolean paused;

    static void install(HttpConnection client) {
        if (client instanceof ConnectionBase base) {
            Channel channel = base.channel();
            channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(LOW_WATER_MARK, HIGH_WATER_MARK));
            channel.pipeline().addFirst(NAME, new BackendThrottle());
        }
    }

    /**
     * Call when a backend connection opens. Vert.x hands a connection back to its pool the moment the response's
     * last byte is read, while that byte may still wait for the client: the throttle lets go of it there, so that
     * the next request on it is read.
     */
    static void watchResponseEnds(HttpConnection backend) {
        if (backend instanceof ConnectionBase base && base.channel().pipeline().get(VERTX_HANDLER) != null) {
            // What a backend has sent and Fulcrum has not read waits in this buffer and then in the backend's own
            // socket. Set here, not through Vert.x's receiveBufferSize, which would also make every read of every
            // backend connection a fixed one of that size; the kernel's autotuning would let it grow to megabytes
            // per connection while a client reads nothing.
            base.channel().config().setOption(ChannelOption.SO_RCVBUF, BACKEND_RECEIVE_BUFFER);
            base.channel().pipeline().addBefore(VERTX_HANDLER, NAME, RESPONSE_ENDS);
        }
    }

    /**
     * {@code backend}'s response is being sent to {@code client} from now on, until {@link #release}: the backend
     * is read only while the client can take more.
     */
    static void follow(HttpConnection client, HttpConnection backend) {
        BackendThrottle throttle = of(client);
        if (throttle != null && backend instanceof ConnectionBase base) {
            throttle.release();
            throttle.backend = base.channel();
            throttle.backend.attr(FOLLOWED_BY).set(throttle);
            if (!((ConnectionBase) client).channel().isWritable()) {
                throttle.pause();
            }
        }
    }

    /**
     * The response is over (or failed): the backend connection goes back to its pool reading, whoever reuses it.
     */
    static void release(HttpConnection client) {
        BackendThrottle throttle = of(client);
        if (throttle != null) {
            throttle.release();
        }
    }

    private static BackendThrottle of(HttpConnection client) {
        return client instanceof ConnectionBase base ? (BackendThrottle) base.channel().pipeline().get(NAME) : null;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (backend != null) {
            if (ctx.channel().isWritable()) {
                resume();
            } else {
                pause();
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** The client is gone: the backend connection is closed or reset on its own path, which needs it reading. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }

    private void pause() {
        if (!paused && backend.config().isAutoRead()) {
            paused = true;
            backend.config().setAutoRead(false);
        }
    }

    private void resume() {
        if (paused) {
            paused = false;
            backend.config().setAutoRead(true);
        }
    }

    private void release() {
        if (backend != null) {
            resume();
            backend.attr(FOLLOWED_BY).compareAndSet(this, null);
            backend = null;
        }
    }

    /** Lets go of a backend connection as its response's last part is read; shared by all backend connections. */
    @ChannelHandler.Sharable
    private static final class ResponseEnds extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            if (message instanceof LastHttpContent) {
                BackendThrottle throttle = ctx.channel().attr(FOLLOWED_BY).getAndSet(null);
                if (throttle != null && throttle.backend == ctx.channel()) {
                    throttle.release();
                }
            }
            ctx.fireChannelRead(message);
        }
    }
}
