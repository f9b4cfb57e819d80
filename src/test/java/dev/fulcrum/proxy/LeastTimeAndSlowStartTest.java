package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import dev.fulcrum.support.Traffic;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
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
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The policies that learn from time, through real sockets: least-time's choice and slow start's ramp. */
@ExtendWith(VertxExtension.class)
class LeastTimeAndSlowStartTest {

    /**
     * Requests one after another, from two clients: in-flight counts are all 0 or 1 at every pick, so least-busy
     * would give each backend a third; only response times tell them apart.
     */
    @Test
    void leastTimeAvoidsASlowBackendAndOneThatAnswers503AtOnce(Vertx vertx) {
        TestBackend fast = TestBackend.start(vertx, "fast");
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(50, t -> req.response().end("slow")));
        TestBackend failing = TestBackend.start(vertx, "failing", req -> req.response().setStatusCode(503).end());
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(fast));
        Http http = new Http(vertx, fulcrum.port());
        warmUp(http);
        String leastTime = Balancer.config(fast, slow, failing).put("algorithm", "least-time").encode();
        fulcrum.apply(ConfigParser.parse(leastTime), leastTime).await();
        int warmUpRequests = fast.requests();

        List<Future<Integer>> clients = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            clients.add(oneAfterAnother(http, 200));
        }
        Future.all(clients).await();

        int toFast = fast.requests() - warmUpRequests;
        assertEquals(400, toFast + slow.requests() + failing.requests());
        String tally = "fast " + toFast + ", slow " + slow.requests() + ", failing " + failing.requests();
        // Before the first answers nothing is known: each may get one or two of the first requests.
        assertTrue(failing.requests() <= 5, tally);
        assertTrue(slow.requests() <= 20, tally);
    }

    /**
     * The JIT compiles the request path first, as Fulcrum's own warm-up does before it reports ready: the first
     * interpreted exchanges take tens of milliseconds, and a peak EWMA would keep that for seconds.
     */
    private static void warmUp(Http http) {
        List<Future<Integer>> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            clients.add(oneAfterAnother(http, 250));
        }
        Future.all(clients).await();
    }

    /** Sends {@code count} requests one after the other; completes with the number answered 200. */
    private static Future<Integer> oneAfterAnother(Http http, int count) {
        Future<Integer> chain = Future.succeededFuture(0);
        for (int i = 0; i < count; i++) {
            chain = chain.compose(ok -> http.get("/").map(reply -> reply.status() == 200 ? ok + 1 : ok));
        }
        return chain;
    }

    /**
     * Round robin over two equal backends: once ramped, the added one takes half. In the first quarter of a 2 s
     * window its weight grows from 10 % to 32.5 % of the other's, a share of 9 % to 25 % (measured on a loaded
     * machine: 18 %, then 47 % after the window).
     */
    @Test
    void slowStartRampsABackendAddedByAReload(Vertx vertx, @TempDir Path dir) {
        Queue<Long> steadyArrivals = new ConcurrentLinkedQueue<>();
        Queue<Long> addedArrivals = new ConcurrentLinkedQueue<>();
        TestBackend steady = TestBackend.start(vertx, "steady", arrivalsTo(steadyArrivals, "steady"));
        TestBackend added = TestBackend.start(vertx, "added", arrivalsTo(addedArrivals, "added"));
        JsonObject config = Balancer.fastHealth(Balancer.config(steady))
                .put("algorithm", "round-robin").put("slowStart", "2s");
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        warmUp(http);
        Traffic traffic = Traffic.start(http, 4);

        file.rewriteInPlace(config.copy().put("servers", new JsonArray().add(steady.url()).add(added.url())));
        // When the health checker saw it pass and the ramp began; on the clock the arrivals are noted on.
        long joined = Await.value("the added backend joins", Duration.ofSeconds(5),
                () -> fulcrum.backends().find("default", added.url()).map(Backend::joinedAt).orElse(Backend.JOINED_AT_START),
                at -> at != Backend.JOINED_AT_START);
        long millis = TimeUnit.MILLISECONDS.toNanos(1);
        Await.until("the window is over, and a second more", Duration.ofSeconds(10),
                () -> System.nanoTime() - joined > 3_000 * millis);
        traffic.stopAndAssertAllOk();

        double early = shareOfAdded(steadyArrivals, addedArrivals, joined, joined + 500 * millis);
        double late = shareOfAdded(steadyArrivals, addedArrivals, joined + 2_000 * millis, joined + 3_000 * millis);
        String shares = "share of the added backend: " + Math.round(early * 100) + " % in the first quarter of the"
                + " window, " + Math.round(late * 100) + " % after it";
        assertTrue(early < 0.30, shares);
        assertTrue(late > 0.40 && late < 0.60, shares);
    }

    private static Handler<HttpServerRequest> arrivalsTo(Queue<Long> arrivals, String name) {
        return req -> {
            arrivals.add(System.nanoTime());
            req.response().end(name);
        };
    }

    private static double shareOfAdded(Queue<Long> steady, Queue<Long> added, long from, long to) {
        long ofSteady = steady.stream().filter(at -> at >= from && at < to).count();
        long ofAdded = added.stream().filter(at -> at >= from && at < to).count();
        // Round robin interleaves by weight, it does not draw: a share over a few dozen requests is already close.
        assertTrue(ofSteady + ofAdded >= 20, () -> "too few requests in a slice to tell: " + (ofSteady + ofAdded));
        return (double) ofAdded / (ofSteady + ofAdded);
    }
}
