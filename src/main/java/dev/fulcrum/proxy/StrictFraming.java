package dev.fulcrum.proxy;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Makes a request with both Content-Length and Transfer-Encoding: chunked a decoding error (400, connection
 * closed), as RFC 9112 §6.1 allows and HAProxy does, instead of Netty's default of quietly dropping the
 * Content-Length. Netty offers exactly this hook; Vert.x does not expose its decoder settings, so the
 * decoder of each new connection is replaced. This uses Vert.x internals (checked by the smuggling tests):
 * if a Vert.x upgrade changes them, the decoder is simply left as it is.
 */
final class StrictFraming extends VertxHttpRequestDecoder {

    private static final String DECODER = "httpDecoder";

    private StrictFraming(HttpServerOptions options) {
        super(options);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        throw new IllegalArgumentException("both Content-Length and Transfer-Encoding");
    }

    /** Call from the server's connection handler, before the first byte is decoded (needs h2c upgrade off). */
    static void install(HttpConnection connection, HttpServerOptions options) {
        if (connection instanceof ConnectionBase base) {
            ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
            if (pipeline.get(DECODER) instanceof VertxHttpRequestDecoder) {
                pipeline.replace(DECODER, DECODER, new StrictFraming(options));
            }
        }
    }
}
