package dev.fulcrum.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.AttributeKey;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Pauses a backend's response the moment its client stops reading, so that what a slow reader costs stays small.
 * Vert.x's own back-pressure pauses the response only once 16 chunks wait in the client connection's write queue
 * on top of Netty's outbound buffer. Here the response is paused as soon as the client's channel is over its
 * high-water mark of {@value #HIGH_WATER_MARK} bytes, and resumed when it drains below {@value #LOW_WATER_MARK}.
 * It is the same pause Vert.x's pipe makes (the response stream's), so the two compose: the pipe pauses again at
 * its next write if its queue is still full. A paused response takes what its connection has already read, then
 * Vert.x stops reading the socket, and the backend's data waits in Fulcrum's 64 KiB receive buffer and the
 * backend's own socket. One per client connection, installed in its pipeline when it is accepted; touched only on
 * its event loop, which is also its backend connections'.
 */
final class BackendThrottle extends ChannelInboundHandlerAdapter {

    static final int LOW_WATER_MARK = 16 * 1024;
    static final int HIGH_WATER_MARK = 32 * 1024;
    private static final String NAME = "fulcrum-backend-throttle";
    /** Found by every response on its connection: an attribute read, not a walk along the pipeline. */
    private static final AttributeKey<BackendThrottle> OF_CLIENT = AttributeKey.valueOf(NAME);
    private static final int BACKEND_RECEIVE_BUFFER = 64 * 1024;

    private HttpClientResponse response;
    private boolean paused;

    static void install(HttpConnection client) {
        if (client instanceof ConnectionBase base) {
            Channel channel = base.channel();
            channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(LOW_WATER_MARK, HIGH_WATER_MARK));
            BackendThrottle throttle = new BackendThrottle();
            channel.attr(OF_CLIENT).set(throttle);
            channel.pipeline().addFirst(NAME, throttle);
        }
    }

    /**
     * Call when a backend connection opens. What a backend has sent and Fulcrum has not read waits in this buffer
     * and then in the backend's own socket; the kernel's autotuning would let it grow to megabytes per connection
     * while a client reads nothing. Set here, not through Vert.x's receiveBufferSize, which would also make every
     * read of every backend connection a fixed one of that size.
     */
    static void limitReceiveBuffer(HttpConnection backend) {
        if (backend instanceof ConnectionBase base) {
            base.channel().config().setOption(ChannelOption.SO_RCVBUF, BACKEND_RECEIVE_BUFFER);
        }
    }

    /**
     * {@code response} is being sent to {@code client} from now on, until {@link #release}: it flows only while the
     * client can take more. Returns the throttle to release, or null if there is none.
     */
    static BackendThrottle follow(HttpConnection client, HttpClientResponse response) {
        BackendThrottle throttle = client instanceof ConnectionBase base
                ? base.channel().attr(OF_CLIENT).get() : null;
        if (throttle == null) {
            return null;
        }
        throttle.release();
        throttle.response = response;
        if (!((ConnectionBase) client).channel().isWritable()) {
            throttle.pause();
        }
        return throttle;
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
        }
    }

    /** The response is over, failed, or its client gone: the throttle lets go of it. */
    void release() {
        if (response != null) {
            resume();
            response = null;
        }
    }
}
