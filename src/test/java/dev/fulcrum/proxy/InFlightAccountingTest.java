package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
