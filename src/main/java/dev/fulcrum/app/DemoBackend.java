package dev.fulcrum.app;

import io.vertx.core.Vertx;

/**
 * A tiny backend for {@code scripts/demo.sh}: answers every request with its own name, so that repeated
 * requests through the balancer show where each one went. {@code java -cp fulcrum.jar dev.fulcrum.app.DemoBackend PORT}
 */
public final class DemoBackend {

    private DemoBackend() {
    }

    public static void main(String[] args) {
        if (args.length != 1 || !args[0].matches("\\d{1,5}")) {
            System.err.println("usage: DemoBackend PORT");
            System.exit(Main.EXIT_USAGE);
        }
        int port = Integer.parseInt(args[0]);
        String name = "backend-" + port;
        Vertx vertx = Vertx.vertx();
        vertx.createHttpServer()
                .requestHandler(req -> req.response().putHeader("content-type", "text/plain").end(name + "\n"))
                .listen(port, "127.0.0.1")
                .onSuccess(server -> System.out.println(name + " listening on 127.0.0.1:" + port))
                .onFailure(error -> {
                    System.err.println(name + ": cannot listen on 127.0.0.1:" + port + ": " + error.getMessage());
                    System.exit(Main.EXIT_CANNOT_START);
                });
    }
}
