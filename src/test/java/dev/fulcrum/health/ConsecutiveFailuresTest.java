package dev.fulcrum.health;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.PacedUpload;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What counts towards {@code consecutiveFailures}, the proxy's ejection of a backend: failed exchanges in a row of
 * that very backend; never a slow upload.
 */
@ExtendWith(VertxExtension.class)
class ConsecutiveFailuresTest {

    /** The same slow uploads must not count as failed exchanges and eject a healthy backend (consecutiveFailures 3). */
    @Test
    void slowUploadsDoNotEjectAHealthyBackend(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "quick", req -> req.body().onSuccess(body ->
                req.response().end("got " + body.length())));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "500ms"));
        Http http = new Http(vertx, fulcrum.port());
        Buffer piece = Http.bytes(1024, 9);

        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            statuses.add(http.on(client -> client.request(HttpMethod.POST, "/upload").compose(req -> {
                req.setChunked(true);
                req.exceptionHandler(error -> { });
                PacedUpload.write(vertx, req, piece, 4, 250);
                return req.response().map(HttpClientResponse::statusCode);
            })).await());
        }

        Http.Reply after = http.get("/").await();
        assertEquals(new Http.Reply(200, "got 0"), after, "slow uploads answered " + statuses + "; then");
        assertEquals(HealthState.HEALTHY, fulcrum.backends().all().get(0).health(), fulcrum.backends().all().get(0).lastFailure());
    }
}
