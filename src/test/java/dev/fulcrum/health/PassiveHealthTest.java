package dev.fulcrum.health;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ejections by the proxy alone: the active checks run every 5 s here, too slowly to play a part. */
@ExtendWith(VertxExtension.class)
class PassiveHealthTest {

    static final Duration WAIT = Duration.ofSeconds(3);

    @Test
    void refusedConnectionEjectsAtOnceAndAnyRequestIsRetriedElsewhere(Vertx vertx) {
        TestBackend refusing = TestBackend.start(vertx, "refusing");
        TestBackend echo = TestBackend.start(vertx, "echo", req -> req.body().onSuccess(body -> req.response().end(body)));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(refusing, echo));
        Backend refusingState = fulcrum.backends().find("default", refusing.url()).orElseThrow();
        Http http = new Http(vertx, fulcrum.port());
        refusing.stop();

        // Ties go to a random one of the two, so keep sending until one meets the refusal (bounded).
        for (int i = 0; i < 40 && refusingState.health() != HealthState.UNHEALTHY; i++) {
            String body = "payload-" + i;
            String echoed = http.on(client -> client.request(HttpMethod.POST, "/")
                    .compose(req -> req.send(Buffer.buffer(body)))
                    .compose(resp -> resp.body())).await().toString();
            assertEquals(body, echoed, "a POST whose connection was refused went to the other backend");
        }

        Await.until("the refusing backend is ejected", WAIT, () -> refusingState.health() == HealthState.UNHEALTHY);
        assertEquals("connection refused (seen by the proxy)", refusingState.lastFailure());
    }

    @Test
    void consecutiveFailuresEjectABackendThatStillPassesProbes(Vertx vertx) {
        TestBackend dropping = TestBackend.start(vertx, "dropping", req -> req.connection().close());
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(dropping).put("consecutiveFailures", 3));
        Backend droppingState = fulcrum.backends().all().get(0);
        Http http = new Http(vertx, fulcrum.port());

        assertEquals(502, http.get("/").await().status());
        assertEquals(HealthState.HEALTHY, droppingState.health(), "one failure is not enough");
        http.get("/").await();
        http.get("/").await();

        Await.until("the backend is ejected", WAIT, () -> droppingState.health() == HealthState.UNHEALTHY);
        assertTrue(droppingState.lastFailure().startsWith("3 failed exchanges in a row"), droppingState.lastFailure());
        // The proxies hear of the ejection a moment after the backend's state changes (a health event).
        Await.until("the proxies route around it", WAIT, () -> http.get("/").await().status() == 503);
        assertEquals(503, http.get("/").await().status());
        assertTrue(dropping.probes() <= 1, "only the startup probe ran, so the proxy did this");
    }
}
