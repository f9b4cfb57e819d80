package dev.fulcrum.app;

import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.config.IoTransport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;

import java.util.concurrent.TimeUnit;

/**
 * {@code fulcrum --warm-up}: runs the whole balancer once on loopback, in front of a backend of its own, sends
 * it a few hundred requests, and stops. {@code scripts/run.sh} uses it to record a class-data archive
 * (AppCDS), which takes about a third off the start-up time.
 */
final class WarmUp {

    private static final int REQUESTS = 500;

    private WarmUp() {
    }

    static void run() throws Exception {
        // The transport a default config would run on here, so that its classes are in the archive.
        Vertx vertx = Transports.start(IoTransport.AUTO, transport -> Main.vertx(1, transport)).vertx();
        try {
            HttpServer backend = vertx.createHttpServer().requestHandler(req -> req.response().end("warm"))
                    .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            String config = """
                    {"listenPort": "127.0.0.1:0", "adminPort": "127.0.0.1:0", "servers": ["http://127.0.0.1:%d"]}
                    """.formatted(backend.actualPort());
            Fulcrum fulcrum = Fulcrum.start(vertx, ConfigParser.parse(config), 1)
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            Promise<Void> sent = Promise.promise();
            vertx.runOnContext(v -> {
                HttpClient client = vertx.createHttpClient();
                send(client, fulcrum.port(), REQUESTS).onComplete(sent);
            });
            sent.future().compose(v -> fulcrum.shutdown()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static Future<Void> send(HttpClient client, int port, int left) {
        if (left == 0) {
            return Future.succeededFuture();
        }
        return client.request(HttpMethod.GET, port, "127.0.0.1", "/warm")
                .compose(request -> request.send())
                .compose(response -> response.body())
                .compose(body -> send(client, port, left - 1));
    }
}
