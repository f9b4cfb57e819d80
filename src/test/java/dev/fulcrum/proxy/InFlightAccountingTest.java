package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every backend's in-flight count returns to exactly zero, whatever the exchanges' outcomes, across reloads too. */
@ExtendWith(VertxExtension.class)
class InFlightAccountingTest {

    /** Answers by path: normally, after a delay, by dropping the connection, or by dying mid-response. */
    static void misbehave(Vertx vertx, HttpServerRequest req) {
        switch (req.path()) {
            case "/slow" -> vertx.setTimer(300, t -> req.response().end("late"));
            case "/drop" -> req.connection().close();
            case "/die-midway" -> {
                req.response().setChunked(true).write("part");
                vertx.setTimer(20, t -> req.connection().close());
            }
            case "/stream" -> {
                req.response().setChunked(true);
                long timer = vertx.setPeriodic(10, t -> req.response().write(Buffer.buffer(new byte[1024])));
                vertx.setTimer(1000, t -> {
                    vertx.cancelTimer(timer);
                    req.response().end();
                });
                req.response().closeHandler(v -> vertx.cancelTimer(timer));
            }
            default -> req.response().end("ok");
        }
    }

    @Test
    void everyCounterReturnsToZeroAfterAbortsAndBackendErrors(Vertx vertx) {
        List<TestBackend> live = List.of(
                TestBackend.start(vertx, "a", req -> misbehave(vertx, req)),
                TestBackend.start(vertx, "b", req -> misbehave(vertx, req)));
        TestBackend dead = TestBackend.start(vertx, "dead");
        dead.stop();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(live.get(0), live.get(1), dead));
        Http http = new Http(vertx, fulcrum.port());
        AtomicInteger aborted = new AtomicInteger();

        List<Future<?>> burst = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            burst.add(http.get("/").otherwiseEmpty());
            burst.add(http.get("/drop").otherwiseEmpty());
            burst.add(http.get("/die-midway").otherwiseEmpty());
            burst.add(abortWhileWaiting(vertx, http, aborted));
            burst.add(abortMidResponse(http, aborted));
        }
        Future.join(burst).otherwiseEmpty().await();

        assertTrue(aborted.get() > 0, "the client aborted some exchanges");
        for (Backend backend : fulcrum.backends().all()) {
            Await.until(backend + " has nothing in flight", Duration.ofSeconds(5), () -> backend.inFlight() == 0);
        }
    }

    /**
     * Weighted backends under concurrent traffic that times out, is dropped, dies mid-response, is refused and
     * retried, while a reload removes a backend and adds it back under the same URL: every counter, the old
     * Backend object's included, returns to exactly zero.
     */
    @Test
    void inFlightReturnsToZeroAfterMixedOutcomesWithWeightsAndARemoveReAddReload(Vertx vertx, @TempDir Path dir) {
        TestBackend a = TestBackend.start(vertx, "a", req -> misbehave(vertx, req));
        TestBackend b = TestBackend.start(vertx, "b", req -> misbehave(vertx, req));
        TestBackend dead = TestBackend.start(vertx, "dead");
        dead.stop();
        JsonArray all = new JsonArray()
                .add(new JsonObject().put("url", a.url()).put("weight", 3))
                .add(new JsonObject().put("url", b.url()).put("weight", 2))
                .add(new JsonObject().put("url", dead.url()).put("weight", 5));
        JsonObject config = Balancer.fastHealth(Balancer.config(a, b, dead)).put("servers", all)
                .put("requestTimeout", "150ms").put("consecutiveFailures", 1000);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend oldB = fulcrum.backends().find("default", b.url()).orElseThrow();
        Http http = new Http(vertx, fulcrum.port());
        List<String> paths = List.of("/", "/slow", "/drop", "/die-midway", "/", "/stream");
        Map<Integer, Integer> statuses = new java.util.concurrent.ConcurrentHashMap<>();

        List<Future<Void>> loops = new ArrayList<>();
        for (int c = 0; c < 6; c++) {
            loops.add(mixedLoop(http, paths, c, 30, statuses));
        }
        Await.until("traffic has started", Duration.ofSeconds(5), () -> statuses.values().stream().mapToInt(i -> i).sum() >= 20);
        JsonArray withoutB = new JsonArray().add(all.getValue(0)).add(all.getValue(2));
        file.renameReplace(config.copy().put("servers", withoutB));
        Await.until("b removed", Duration.ofSeconds(5), () -> fulcrum.status().generation() == 2);
        file.renameReplace(config);
        Await.until("b added back", Duration.ofSeconds(5), () -> fulcrum.status().generation() == 3);
        Future.all(loops).await();

        Backend newB = fulcrum.backends().find("default", b.url()).orElseThrow();
        assertNotSame(oldB, newB, "b came back as a new backend");
        assertTrue(statuses.getOrDefault(504, 0) > 0, "some requests timed out: " + statuses);
        assertTrue(statuses.getOrDefault(200, 0) > 0, "some requests were served: " + statuses);
        for (Backend backend : List.of(oldB, newB, fulcrum.backends().find("default", a.url()).orElseThrow(),
                fulcrum.backends().find("default", dead.url()).orElseThrow())) {
            Await.until(backend + " has nothing in flight (now " + backend.inFlight() + ")", Duration.ofSeconds(5),
                    () -> backend.inFlight() == 0);
        }
    }

    private static Future<Void> abortWhileWaiting(Vertx vertx, Http http, AtomicInteger aborted) {
        return http.on(client -> {
            Promise<Void> done = Promise.promise();
            client.request(HttpMethod.GET, "/slow").onSuccess(req -> {
                req.send().onComplete(ar -> done.tryComplete());
                vertx.setTimer(50, t -> {
                    aborted.incrementAndGet();
                    req.reset();
                    done.tryComplete();
                });
            }).onFailure(e -> done.tryComplete());
            return done.future();
        });
    }

    private static Future<Void> abortMidResponse(Http http, AtomicInteger aborted) {
        return http.on(client -> {
            Promise<Void> done = Promise.promise();
            client.request(HttpMethod.GET, "/stream")
                    .compose(req -> req.send().onSuccess(resp -> resp.handler(chunk -> {
                        if (!done.future().isComplete()) {
                            aborted.incrementAndGet();
                            req.reset();
                            done.tryComplete();
                        }
                    })))
                    .onFailure(e -> done.tryComplete());
            return done.future();
        });
    }

    /** {@code count} requests one after another, cycling through {@code paths} from {@code offset}. */
    private static Future<Void> mixedLoop(Http http, List<String> paths, int offset, int count,
                                          Map<Integer, Integer> statuses) {
        Promise<Void> done = Promise.promise();
        nextMixed(http, paths, offset, count, statuses, done);
        return done.future();
    }

    private static void nextMixed(Http http, List<String> paths, int index, int left, Map<Integer, Integer> statuses,
                                  Promise<Void> done) {
        if (left == 0) {
            done.complete();
            return;
        }
        http.get(paths.get(index % paths.size())).onComplete(ar -> {
            statuses.merge(ar.succeeded() ? ar.result().status() : 0, 1, Integer::sum);
            nextMixed(http, paths, index + 1, left - 1, statuses, done);
        });
    }
}
