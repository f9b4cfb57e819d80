package dev.fulcrum.support;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A raw TCP backend on an ephemeral loopback port, for requests without a body: it answers Fulcrum's probes 200
 * and every other request with {@code answer(requestLine)} (no answer when null), keeping the connection unless
 * told to close it. For backends no HTTP server would be: malformed, interim-only, closing at odd moments.
 */
public final class RawBackend {

    /** The answer to one request: the exact bytes, and whether the connection closes after them. */
    public record Reply(String bytes, boolean close) {
    }

    private RawBackend() {
    }

    /** Starts it and returns its port. */
    public static int start(Vertx vertx, Function<String, Reply> answer) {
        NetServer server = vertx.createNetServer().connectHandler(socket -> {
            Buffer[] pending = {Buffer.buffer()};
            AtomicBoolean closed = new AtomicBoolean();
            socket.handler(data -> {
                pending[0].appendBuffer(data);
                for (int heads = 0; heads < 100 && !closed.get(); heads++) {
                    String text = pending[0].toString(StandardCharsets.ISO_8859_1);
                    int end = text.indexOf("\r\n\r\n");
                    if (end < 0) {
                        return;
                    }
                    String head = text.substring(0, end);
                    pending[0] = pending[0].getBuffer(end + 4, pending[0].length());
                    if (head.toLowerCase(Locale.ROOT).contains("\r\nuser-agent: fulcrum-health-check")) {
                        socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
                        continue;
                    }
                    Reply reply = answer.apply(head.substring(0, head.indexOf("\r\n")));
                    if (reply == null) {
                        continue;
                    }
                    if (reply.close()) {
                        closed.set(true);
                        socket.end(Buffer.buffer(reply.bytes(), "ISO-8859-1"));
                    } else {
                        socket.write(Buffer.buffer(reply.bytes(), "ISO-8859-1"));
                    }
                }
            });
        });
        return server.listen(0, "127.0.0.1").await().actualPort();
    }
}
