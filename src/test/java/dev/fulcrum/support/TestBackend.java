package dev.fulcrum.support;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

import java.util.concurrent.atomic.AtomicInteger;

/** A real Vert.x HTTP server on an ephemeral loopback port, counting the requests it receives. */
public final class TestBackend {

    private final String name;
    private final HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();

    private TestBackend(String name, HttpServer server) {
        this.name = name;
        this.server = server;
    }

    /** A backend that answers 200 with its own name. */
    public static TestBackend start(Vertx vertx, String name) {
        return start(vertx, name, req -> req.response().end(name));
    }

    public static TestBackend start(Vertx vertx, String name, Handler<HttpServerRequest> handler) {
        HttpServer server = vertx.createHttpServer();
        TestBackend backend = new TestBackend(name, server);
        server.requestHandler(req -> {
            backend.requests.incrementAndGet();
            handler.handle(req);
        });
        server.listen(0, "127.0.0.1").await();
        return backend;
    }

    public String name() {
        return name;
    }

    public int port() {
        return server.actualPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    public int requests() {
        return requests.get();
    }

    public void stop() {
        server.close().await();
    }
}
