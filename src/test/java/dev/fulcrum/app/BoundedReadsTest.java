package dev.fulcrum.app;

import io.netty.channel.Channel;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every TCP connection of Fulcrum's Vert.x, accepted or opened, starts with reads of 1 KiB (Netty's default is 2
 * KiB, growing to 64 KiB), as on io_uring each connection waiting to read holds its next read's buffer.
 */
class BoundedReadsTest {

    @Test
    void acceptedAndOpenedConnectionsReadInSmallBuffers() throws Exception {
        Transport transport = Transport.IO_URING != null && Transport.IO_URING.available() ? Transport.IO_URING : Transport.NIO;
        Vertx vertx = Main.vertx(1, transport);
        try {
            CompletableFuture<Integer> accepted = new CompletableFuture<>();
            CompletableFuture<Integer> opened = new CompletableFuture<>();
            int port = vertx.createHttpServer()
                    .connectionHandler(connection -> accepted.complete(nextRead(connection)))
                    .requestHandler(request -> request.response().end("ok"))
                    .listen(0, "127.0.0.1").await().actualPort();
            HttpClientAgent client = vertx.httpClientBuilder()
                    .withConnectHandler(connection -> opened.complete(nextRead(connection))).build();

            // On a context: Vert.x 5.0.10's client pool, called from a plain thread, now and then loses a request.
            Promise<Buffer> body = Promise.promise();
            vertx.getOrCreateContext().runOnContext(v -> client.request(HttpMethod.GET, port, "127.0.0.1", "/")
                    .compose(request -> request.send()).compose(response -> response.body()).onComplete(body));
            assertEquals("ok", body.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).toString());
            assertEquals(BoundedReads.INITIAL_READ, accepted.get(10, TimeUnit.SECONDS));
            assertEquals(BoundedReads.INITIAL_READ, opened.get(10, TimeUnit.SECONDS));
        } finally {
            vertx.close().await();
        }
    }

    private static int nextRead(HttpConnection connection) {
        Channel channel = ((ConnectionBase) connection).channel();
        return channel.unsafe().recvBufAllocHandle().guess();
    }
}
