package dev.fulcrum.app;

import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.config.PoolSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Sends requests through a throwaway balancer in this JVM, in front of backends of its own on loopback, so that
 * the JIT has compiled the request path before real traffic comes: the JVM starts by interpreting it, at a few
 * per cent of its compiled speed. It runs on its own Vert.x and logs nothing, so nothing of it reaches the
 * configured backends, the real balancer's event bus, or the log. {@code scripts/java-options.sh} also runs a
 * short one alone ({@code --warm-up}) to record a class-data archive.
 */
final class WarmUp {

    /** What a warm-up did: the requests answered, how long it took, and why it ended. */
    record Result(int requests, Duration took, End end) {
    }

    enum End {
        /** Every request was answered. */
        COMPLETE,
        /** The time budget ran out first. */
        OUT_OF_TIME,
        /** Real traffic came before readiness and warms the JIT itself; the warm-up would only take its CPU. */
        REAL_TRAFFIC,
        /** The real balancer began to shut down. */
        STOPPING
    }

    /**
     * Enough for the JIT to have compiled the request path: on one core its compiling levels off after about
     * this many (README, Performance).
     */
    static final int REQUESTS = 10_000;
    /** Client connections, each with one request at a time: several in flight on each backend's pool. */
    private static final int CONNECTIONS = 8;
    private static final int BACKENDS = 3;
    /**
     * One response in this many closes its connection, on each side, so that accepting and opening connections
     * is compiled too: with many clients, or clients that do not keep connections alive, those paths are hot.
     */
    private static final int CLOSE_EVERY = 16;
    /**
     * The config fields that choose which code a request runs through. Limits and timeouts only change numbers
     * on the same path, and a tight one could refuse the warm-up's own requests. A config with routes is warmed
     * up through one catch-all route, so that the route step is compiled as taken, not as a branch never seen. Not
     * covered: unequal weights, server URLs with a path, https backends, and the route conditions; their few
     * extra methods compile under real traffic.
     */
    private static final List<String> MIRRORED = List.of("algorithm", "forwardedHeaders", "preserveHost");
    /** One request in this many carries a body, so that the path that streams one is compiled too. */
    private static final int BODY_EVERY = 4;
    private static final Buffer BODY = Buffer.buffer("{\"warm\":true}");
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Real requests received that make the warm-up stop: more than a stray probe or two of the proxy port, and
     * still only a moment of real load.
     */
    static final long REAL_TRAFFIC_REQUESTS = 100;
    private static final long REAL_TRAFFIC_POLL_MILLIS = 100;

    private WarmUp() {
    }

    /**
     * Sends up to {@code requests} requests, for at most {@code budget} from the first one, on {@code vertx}: one
     * of its own, on the transport the real balancer runs on (so that its classes are the ones compiled), which
     * the caller closes with everything on it. The balancer takes the fields of {@code settings} (the real
     * config) that steer the request path, so that the code compiled is the code real requests take. It stops
     * early once {@code realRequests}, the requests the real balancer has received, reaches
     * {@value #REAL_TRAFFIC_REQUESTS}, or once {@code stopping} (the real balancer shuts down). Blocks the
     * calling thread.
     */
    static Result run(Vertx vertx, JsonObject settings, int requests, Duration budget,
                      Supplier<Future<Long>> realRequests, BooleanSupplier stopping) throws Exception {
        long started = System.nanoTime();
        JsonArray servers = new JsonArray();
        for (int i = 0; i < BACKENDS; i++) {
            servers.add("http://127.0.0.1:" + await(startBackend(vertx)).actualPort());
        }
        String text = privateConfig(settings, servers).encode();
        int port = await(Fulcrum.startUnlogged(vertx, ConfigParser.parse(text), text)).port();

        // From the first request on: setting up takes a moment, and a short budget would otherwise send nothing.
        long deadline = System.nanoTime() + budget.toNanos();
        AtomicReference<End> cutShort = new AtomicReference<>();
        // Asking each proxy's event loop a few times a second keeps the count off the request path's atomics.
        long poll = vertx.setPeriodic(REAL_TRAFFIC_POLL_MILLIS, id -> {
            if (stopping.getAsBoolean()) {
                cutShort.compareAndSet(null, End.STOPPING);
            }
            realRequests.get().onSuccess(received -> {
                if (received >= REAL_TRAFFIC_REQUESTS) {
                    cutShort.compareAndSet(null, End.REAL_TRAFFIC);
                }
            });
        });
        Promise<Integer> sent = Promise.promise();
        vertx.runOnContext(v -> {
            HttpClient client = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(CONNECTIONS));
            new Senders(client, port, requests, deadline, cutShort).start(CONNECTIONS).onComplete(sent);
        });
        int answered = sent.future().toCompletionStage().toCompletableFuture()
                .get(budget.toMillis() + STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        vertx.cancelTimer(poll);
        End end = answered == requests ? End.COMPLETE : cutShort.get() != null ? cutShort.get() : End.OUT_OF_TIME;
        return new Result(answered, Duration.ofNanos(System.nanoTime() - started), end);
    }

