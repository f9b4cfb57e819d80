package dev.fulcrum.support;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real Vert.x HTTP server on an ephemeral loopback port. It counts the requests it receives, apart from
 * Fulcrum's health probes, which it answers separately ({@link #probeHandler}; 200 by default).
 */
public final class TestBackend {

    private final String name;
    private final HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger probes = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Handler<HttpServerRequest> probeHandler = req -> req.response().end("ok");

    private TestBackend(String name, HttpServer server) {
        this.name = name;
        this.server = server;
    }

    /** A backend that answers 200 with its own name. */
    public static TestBackend start(Vertx vertx, String name) {
        return start(vertx, name, req -> req.response().end(name));
    }

    public static TestBackend start(Vertx vertx, String name, Handler<HttpServerRequest> handler) {
        return startOn(vertx, 0, name, handler);
    }

    /** Starts on a given port, e.g. to bring a stopped backend back where the balancer expects it. */
    public static TestBackend startOn(Vertx vertx, int port, String name, Handler<HttpServerRequest> handler) {
        HttpServer server = vertx.createHttpServer();
        TestBackend backend = new TestBackend(name, server);
        server.connectionHandler(connection -> backend.connections.incrementAndGet());
        server.requestHandler(req -> {
            if ("fulcrum-health-check".equals(req.getHeader("user-agent"))) {
                backend.probes.incrementAndGet();
                backend.probeHandler.handle(req);
            } else {
                backend.requests.incrementAndGet();
                handler.handle(req);
            }
        });
        server.listen(port, "127.0.0.1").await();
        return backend;
    }

    public TestBackend probeHandler(Handler<HttpServerRequest> handler) {
        this.probeHandler = handler;
        return this;
    }

    /** Answers probes with this status from now on. */
    public TestBackend probeStatus(int status) {
        return probeHandler(req -> req.response().setStatusCode(status).end());
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

    /** Requests received, health probes excluded. */
    public int requests() {
        return requests.get();
    }

    /** Connections ever accepted, probes' included. */
    public int connections() {
        return connections.get();
    }

    public int probes() {
        return probes.get();
    }

    public void stop() {
        server.close().await();
    }
}
