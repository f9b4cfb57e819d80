package dev.fulcrum.support;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2FrameTypes;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A hand-driven HTTP/2 client over cleartext prior knowledge, for sending what no well-behaved client would:
 * it writes exactly the frames it is asked for, with header blocks encoded by {@link HeaderBlock} (HPACK literals
 * of known size, or table operations chosen by the test), and records every frame the server sends back. It has
 * no flow control or stream accounting of its own, so it can open more streams than the server allows, and it
 * answers SETTINGS and PING as any client must. Netty's frame writer and reader do the framing.
 */
public final class RawHttp2 implements AutoCloseable {

    private static final long WAIT_SECONDS = 5;
    /** One loop for every client: they are short-lived and only a test's thread drives them. */
    private static final EventLoopGroup LOOP =
            new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("raw-http2", true), NioIoHandler.newFactory());

    /** A GOAWAY from the server; {@code debugData} is Netty's reason, as text. */
    public record GoAway(int lastStreamId, long errorCode, String debugData) {
    }

    /** What came back on one stream: a response (with its body as far as it came), a reset, or nothing. */
    public static final class Stream {
        private final int id;
        private final CompletableFuture<Stream> head = new CompletableFuture<>();
        private final CompletableFuture<Stream> done = new CompletableFuture<>();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private volatile Http2Headers headers;
        private volatile long resetCode = -1;
        private volatile boolean ended;

        private Stream(int id) {
            this.id = id;
        }

        /** The final response's status; 0 if none came. */
        public int status() {
            Http2Headers response = headers;
            return response == null || response.status() == null ? 0 : Integer.parseInt(response.status().toString());
        }

        public String header(String name) {
            Http2Headers response = headers;
            CharSequence value = response == null ? null : response.get(name);
            return value == null ? null : value.toString();
        }

        /** The RST_STREAM error code the server sent, or -1. */
        public long resetCode() {
            return resetCode;
        }

        /** Whether the server ended the stream (END_STREAM) rather than resetting it or closing the connection. */
        public boolean ended() {
            return ended;
        }

        public synchronized int bodyBytes() {
            return body.size();
        }

        public synchronized String body() {
            return body.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            return "stream " + id + ": status " + status() + ", " + bodyBytes() + " body bytes"
                    + (ended ? ", ended" : "") + (resetCode >= 0 ? ", reset " + Http2Error.valueOf(resetCode) : "")
                    + (done.isDone() ? "" : ", open");
        }

        private void headersRead(Http2Headers read, boolean endOfStream) {
            // A 1xx is interim and trailers come after the head: the first final head is the response.
            if (headers == null || headers.status() == null || headers.status().charAt(0) == '1') {
                headers = read;
            }
            if (read.status() != null && read.status().charAt(0) != '1') {
                head.complete(this);
            }
            if (endOfStream) {
                end(true);
            }
        }

        private synchronized void dataRead(ByteBuf data) {
            byte[] bytes = new byte[data.readableBytes()];
            data.getBytes(data.readerIndex(), bytes);
            body.write(bytes, 0, bytes.length);
        }

        private void reset(long code) {
            if (!done.isDone()) {
                resetCode = code;
            }
            end(false);
        }

        private void end(boolean endOfStream) {
            if (done.isDone()) {
                return;
            }
            ended = endOfStream;
            head.complete(this);
            done.complete(this);
        }
    }

    private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
    private final boolean updatesWindows;
    private final Map<Integer, Stream> streams = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Void>> pings = new ConcurrentHashMap<>();
    private final CompletableFuture<Http2Settings> settings = new CompletableFuture<>();
    private final CompletableFuture<GoAway> goAway = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** Why a frame from the server could not be read, if one could not: the client closed the connection then. */
    private volatile String unreadable;
    private Channel channel;
    private volatile ChannelHandlerContext context;
    private int nextStreamId = 1;
    private long nextPing;

    private RawHttp2(boolean updatesWindows) {
        this.updatesWindows = updatesWindows;
    }

    /** Connects with default settings, giving back every byte of flow-control window it receives. */
    public static RawHttp2 connect(int port) {
        return connect(port, new Http2Settings(), true);
    }

    /**
     * Connects to 127.0.0.1:{@code port}, sends the preface and {@code settings}, and waits for the server's
     * SETTINGS. With {@code updatesWindows} false it never sends WINDOW_UPDATE: a reader that never opens its windows.
     */
    public static RawHttp2 connect(int port, Http2Settings settings, boolean updatesWindows) {
        RawHttp2 client = new RawHttp2(updatesWindows);
        client.channel = new Bootstrap().group(LOOP).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                // A write the server refused (it closed) must not close the connection before the frames it sent
                // before closing, its GOAWAY among them, are read.
                .option(ChannelOption.AUTO_CLOSE, false)
                .handler(client.new Frames())
                .connect("127.0.0.1", port).syncUninterruptibly().channel();
        client.run(ctx -> {
            ctx.write(Http2CodecUtil.connectionPrefaceBuf());
            client.writer.writeSettings(ctx, settings, ctx.newPromise());
        });
        await(CompletableFuture.anyOf(client.settings, client.closed), "the server's SETTINGS");
        if (!client.settings.isDone()) {
            throw new AssertionError("the server closed the connection before its SETTINGS");
        }
        return client;
    }

    /** The SETTINGS frame the server opened the connection with. */
    public Http2Settings serverSettings() {
        return settings.join();
    }

    /** Sends {@code block} as one HEADERS frame that ends the headers and the stream, on a new stream. */
    public int send(HeaderBlock block) {
        return send(block.bytes(), Integer.MAX_VALUE, true);
    }

    /**
     * Sends {@code block} on a new stream that it ends, as a HEADERS frame and CONTINUATION frames of at most
     * {@code fragmentSize} bytes each; the last one ends the headers only if {@code endHeaders}.
     */
    public int send(byte[] block, int fragmentSize, boolean endHeaders) {
        int id = newStream();
        run(ctx -> {
            int at = 0;
            do {
                int length = Math.min(fragmentSize, block.length - at);
                boolean last = at + length == block.length;
                Http2Flags flags = new Http2Flags().endOfHeaders(last && endHeaders);
                if (at == 0) {
                    flags.endOfStream(true);
                }
                writer.writeFrame(ctx, at == 0 ? Http2FrameTypes.HEADERS : Http2FrameTypes.CONTINUATION, id, flags,
                        Unpooled.wrappedBuffer(block, at, length), ctx.newPromise());
                at += length;
            } while (at < block.length);
        });
        return id;
    }

    /** A GET of {@code path} on a new stream. */
    public int get(String path) {
        return send(HeaderBlock.get(path, "127.0.0.1"));
    }

    /** One more CONTINUATION frame of the header block {@code streamId} left open. */
    public void continuation(int streamId, byte[] fragment, boolean endHeaders) {
        run(ctx -> writer.writeFrame(ctx, Http2FrameTypes.CONTINUATION, streamId, new Http2Flags().endOfHeaders(endHeaders),
                Unpooled.wrappedBuffer(fragment), ctx.newPromise()));
    }

    /**
     * Opens a stream with {@code block} and resets it in the same write, as a rapid-reset attack does: the server
     * reads both at once, so the reset always finds the stream at work, whatever the scheduling.
     */
    public int sendAndReset(HeaderBlock block, Http2Error error) {
        int id = newStream();
        run(ctx -> {
            writer.writeFrame(ctx, Http2FrameTypes.HEADERS, id, new Http2Flags().endOfHeaders(true).endOfStream(true),
                    Unpooled.wrappedBuffer(block.bytes()), ctx.newPromise());
            writer.writeRstStream(ctx, id, error.code(), ctx.newPromise());
        });
        return id;
    }

    public void reset(int streamId, Http2Error error) {
        run(ctx -> writer.writeRstStream(ctx, streamId, error.code(), ctx.newPromise()));
    }

    /**
     * Sends a PING and waits for its acknowledgement, which the server sends once it has processed every frame
     * before it. Returns false if the connection closed instead.
     */
    public boolean ping() {
        long data = ++nextPing;
        CompletableFuture<Void> ack = new CompletableFuture<>();
        pings.put(data, ack);
        run(ctx -> writer.writePing(ctx, false, data, ctx.newPromise()));
        await(CompletableFuture.anyOf(ack, closed), "the PING's acknowledgement");
        return ack.isDone();
    }

    /** What came back on {@code streamId} so far. */
    public Stream stream(int streamId) {
        return streams.computeIfAbsent(streamId, Stream::new);
    }

    /** Waits until {@code streamId} is over: ended, reset, or cut with the connection. */
    public Stream await(int streamId) {
        return await(stream(streamId).done, "the end of stream " + streamId);
    }

    /** Waits until {@code streamId} has its response's head (or is over without one). */
    public Stream awaitHead(int streamId) {
        return await(stream(streamId).head, "the response head on stream " + streamId);
    }

    /** Waits for the server's GOAWAY. */
    public GoAway awaitGoAway() {
        await(CompletableFuture.anyOf(goAway, closed), "a GOAWAY");
        if (!goAway.isDone()) {
            throw new AssertionError("the connection closed without a GOAWAY"
                    + (unreadable == null ? "" : ", at a frame that could not be read: " + unreadable));
        }
        return goAway.join();
    }

    /** Waits for the server to close the connection. */
    public void awaitClosed(long timeout, TimeUnit unit) {
        try {
            closed.get(timeout, unit);
        } catch (TimeoutException e) {
            throw new AssertionError("the connection is still open after " + unit.toMillis(timeout) + " ms; " + streams.values());
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    private int newStream() {
        int id = nextStreamId;
        nextStreamId += 2;
        stream(id);
        return id;
    }

    /** Writes on the connection's loop, so that frames go out in the order asked, and flushes. */
    private void run(Consumer<ChannelHandlerContext> writes) {
        try {
            channel.eventLoop().submit(() -> {
                ChannelHandlerContext ctx = context;
                writes.accept(ctx);
                ctx.flush();
            }).get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("could not write on the connection", e);
        }
    }

    private static <T> T await(CompletableFuture<T> future, String what) {
        try {
            return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out after " + WAIT_SECONDS + " s waiting for " + what);
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    /** Reads the server's frames as they come; answers SETTINGS, PING and, if asked, DATA with window updates. */
    private final class Frames extends ByteToMessageDecoder {
        private final DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader(new DefaultHttp2HeadersDecoder(false));
        private final Http2FrameAdapter listener = new Http2FrameAdapter() {
            @Override
            public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings read) {
                settings.complete(read);
                writer.writeSettingsAck(ctx, ctx.newPromise());
                ctx.flush();
            }

            @Override
            public void onPingRead(ChannelHandlerContext ctx, long data) {
                writer.writePing(ctx, true, data, ctx.newPromise());
                ctx.flush();
            }

            @Override
            public void onPingAckRead(ChannelHandlerContext ctx, long data) {
                CompletableFuture<Void> ack = pings.remove(data);
                if (ack != null) {
                    ack.complete(null);
                }
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                                      boolean endOfStream) {
                stream(streamId).headersRead(headers, endOfStream);
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                                      short weight, boolean exclusive, int padding, boolean endOfStream) {
                stream(streamId).headersRead(headers, endOfStream);
            }

            @Override
            public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
                int consumed = data.readableBytes() + padding;
                Stream stream = stream(streamId);
                stream.dataRead(data);
                if (updatesWindows && consumed > 0) {
                    writer.writeWindowUpdate(ctx, 0, consumed, ctx.newPromise());
                    if (!endOfStream) {
                        writer.writeWindowUpdate(ctx, streamId, consumed, ctx.newPromise());
                    }
                    ctx.flush();
                }
                if (endOfStream) {
                    stream.end(true);
                }
                return consumed;
            }

            @Override
            public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
                stream(streamId).reset(errorCode);
            }

            @Override
            public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
                goAway.complete(new GoAway(lastStreamId, errorCode, debugData.toString(StandardCharsets.UTF_8)));
            }
        };

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            context = ctx;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            try {
                reader.readFrame(ctx, in, listener);
            } catch (Http2Exception e) {
                unreadable = e.getMessage();
                in.skipBytes(in.readableBytes());
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            super.channelInactive(ctx);
            closed.complete(null);
            streams.values().forEach(stream -> stream.end(false));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A reset by the server (it closed while we wrote) closes the connection once read: that says it all.
            if (!(cause instanceof IOException)) {
                ctx.close();
            }
        }
    }
}