    /** The private balancer's config: the {@link #MIRRORED} fields of {@code settings}, over {@code servers}. */
    static JsonObject privateConfig(JsonObject settings, JsonArray servers) {
        JsonObject config = new JsonObject();
        for (String field : MIRRORED) {
            if (settings.containsKey(field)) {
                config.put(field, settings.getValue(field));
            }
        }
        config.put("listenPort", "127.0.0.1:0").put("adminPort", "127.0.0.1:0").put("servers", servers);
        if (settings.containsKey("routes")) {
            config.put("routes", new JsonArray().add(new JsonObject().put("pool", PoolSettings.DEFAULT)));
        }
        return config;
    }

    /** Answers every request 200, and closes the connection after one response in {@value #CLOSE_EVERY}. */
    private static Future<HttpServer> startBackend(Vertx vertx) {
        int[] answered = {0};
        return vertx.createHttpServer()
                .requestHandler(request -> request.body().onSuccess(body -> {
                    HttpServerResponse response = request.response().putHeader("content-type", "text/plain");
                    if (++answered[0] % CLOSE_EVERY == 0) {
                        response.putHeader("connection", "close");
                    }
                    response.end("warm " + body.length());
                }))
                .listen(0, "127.0.0.1");
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Request loops, one per connection, sharing one count; all on the client's event loop. */
    private static final class Senders {

        private final HttpClient client;
        private final int port;
        private final int requests;
        private final long deadlineNanos;
        private final AtomicReference<End> cutShort;
        private int started;
        private int answered;

        Senders(HttpClient client, int port, int requests, long deadlineNanos, AtomicReference<End> cutShort) {
            this.client = client;
            this.port = port;
            this.requests = requests;
            this.deadlineNanos = deadlineNanos;
            this.cutShort = cutShort;
        }

        Future<Integer> start(int loops) {
            List<Future<Void>> running = new ArrayList<>();
            for (int i = 0; i < loops; i++) {
                Promise<Void> loop = Promise.promise();
                send(loop);
                running.add(loop.future());
            }
            return Future.all(running).map(done -> answered);
        }

        /** Each answer sends the next request from the event loop, so the stack does not grow with the count. */
        private void send(Promise<Void> loop) {
            if (started == requests || System.nanoTime() - deadlineNanos > 0 || cutShort.get() != null) {
                loop.complete();
                return;
            }
            boolean withBody = started++ % BODY_EVERY == 0;
            RequestOptions options = new RequestOptions().setPort(port).setHost("127.0.0.1")
                    .setMethod(withBody ? HttpMethod.POST : HttpMethod.GET).setURI("/warm-up?n=" + started)
                    .putHeader("accept", "*/*").putHeader("user-agent", "fulcrum-warm-up");
            if (started % CLOSE_EVERY == 0) {
                options.putHeader("connection", "close");
            }
            client.request(options)
                    .compose(request -> withBody ? request.send(BODY) : request.send())
                    .compose(response -> response.statusCode() == 200 ? response.body()
                            : Future.failedFuture("the private balancer answered " + response.statusCode()))
                    .onComplete(body -> {
                        if (body.failed()) {
                            loop.fail(body.cause());
                            return;
                        }
                        answered++;
                        send(loop);
                    });
        }
    }
}
