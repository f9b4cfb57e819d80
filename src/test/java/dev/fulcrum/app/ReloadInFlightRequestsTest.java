package dev.fulcrum.app;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Requests in flight when an edit applies keep their removed backend for shutdownTimeout, and their requestTimeout. */
@ExtendWith(VertxExtension.class)
class ReloadInFlightRequestsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /**
     * README: shutdownTimeout bounds "how long requests in flight may take to finish ... when their ... backend
     * goes away". With shutdownTimeout "900ms" the requests in flight to a removed backend are cut at once
     * (502), with "1s" they finish.
     */
    @ParameterizedTest(name = "shutdownTimeout {0}")
    @ValueSource(strings = {"900ms", "1s"})
    void removedBackendLetsItsRequestsFinishWithinShutdownTimeout(String shutdownTimeout, Vertx vertx, @TempDir Path dir) {
        // Each request needs 400 ms, well within either timeout; the "1s" row is the control.
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(400, t -> req.response().end("slow")));
        TestBackend fast = TestBackend.start(vertx, "fast");
        JsonObject config = Balancer.config(slow).put("shutdownTimeout", shutdownTimeout);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend slowState = fulcrum.backends().all().get(0);
        Http http = new Http(vertx, fulcrum.port());

        List<Future<Http.Reply>> inFlight = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inFlight.add(post(http, "/", "order " + i));
        }
        Await.until("3 requests are in flight to the slow server", WAIT, () -> slowState.inFlight() == 3);
        file.renameReplace(config.copy().put("servers", new JsonArray().add(fast.url())));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);

        List<Http.Reply> replies = inFlight.stream().map(reply -> reply.otherwise(new Http.Reply(0, "transport error")).await()).toList();
        assertEquals(List.of(new Http.Reply(200, "slow"), new Http.Reply(200, "slow"), new Http.Reply(200, "slow")), replies);
    }

    /**
     * README: a new requestTimeout "applies to the next request", even while older requests still wait under
     * the old, longer timeout (one deadline queue per event loop).
     */
    @Test
    void shortenedRequestTimeoutAppliesToTheNextRequestEvenWithOlderOnesWaiting(Vertx vertx, @TempDir Path dir) {
        TestBackend silent = TestBackend.start(vertx, "silent", req -> { });
        JsonObject config = Balancer.config(silent).put("requestTimeout", "30s").put("consecutiveFailures", 1000);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend state = fulcrum.backends().all().get(0);
        Http old = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 4; i++) {
            old.get("/old");
        }
        Await.until("4 requests wait under the 30 s timeout", WAIT, () -> state.inFlight() == 4);

        file.renameReplace(config.copy().put("requestTimeout", "200ms"));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);

        List<Future<Http.Reply>> fresh = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            fresh.add(new Http(vertx, fulcrum.port()).get("/new"));
        }
        for (Future<Http.Reply> reply : fresh) {
            try {
                assertEquals(504, reply.await(3, TimeUnit.SECONDS).status());
            } catch (TimeoutException e) {
                fail("a request sent after requestTimeout became 200ms had no answer after 3 s");
            }
        }
    }

    private static Future<Http.Reply> post(Http http, String uri, String body) {
        return http.on(client -> client.request(HttpMethod.POST, uri)
                .compose(req -> req.send(Buffer.buffer(body)))
                .compose(resp -> resp.body().map(b -> new Http.Reply(resp.statusCode(), b.toString()))));
    }
}
