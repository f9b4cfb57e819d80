package dev.fulcrum.support;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;

/** An https backend on an ephemeral loopback port with a {@link TestPki} leaf, answering Fulcrum's probes 200. */
public final class TlsBackend {

    private TlsBackend() {
    }

    /** Starts it with {@code leaf}'s key and chain on {@code options} (SNI, client auth...) and returns its port. */
    public static int start(Vertx vertx, Path leaf, HttpServerOptions options, Handler<HttpServerRequest> handler) {
        HttpServer server = vertx.createHttpServer(options.setSsl(true).setKeyCertOptions(TestPki.keyCert(leaf)));
        return server.requestHandler(HealthProbes.answered(handler)).listen(0, "127.0.0.1").await().actualPort();
    }

    /** {@code config} with {@code backendTls.caFile} set to {@code caFile}. */
    public static JsonObject trusting(JsonObject config, Path caFile) {
        return config.put("backendTls", new JsonObject().put("caFile", caFile.toString()));
    }
}
